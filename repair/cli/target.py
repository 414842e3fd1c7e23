"""``repair target``: split a repair set into positive and negative inputs per label."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import BatchSize, DataDir, JsonOutput, ModelDir, RandomState
from repair.core.run_files import SPLIT_FILENAME, negative_dir, positive_dir


def target_command(
    model_dir: ModelDir,
    data_dir: DataDir,
    target_data: Annotated[str, typer.Option(help="Split file inside DATA_DIR.")] = SPLIT_FILENAME,
    batch_size: BatchSize = 256,
    holdout: Annotated[
        float | None,
        typer.Option(
            help="Fraction of each label to hold out (between 0 and 1) into "
            "DATA_DIR/holdout/<file name>, to measure the repair on; the rest is split.",
            show_default=False,
        ),
    ] = None,
    random_state: RandomState = 0,
    where: Annotated[
        str | None,
        typer.Option(
            help="Split only the images of these conditions, per-image keys ANDed: "
            "'timeofday=night' or 'weather=rainy,timeofday=night'.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOutput = False,
) -> None:
    """Write DATA_DIR/positive (correctly classified) and DATA_DIR/negative (misclassified)."""
    if holdout is not None and not 0 < holdout < 1:
        raise UsageError(f"--holdout must lie strictly between 0 and 1; got {holdout}")
    if where is not None:
        from repair.core.conditions import parse_conditions

        parse_conditions(where)  # a malformed --where fails before TensorFlow is imported
    from dataclasses import asdict

    from repair.app.commands import target

    result = target(
        model=model_dir,
        source=data_dir / target_data,
        data_dir=data_dir,
        batch_size=batch_size,
        holdout=holdout,
        random_state=random_state,
        where=where,
    )
    held = result.holdout
    if json_output:
        totals = {"positive": result.positive, "negative": result.negative}
        rows = [asdict(row) for row in result.labels]
        held_out = None if held is None else {"path": str(held.path), "total": held.total}
        report = {"total": result.total, **totals, "labels": rows, "holdout": held_out}
        print(json.dumps({**report, "where": where}))
        return
    if where is not None:
        print(f"only the images with {where}")
    print("| label | name | positive | negative |")
    print("|---|---|---|---|")
    for row in result.labels:
        print(f"| {row.label} | {row.name} | {row.positive} | {row.negative} |")
    print(
        f"positive: {result.positive}, negative: {result.negative}, "
        f"total: {result.total}; written to {positive_dir(data_dir)} and {negative_dir(data_dir)}"
    )
    if held is not None:
        print(f"held out {held.total} images in {held.path}")
