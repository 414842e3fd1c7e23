"""``repair utils`` data and results commands: thin wrappers over the app's utils and compare.

The commands: split_dataset, compare, iteration_table, label_index, over
:mod:`repair.app.utils` and :mod:`repair.app.compare`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import BatchSize, JsonOutput
from repair.errors import ConfigError, RepairError

AuditModel = Annotated[
    str | None,
    typer.Option(
        help="The model to read from an audit that holds several (as audit.csv names it).",
        show_default=False,
    ),
]


class RequirementsNotMet(RepairError):
    """At least one --require requirement failed (exit status 1)."""


def split_dataset_command(
    input: Annotated[
        Path,
        typer.Option(
            help="Split file to cut, e.g. repair.h5.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    chunk_size: Annotated[int, typer.Option(min=1, help="Samples per chunk.")] = 100,
    num_chunks: Annotated[int, typer.Option(min=1, help="Most chunks to write.")] = 10,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder for <k>/repair.h5 [default: INPUT's folder/repairsets].",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOutput = False,
) -> None:
    """Cut a split into chunks OUTPUT_DIR/<k>/repair.h5 (in order, keeping ids and class names)."""
    from repair.app.utils import split_dataset

    output_dir = output_dir or input.parent / "repairsets"
    chunks, stale = split_dataset(
        source=input, output_dir=output_dir, chunk_size=chunk_size, num_chunks=num_chunks
    )
    if stale:
        print(
            f"note: left in place from an earlier split: {', '.join(map(str, stale))}",
            file=sys.stderr,
        )
    if json_output:
        rows = [
            {"index": c.index, "start": c.start, "stop": c.stop, "path": str(c.path)}
            for c in chunks
        ]
        print(json.dumps({"output_dir": str(output_dir), "chunks": rows}))
        return
    for chunk in chunks:
        print(f"chunk {chunk.index}: samples {chunk.start}..{chunk.stop - 1} -> {chunk.path}")
    used = sum(chunk.size for chunk in chunks)
    if len(chunks) < num_chunks:
        print(f"the data ran out after {len(chunks)} of {num_chunks} chunks")
    print(f"wrote {len(chunks)} chunks ({used} samples) to {output_dir}")


OptionalResults = Annotated[
    Path | None,
    typer.Option(
        help="Folder holding results.json, or the file; or an audit folder (audit_labels.csv).",
        exists=True,
        show_default=False,
    ),
]


def compare_command(
    before: OptionalResults = None,
    after: OptionalResults = None,
    require: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated checks, e.g. 'pedestrian>=75,car>=90,overall>=-1'. An unsigned "
            "number bounds the accuracy after; a signed one (-1, +2) the change in points. "
            "'pedestrian@fog_3>=70' checks a stratum of two audits, "
            "'pedestrian@timeofday=night>=70' a condition (audit --strata), "
            "'@weather=rainy>=80' every label of it. "
            "'car>=90!': the lower end of the 95% interval is at least 90; 'car+!': the rise is "
            "significant at 0.05 (needs --paired). Exit status 1 if any fails.",
            show_default=False,
        ),
    ] = None,
    before_model: AuditModel = None,
    after_model: AuditModel = None,
    paired: Annotated[
        bool,
        typer.Option(
            help="Compare two models input by input on one split (--model_dirs, --data_dir): "
            "Wilson 95% intervals and McNemar's exact p-value."
        ),
    ] = False,
    model_dirs: Annotated[
        str | None,
        typer.Option(help="With --paired: BEFORE,AFTER model folders.", show_default=False),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="With --paired: folder holding TARGET_DATA.",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    target_data: Annotated[
        str, typer.Option(help="With --paired: split file inside DATA_DIR.")
    ] = "test.h5",
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Compare per-label accuracy before and after repair, and check requirements.

    With audit folders (repair audit) as --before and --after, the table compares clean test
    data and requirements may name a stratum: 'pedestrian@fog_3>=70'. With --paired, two models
    are compared input by input on one split.
    """
    from repair.app.compare import compare, compare_paired
    from repair.core.requirements import parse_requirements

    try:
        requirements = parse_requirements(require) if require is not None else []
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if paired:
        if before is not None or after is not None:
            raise UsageError("--paired compares --model_dirs; leave out --before and --after")
        if model_dirs is None or data_dir is None:
            raise UsageError("--paired needs --model_dirs BEFORE,AFTER and --data_dir")
        from repair.cli.variability import model_list

        models = model_list(model_dirs)
        if len(models) != 2:
            raise UsageError(f"--paired compares two models, BEFORE,AFTER; got {len(models)}")
    elif before is None or after is None or model_dirs is not None:
        raise UsageError("give --before and --after (or --paired --model_dirs BEFORE,AFTER)")
    try:
        if paired:
            result = compare_paired(
                before_model_dir=models[0],
                after_model_dir=models[1],
                data_file=data_dir / target_data,
                requirements=requirements,
                batch_size=batch_size,
            )
        else:
            result = compare(
                before=before,
                after=after,
                before_model=before_model,
                after_model=after_model,
                requirements=requirements,
            )
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if json_output:
        print(json.dumps(result.to_dict()))
    else:
        print(result.table)
        for check in result.checks:
            print(f"{'ok  ' if check.passed else 'FAIL'} {check.describe()}")
    if result.failed:
        raise RequirementsNotMet(
            f"{len(result.failed)} of {len(result.checks)} requirements failed: "
            + "; ".join(check.describe() for check in result.failed)
        )


def iteration_table_command(
    run_dir: Annotated[
        Path,
        typer.Option(
            help="Folder with 0/results.json, 1/results.json, ... (one per iteration).",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ],
    label: Annotated[
        str, typer.Option(help="Class name or label index to follow.", show_default=False)
    ],
    iterations: Annotated[
        int | None,
        typer.Option(
            min=0, help="Last iteration to report [default: as many as found].", show_default=False
        ),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for the outputs [default: RUN_DIR].", show_default=False),
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="Plot title [default: names the label].")
    ] = None,
) -> None:
    """Tabulate a label's accuracy over repair iterations: iterations.csv, .md and .png."""
    from repair.app.utils import iteration_table

    output_dir = output_dir or run_dir
    result = iteration_table(
        run_dir=run_dir, label=label, iterations=iterations, output_dir=output_dir, title=title
    )
    print(result.table)
    best = result.best
    if best is None:
        print("best iteration: none (no gain over the start is significant at 0.05)")
    else:
        print(f"best iteration: {best.iteration} ({best.accuracy:.2f}%, p = {best.p_value:.3g})")
    print(f"wrote {output_dir}/iterations.csv, iterations.md and iterations.png")


def label_index_command(
    data_dir: Annotated[
        Path,
        typer.Option(
            help="Folder holding TARGET_DATA.", exists=True, file_okay=False, show_default=False
        ),
    ],
    label: Annotated[str, typer.Option(help="Class name or label index.", show_default=False)],
    target_data: Annotated[str, typer.Option(help="Split file inside DATA_DIR.")] = "test.h5",
) -> None:
    """Print the label index of a class name (scripts use it for negative/<index> folders)."""
    from repair.app.utils import label_index

    try:
        found = label_index(data_file=data_dir / target_data, label=label)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    print(found.index)
