"""``repair utils create_gate_class``: the gate's labels for training HydraNet's gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from repair.cli._options import DataDir


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
