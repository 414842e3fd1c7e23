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
    from repair.app.commands import test
    from repair.core.results import format_label_table

    result = test(model=model_dir, data_file=data_dir / target_data, batch_size=batch_size)
    if json_output:
        print(json.dumps(result.to_dict()))
        return
    print(f"accuracy: {result.accuracy:.2f}%")
    print(format_label_table(result.labels))
