"""``repair target``: split a repair set into positive and negative inputs per label."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from repair.cli._options import BatchSize, DataDir, JsonOutput, ModelDir


def target_command(
    model_dir: ModelDir,
    data_dir: DataDir,
    target_data: Annotated[str, typer.Option(help="Split file inside DATA_DIR.")] = "repair.h5",
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Write DATA_DIR/positive (correctly classified) and DATA_DIR/negative (misclassified)."""
    from dataclasses import asdict

    from repair.app.commands import target

    result = target(
        model=model_dir, source=data_dir / target_data, data_dir=data_dir, batch_size=batch_size
    )
    if json_output:
        totals = {"positive": result.positive, "negative": result.negative}
        rows = [asdict(row) for row in result.labels]
        print(json.dumps({"total": result.total, **totals, "labels": rows}))
        return
    print("| label | name | positive | negative |")
    print("|---|---|---|---|")
    for row in result.labels:
        print(f"| {row.label} | {row.name} | {row.positive} | {row.negative} |")
    print(
        f"positive: {result.positive}, negative: {result.negative}, "
        f"total: {result.total}; written to {data_dir}/positive and {data_dir}/negative"
    )
