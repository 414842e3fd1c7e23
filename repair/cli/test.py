"""``repair test``: accuracy of a model on a split, overall and per label."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from repair.cli._options import BatchSize, DataDir, JsonOutput, ModelDir


def test_command(
    model_dir: ModelDir,
    data_dir: DataDir,
    target_data: Annotated[str, typer.Option(help="Split file inside DATA_DIR.")] = "test.h5",
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Print the accuracy of the model on DATA_DIR/TARGET_DATA and a per-label table."""
    from repair.core.model import predict_file
    from repair.core.results import format_label_table, label_scores, overall_accuracy

    info, predictions = predict_file(model_dir, data_dir / target_data, batch_size)
    scores = label_scores(
        predictions.true, predictions.predicted, info.num_classes, info.class_names
    )
    accuracy = overall_accuracy(predictions.true, predictions.predicted)
    if json_output:
        print(
            json.dumps(
                {
                    "accuracy": round(accuracy, 4),
                    "correct": int(predictions.correct.sum()),
                    "total": len(predictions.true),
                    "labels": [score.to_dict() for score in scores],
                }
            )
        )
        return
    print(f"accuracy: {accuracy:.2f}%")
    print(format_label_table(scores))
