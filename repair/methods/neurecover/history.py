"""What NeuRecover reads from the training history: the previous checkpoint and its verdicts.

The previous checkpoint, its kernels mapped onto the model's layers, and the inputs it got
right that the model gets wrong.

Tokui et al., "NeuRecover: Regression-Controlled Repair of Deep Neural Networks with Training
History", SANER 2022: a *degraded* input is one the second-to-last checkpoint classified
correctly and the last (the model) does not; an *improved* input is the reverse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repair.core.data import Batch, SplitReader
from repair.core.run_files import CHECKPOINT_DIRNAME
from repair.core.tf import keras
from repair.errors import DataFormatError, InputNotFoundError, ModelError
from repair.methods.arachne.activations import kernel_matrix

MIN_CHECKPOINTS = 2


def checkpoints_folder(option: str | None, model_dir: Path | None) -> Path:
    """``--checkpoints``, or the ``checkpoints/`` folder beside the model."""
    if option is not None:
        return Path(option)
    if model_dir is None:
        raise DataFormatError("NeuRecover needs --checkpoints (the model was not read from disk)")
    folder = model_dir if model_dir.is_dir() else model_dir.parent
    return folder / CHECKPOINT_DIRNAME


def previous_checkpoint(folder: Path) -> tuple[Path, keras.Model]:
    """The second-to-last ``epoch_NNN.keras`` of ``folder`` and the model it holds.

    At least two checkpoints are needed: the last is the model being repaired, the one before
    it tells which inputs the last epoch broke. A checkpoint set that a killed ``train`` had
    committed is finished first, so the two are of one run.
    """
    from repair.core.model import load_model
    from repair.core.staging import recover
    from repair.core.training import CHECKPOINTS_COMMAND

    recover(folder.parent, CHECKPOINTS_COMMAND)

    if not folder.is_dir():
        raise InputNotFoundError(
            f"no checkpoints folder {folder}: NeuRecover needs the checkpoints `repair train` "
            "keeps (or name them with --checkpoints)"
        )
    found = sorted(folder.glob("epoch_*.keras"))
    if len(found) < MIN_CHECKPOINTS:
        raise DataFormatError(
            f"NeuRecover needs at least {MIN_CHECKPOINTS} training checkpoints "
            f"(epoch_NNN.keras); {folder} holds {len(found)}"
        )
    return found[-2], load_model(found[-2])


def previous_kernels(
    model: keras.Model, previous: keras.Model, layers: list[int]
) -> dict[int, np.ndarray]:
    """The previous checkpoint's kernel matrix of each layer index in ``layers``.

    Layers are matched by index and checked to be the same kind with the same kernel shape,
    so layers without a kernel (BatchNormalization, pooling) or without a bias shift nothing.
    """
    if len(previous.layers) != len(model.layers):
        raise ModelError(
            f"the checkpoint has {len(previous.layers)} layers and the model "
            f"{len(model.layers)}: not the same network"
        )
    kernels = {}
    for index in layers:
        now, before = model.layers[index], previous.layers[index]
        same_kind = type(now) is type(before)
        if not same_kind or tuple(now.kernel.shape) != tuple(before.kernel.shape):
            raise ModelError(
                f"layer {index} ({now.name}) differs in the checkpoint ({before.name}, "
                f"{type(before).__name__}): not the same network"
            )
        kernels[index] = kernel_matrix(before)
    return kernels


def select_by_previous(
    previous: keras.Model, reader: SplitReader, batch_size: int, previously_correct: bool
) -> Batch | None:
    """The inputs of ``reader`` that ``previous`` classified correctly (or wrongly); None when
    there are none."""
    from repair.core.model import predict_scores

    kept = []
    for batch in reader.batches(batch_size):
        predicted = np.argmax(predict_scores(previous, batch.images, batch_size), axis=1)
        kept.append(batch.select((predicted == batch.labels) == previously_correct))
    kept = [batch for batch in kept if len(batch)]
    if not kept:
        return None
    return Batch(np.concatenate([b.images for b in kept]), np.concatenate([b.labels for b in kept]))


def degraded_inputs(previous: keras.Model, negatives: SplitReader, batch_size: int) -> Batch:
    """Negatives the previous checkpoint got right: what the last epoch broke, to repair."""
    found = select_by_previous(previous, negatives, batch_size, previously_correct=True)
    if found is None:
        raise DataFormatError(
            f"no degraded inputs: the previous checkpoint also misclassifies all "
            f"{len(negatives)} negatives, so there is no regression for NeuRecover to repair "
            "(Arachne repairs them)"
        )
    return found
