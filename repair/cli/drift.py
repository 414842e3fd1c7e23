"""``repair drift``: has the new data drifted from the baseline, and what to repair next?

It also says which labels moved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import BatchSize, JsonOutput, ModelDir, RandomState

Baseline = Annotated[
    Path,
    typer.Option(
        help="Split the model is known to do well on, e.g. D/train.h5.", show_default=False
    ),
]
Current = Annotated[
    Path, typer.Option(help="Split of new data, e.g. D/new/repair.h5.", show_default=False)
]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _print_report(run) -> None:  # noqa: ANN001 (a repair.app.drift.DriftRun)
    summary = run.summary
    layer = summary["layer"]
    print(
        f"embedding: input of layer {layer['index']} ({layer['name']}), "
        f"{layer['dimensions']} dimensions"
    )
    print("| method | score | threshold | p-value | drift |")
    print("|---|---|---|---|---|")
    for name, test in summary["methods"].items():
        p_value = "" if test["p_value"] is None else f"{test['p_value']:.4f}"
        verdict = "yes" if test["drift"] else "no"
        print(f"| {name} | {test['score']:.4f} | {test['threshold']:.4f} | {p_value} | {verdict} |")
    for name, test in summary["methods"].items():
        settings = test["settings"]
        if settings.get("subsampled"):
            print(
                f"note: {name} ran on a seeded subsample of {settings['baseline_samples']} "
                f"baseline and {settings['current_samples']} current inputs"
            )
    print("| label | name | share base | share now | drift p | acc base | acc now |")
    print("|---|---|---|---|---|---|---|")
    for row in run.report.labels:
        p_value = "" if row.drift_p_value is None else f"{row.drift_p_value:.4f}"
        print(
            f"| {row.label} | {row.name} | {_percent(row.baseline_share)} | "
            f"{_percent(row.current_share)} | {p_value} | {_percent(row.baseline_accuracy)} | "
            f"{_percent(row.current_accuracy)} |"
        )
    flagged = ", ".join(summary["drifted_methods"]) or "none"
    print(f"drift: {'yes' if summary['drift'] else 'no'} (methods that flag it: {flagged})")


def _print_suggestion(run) -> None:  # noqa: ANN001
    top = run.report.suggestions()
    if not top:
        print("repair next: nothing (no label both drifted and lost accuracy)")
        return
    print("repair next (accuracy drop x share in the current set x drift):")
    for rank, row in enumerate(top, 1):
        print(f"  {rank}. label {row.label} ({row.name}): priority {row.priority:.4f}")
    print(f"commands for label {top[0].label}:")
    for command in run.commands:
        print(f"  {command}")


def drift_command(
    model_dir: ModelDir,
    baseline: Baseline,
    current: Current,
    layer: Annotated[
        int | None,
        typer.Option(
            help="Index in model.layers whose input is the embedding (default: the layer "
            "Arachne repairs, the last Dense layer with one unit per class).",
            show_default=False,
        ),
    ] = None,
    methods: Annotated[
        str, typer.Option(help="Comma-separated: cluster,classifier,mmd,prediction.")
    ] = "cluster,classifier,mmd,prediction",
    clusters: Annotated[int, typer.Option(min=2, help="k of the k-means on the baseline.")] = 20,
    permutations: Annotated[
        int, typer.Option(min=1, help="Permutations of each test's null distribution.")
    ] = 500,
    random_state: RandomState = 0,
    output_dir: Annotated[
        Path, typer.Option(help="Folder for drift.json, the CSV tables and drift.png.")
    ] = Path("drift"),
    suggest: Annotated[
        bool,
        typer.Option(help="Rank the labels to repair next and print the commands for the top one."),
    ] = False,
    write_negatives: Annotated[
        Path | None,
        typer.Option(
            help="Write the current set's misclassified inputs of the drifted labels here, "
            "in repair target's layout.",
            show_default=False,
        ),
    ] = None,
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Compare the embeddings of a baseline split and a current split: has the data drifted,
    which labels moved, what to repair next."""
    from repair.app.drift import run_drift
    from repair.drift.report import DriftSettings, parse_methods
    from repair.errors import ConfigError

    try:
        settings = DriftSettings(
            methods=parse_methods(methods),
            clusters=clusters,
            permutations=permutations,
            random_state=random_state,
        )
        run = run_drift(
            model_dir=model_dir,
            baseline=baseline,
            current=current,
            layer=layer,
            settings=settings,
            output_dir=output_dir,
            batch_size=batch_size,
            write_negatives=write_negatives,
        )
    except ConfigError as error:  # an option value the data or model rules out
        raise UsageError(str(error)) from None
    if json_output:
        extra = {"files": [str(path) for path in run.files]}
        if suggest:
            extra["commands"] = run.commands
        if run.negatives is not None:
            extra["negatives_written"] = {str(k): v for k, v in run.negatives.items()}
        print(json.dumps({**run.summary, **extra}))
        return
    _print_report(run)
    if suggest:
        _print_suggestion(run)
    if run.negatives is not None:
        if run.negatives:
            counts = ", ".join(f"label {k}: {v}" for k, v in run.negatives.items())
            print(f"negatives of the drifted labels written to {write_negatives} ({counts})")
        else:
            print("negatives: none written (no drifted label has misclassified inputs)")
    for path in run.files:
        print(f"wrote {path}")
