"""``repair report``: a campaign's evidence as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from repair.cli._typer_private import UsageError
from repair.errors import ConfigError


def report_command(
    input_dirs: Annotated[
        str,
        typer.Option(
            help="Comma-separated folders whose evidence to report: results.json, summary.json, "
            "evaluate.json, sweep.json, audit.csv, drift.json, drift_over_time.csv, "
            "variability.json (found in the folders and below them).",
            show_default=False,
        ),
    ],
    output_dir: Annotated[
        Path, typer.Option(help="Folder for index.html and inputs/<id>.html.")
    ] = Path("report"),
    title: Annotated[str, typer.Option(help="The page's title.")] = "Repair campaign",
    require: Annotated[
        str | None,
        typer.Option(
            help="Requirements, as utils compare --require ('pedestrian>=75,car>=90!,"
            "overall>=-1'), checked with the first results.json or audit folder as before and "
            "the last as after; each is pass, fail or, for a '!' form, not established.",
            show_default=False,
        ),
    ] = None,
    max_inputs: Annotated[
        int,
        typer.Option(
            min=0,
            help="At most N input pages: unstable inputs of variability runs, negatives a "
            "repair fixed and positives it broke.",
        ),
    ] = 50,
) -> None:
    """Write one self-contained HTML page (no script, images inlined, readable offline) of the
    evidence in --input_dirs, and one page per input worth a look, with its Grad-CAM maps."""
    from repair.app.report import build_report
    from repair.core.requirements import parse_requirements

    folders = [Path(part.strip()) for part in input_dirs.split(",") if part.strip()]
    if not folders:
        raise UsageError("--input_dirs names no folder")
    try:
        requirements = parse_requirements(require) if require is not None else []
        result = build_report(
            input_dirs=folders,
            output_dir=output_dir,
            title=title,
            requirements=requirements,
            max_inputs=max_inputs,
        )
    except ConfigError as error:
        raise UsageError(str(error)) from None
    kinds = ", ".join(sorted({item.kind for item in result.evidence}))
    pieces = "piece" if len(result.evidence) == 1 else "pieces"
    print(f"wrote {result.index} ({len(result.evidence)} {pieces} of evidence: {kinds})")
    print(f"wrote {len(result.inputs)} input pages in {result.index.parent / 'inputs'}")
    for check, verdict in zip(result.checks, result.verdicts, strict=True):
        print(f"{verdict:<15} {check.describe()}")
    failed = [check for check in result.checks if not check.passed]
    if failed:
        from repair.cli.utils_results import RequirementsNotMet

        raise RequirementsNotMet(
            f"{len(failed)} of {len(result.checks)} requirements not met (the report is written): "
            + "; ".join(check.describe() for check in failed)
        )
