"""``repair utils create_gate_class`` and ``flatten_model``: HydraNet's gate labels, flat models.

Flattening inlines nested models, so that their layers become Arachne targets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from repair.cli._options import DataDir, JsonOutput, ModelDir, OutputDir


def create_gate_class_command(
    hydra_setting_file: Annotated[
        Path,
        typer.Option(
            help="JSON list of class-index lists, one per branch, e.g. [[0, 1], [2, 3, 4]].",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    data_dir: DataDir,
) -> None:
    """Write DATA_DIR/gate/{train,test,repair}.h5: the images, labelled by their branch."""
    from repair.app.models import create_gate_class

    result = create_gate_class(hydra_setting_file=hydra_setting_file, data_dir=data_dir)
    for path, counts in result.files:
        shares = ", ".join(f"branch{k}: {n}" for k, n in enumerate(counts))
        print(f"wrote {path} ({shares})")


def flatten_model_command(
    model_dir: ModelDir, output_dir: OutputDir, json_output: JsonOutput = False
) -> None:
    """Write OUTPUT_DIR/model.keras: the model with every nested model (a keras.applications
    trunk called as one layer) inlined, the same weights and outputs, so that Arachne can
    target the layers inside them."""
    import json
    from dataclasses import asdict

    from repair.app.models import flatten_model_file

    result = flatten_model_file(model_dir=model_dir, output_dir=output_dir)
    if json_output:
        print(json.dumps({**asdict(result), "path": str(result.path)}, indent=2))
        return
    print(
        f"wrote {result.path}: {result.layers[0]} layers -> {result.layers[1]} "
        f"(inlined {', '.join(result.inlined)}); Arachne targets {result.targets[0]} -> "
        f"{result.targets[1]}"
    )
