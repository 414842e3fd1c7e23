"""``repair utils risk_calculation_tool``: a thin wrapper over :mod:`repair.app.risk`."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from repair.cli._options import BatchSize, JsonOutput

if TYPE_CHECKING:
    from repair.app.risk import RiskResult


class CalcTarget(StrEnum):
    scene_prob = "scene_prob"
    miss_rate = "miss_rate"
    scene_prob_and_miss_rate = "scene_prob_and_miss_rate"


def risk_calculation_tool_command(
    calc_target: Annotated[
        CalcTarget,
        typer.Option(
            help="scene_prob (share of images matching the query), miss_rate (per-label "
            "misrecognition of the model) or both, with their product, the risk.",
            show_default=False,
        ),
    ],
    h5_dataset_path: Annotated[
        Path,
        typer.Option(help="A split file, or a folder of them.", exists=True, show_default=False),
    ],
    scalabel_format_label_path: Annotated[
        Path | None,
        typer.Option(
            help="Label JSON of the frames (BDD/Scalabel), or a folder of them, to match "
            "--attributes on [default: the splits' own per-image keys].",
            exists=True,
            show_default=False,
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            help="Class name or label index to keep [default: every label].", show_default=False
        ),
    ] = None,
    attributes: Annotated[
        str | None,
        typer.Option(
            help="Frame attributes to match, ANDed: 'weather=rainy,timeofday=night'.",
            show_default=False,
        ),
    ] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder holding model.keras (or a .keras/.h5 file); needed for miss_rate.",
            exists=True,
            show_default=False,
        ),
    ] = None,
    create_image_subset_output_path: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the crops (create_image_subset or create_category_dir output): copy "
            "the matched and misrecognised ones [default: copy none].",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    output_dir: Annotated[
        Path, typer.Option(help="Folder for results.json and the copied crops.")
    ] = Path("outputs"),
    format_json: Annotated[bool, typer.Option(help="Indent results.json.")] = False,
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Existence rate of a condition, miss rate per label in it, and the risk (their product)."""
    from repair.app.risk import risk_calculation
    from repair.core.conditions import parse_conditions

    result = risk_calculation(
        calc_target=calc_target.value,
        h5_dataset_path=h5_dataset_path,
        output_dir=output_dir,
        scalabel_format_label_path=scalabel_format_label_path,
        label=label,
        attributes=parse_conditions(attributes, "--attributes") if attributes is not None else (),
        model_dir=model_dir,
        create_image_subset_output_path=create_image_subset_output_path,
        format_json=format_json,
        batch_size=batch_size,
    )
    if result.missing:
        print(
            f"note: {len(result.missing)} crops not found in {create_image_subset_output_path} "
            f"(first: {result.missing[0]}); copied {result.copied}",
            file=sys.stderr,
        )
    if json_output:
        print(json.dumps({"response": result.response}))
        return
    _print_result(result)


def _print_result(result: RiskResult) -> None:
    from repair.risk.rates import risk_table

    response = result.response
    if "query" in response:
        query = response["query"]
        text = ", ".join(f"{key}={value}" for key, value in query.items()) or "every image"
        print(f"query: {text}")
    if "scene_prob" in response:
        scene = response["scene_prob"]["summary"]
        print(
            f"scene_prob: {scene['image_count_matched_to_query']} of "
            f"{scene['total_image_count']} images match "
            f"(existence rate {100 * scene['existence_rate']:.2f}%)"
        )
    if "risk" in response:
        if result.rows:
            print(risk_table(result.rows))
        else:
            print("no image matches the query: no miss rate, no risk")
    elif "miss_rate" in response:
        print("| label | name | images | misrecognized | rate |\n|---|---|---|---|---|")
        for key, row in response["miss_rate"]["summary"].items():
            if row["total_image_count"]:
                print(
                    f"| {key} | {result.class_names[int(key)]} | {row['total_image_count']} "
                    f"| {row['misrecognized_image_count']} "
                    f"| {100 * row['misrecognized_rate']:.2f}% |"
                )
    print(f"wrote {result.results}")
