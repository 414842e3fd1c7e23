"""``repair train``: train a classifier from a registered architecture."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import BatchSize, DataDir, OutputDir, RandomState


class CheckpointChoice(StrEnum):
    """--checkpoints: the keys of repair.core.training.CHECKPOINT_POLICIES (declared here so
    that --help does not import TensorFlow)."""

    EVERY = "every"
    LAST = "last"
    NONE = "none"


def train_command(
    data_dir: DataDir,
    model: Annotated[
        str,
        typer.Option(
            help="Architecture: base, vgg16, vgg19, keras_app, vit, hydra (or a plugin's); "
            "see docs/models.md."
        ),
    ] = "base",
    output_dir: OutputDir = Path("outputs"),
    epochs: Annotated[int, typer.Option(min=1, help="Passes over train.h5.")] = 10,
    batch_size: BatchSize = 32,
    learning_rate: Annotated[float, typer.Option(help="Adam step size; above 0.")] = 1e-3,
    random_state: RandomState = 0,
    checkpoints: Annotated[
        CheckpointChoice,
        typer.Option(
            help="Epoch checkpoints kept in OUTPUT_DIR/checkpoints: every epoch, the last two "
            "epochs (what NeuRecover reads; arachne reads none), or none.",
        ),
    ] = CheckpointChoice.LAST,
    model_settings: Annotated[
        Path | None,
        typer.Option(
            help="JSON settings of keras_app (required), hydra and vit (docs/models.md).",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    branch_num: Annotated[
        int | None,
        typer.Option(min=1, help="hydra: number of branches [default: 3].", show_default=False),
    ] = None,
) -> None:
    """Train a model on DATA_DIR/train.h5 (validating on val.h5 if present); save model.keras."""
    if learning_rate <= 0:
        raise UsageError(f"--learning_rate must be above 0; got {learning_rate}")
    from repair.app.commands import train

    result = train(
        data_dir=data_dir,
        architecture=model,
        output_dir=output_dir,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        random_state=random_state,
        checkpoints=checkpoints.value,
        model_settings=model_settings,
        branch_num=branch_num,
    )
    for metric in ("accuracy", "val_accuracy"):
        value = getattr(result, metric)
        if value is not None:
            print(f"{metric}: {100 * value:.2f}%")
    print(f"saved {result.model_path}")
