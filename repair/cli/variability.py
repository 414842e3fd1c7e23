"""``repair variability``: how much K models (seeds, or the repairs of a run folder) vary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from repair.cli._app import UsageError
from repair.cli._options import BatchSize, DataDir, JsonOutput, parse_name_list


def model_list(text: str, option: str = "--model_dirs", distinct: bool = False) -> list[Path]:
    """``'m0,m1'`` -> paths, each of which must exist, and be named once when ``distinct`` (a
    usage error names the missing or repeated one)."""
    paths = [Path(part) for part in parse_name_list(text)]
    if not paths:
        raise UsageError(f"{option} needs comma-separated model folders; got {text!r}")
    seen: dict[Path, Path] = {}
    for path in paths:
        if not path.exists():
            raise UsageError(f"{option}: no such model folder or file: {path}")
        if distinct and path.resolve() in seen:
            raise UsageError(f"{option} names a model twice: {seen[path.resolve()]}, {path}")
        seen[path.resolve()] = path
    return paths


def format_report(report: dict[str, Any]) -> str:
    """The per-label spread table and the headline numbers, for people."""
    lines = [
        f"{report['K']} models on {report['split']} ({report['n']} inputs)",
        f"split measured: {report['split']} ({report['split_reason']})",
        "| label | name | n | mean | std | noise floor | min | max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in [*report["labels"], {"label": "overall", **report["overall"], "name": ""}]:
        lines.append(
            f"| {row['label']} | {row['name']} | {row['n']} | {row['mean']:.2f}% "
            f"| {row['std']:.2f} | {row['noise_floor']:.2f} | {row['min']:.2f}% "
            f"| {row['max']:.2f}% |"
        )
    lines.append(f"mean pairwise disagreement: {report['mean_pairwise_disagreement']:.2f}%")
    lines.append(f"unstable inputs (right in some models, not all): {report['unstable']}")
    runs = report.get("runs")
    if runs:
        lines.append(
            f"runs against {runs['original_model']} ({runs['original_accuracy']:.2f}%): "
            f"{runs['negatives']} negatives, {runs['positives']} positives"
        )
        for key in ("fixed_in_all", "mean_repair_rate", "fixed_in_any", "mean_break_rate",
                    "broken_in_any"):  # fmt: skip
            value = runs[key]
            lines.append(f"  {key}: {'n/a' if value is None else f'{value:.2f}%'}")
    return "\n".join(lines)


def variability_command(
    data_dir: DataDir,
    model_dirs: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated model folders (e.g. one per training seed).", show_default=False
        ),
    ] = None,
    runs_dir: Annotated[
        Path | None,
        typer.Option(
            help="A folder `repair evaluate` or `repair sweep` wrote: its repaired "
            "models (*/repair/model.keras).",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    original_model_dir: Annotated[
        Path | None,
        typer.Option(
            help="With --runs_dir: the model the runs repaired [default: the one "
            "their summary.json names].",
            exists=True,
            show_default=False,
        ),
    ] = None,
    target_data: Annotated[
        str | None,
        typer.Option(
            help="Split file inside DATA_DIR [test.h5; with --runs_dir of an evaluate folder, "
            "the split its runs were scored on].",
            show_default=False,
        ),
    ] = None,
    output_dir: Annotated[Path, typer.Option(help="Folder for the outputs.")] = Path(
        "outputs/variability"
    ),
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Measure how K models vary on one split: per-label accuracy mean, std and noise floor,
    disagreement, the unstable inputs (unstable/repair.h5) and, for runs, fixed and broken sets.
    """
    if (model_dirs is None) == (runs_dir is None):
        raise UsageError("give exactly one of --model_dirs and --runs_dir")
    if original_model_dir is not None and runs_dir is None:
        raise UsageError("--original_model_dir goes with --runs_dir")
    # The spread of K models: a model named twice would count twice.
    models = None if model_dirs is None else model_list(model_dirs, distinct=True)
    from repair.app.variability import variability

    result = variability(
        data_dir=data_dir, model_dirs=models, runs_dir=runs_dir,
        original_model_dir=original_model_dir, target_data=target_data, output_dir=output_dir,
        batch_size=batch_size,
    )  # fmt: skip
    if json_output:
        print(json.dumps(result.report))
        return
    print(format_report(result.report))
    print(
        f"wrote {output_dir}/variability.json, per_input.csv, unstable/repair.h5, variability.png"
    )
