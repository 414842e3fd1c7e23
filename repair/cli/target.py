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
    from repair.core.model import load_model
    from repair.core.split import split_positive_negative

    model = load_model(model_dir)
    summary = split_positive_negative(model, data_dir / target_data, data_dir, batch_size)
    labels = sorted(set(summary.positives) | set(summary.negatives))
    rows = [
        {
            "label": label,
            "name": summary.info.class_name(label),
            "positive": summary.positives.get(label, 0),
            "negative": summary.negative_count(label),
        }
        for label in labels
    ]
    if json_output:
        totals = {"positive": sum(summary.positives.values()), "negative": summary.negative_count()}
        print(json.dumps({"total": summary.total, **totals, "labels": rows}))
        return
    print("| label | name | positive | negative |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['label']} | {row['name']} | {row['positive']} | {row['negative']} |")
    print(
        f"positive: {sum(summary.positives.values())}, negative: {summary.negative_count()}, "
        f"total: {summary.total}; written to {data_dir}/positive and {data_dir}/negative"
    )
