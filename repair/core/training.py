"""Train a classifier on HDF5 splits, streaming batches and keeping the checkpoints asked for."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.data import SplitReader
from repair.core.data.format import to_one_hot
from repair.core.files import csv_text, write_text_atomic
from repair.core.model import check_model_matches, save_model
from repair.core.run_files import CHECKPOINT_DIRNAME
from repair.core.staging import recover, staged
from repair.core.tf import keras, tf
from repair.errors import ConfigError

TRAINING_LOG = "training_log.csv"


class SplitSequence(keras.utils.PyDataset):
    """Batches of (images, one-hot labels) read from a split file.

    Samples are shuffled into batches once, from the seed; ``fit`` then shuffles the order of
    the batches every epoch. Reshuffling samples in ``on_epoch_end`` instead would race with
    tf.data's prefetching of the next epoch and make training irreproducible.
    """

    def __init__(self, reader: SplitReader, batch_size: int, shuffle: bool, seed: int | None):
        super().__init__()
        self.reader = reader
        self.batch_size = batch_size
        n = len(reader)
        self.order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)

    def __len__(self) -> int:
        return math.ceil(len(self.reader) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        positions = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        batch = self.reader.read_indices(positions)
        return batch.images, to_one_hot(batch.labels, self.reader.info.num_classes)


def seed_everything(seed: int | None) -> None:
    """Same seed, same model: seed Python's, NumPy's and TensorFlow's generators and make
    TensorFlow's kernels deterministic (parallel reductions otherwise sum in varying order).

    Call it before building the model too, so that the initial weights are seeded.
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()


# What "last" keeps: NeuRecover compares the weights of the final two epochs; no other method
# reads checkpoints, so a VGG16 run keeps two files of 400 MB instead of one per epoch.
LAST_EPOCHS_KEPT = 2
# --checkpoints: how many of the latest epochs' checkpoints to keep (None: all).
CHECKPOINT_POLICIES: dict[str, int | None] = {"every": None, "last": LAST_EPOCHS_KEPT, "none": 0}
CHECKPOINTS_COMMAND = "train-checkpoints"
TRAIN_COMMAND = "train"  # model.keras and training_log.csv


class EpochCheckpoint(keras.callbacks.Callback):
    """Save ``checkpoints/epoch_NNN.keras`` after every epoch, keeping ``keep`` of them (None:
    all). Each epoch's checkpoints are committed as one set (:mod:`repair.core.staging`): the
    first commit replaces the checkpoints the previous run recorded, later ones drop this run's
    oldest; a file the manifest does not list is never deleted. With ``keep`` 0 the end of
    training commits the empty set."""

    def __init__(self, output_dir: Path, keep: int | None) -> None:
        super().__init__()
        self.output_dir = output_dir
        self.keep = keep
        self.kept: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.keep == 0:
            return
        relative = f"{CHECKPOINT_DIRNAME}/epoch_{epoch + 1:03d}.keras"
        kept = [*self.kept, relative]
        if self.keep is not None:
            kept = kept[-self.keep :]
        retain = [name for name in kept if name != relative]
        with staged(self.output_dir, CHECKPOINTS_COMMAND, retain=retain) as stage:
            save_model(self.model, stage / relative)
        self.kept = kept

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.keep == 0:
            with staged(self.output_dir, CHECKPOINTS_COMMAND):
                pass


def checkpoint_callback(output_dir: Path, policy: str) -> EpochCheckpoint:
    """The callback that writes this run's checkpoints into ``output_dir``, after finishing
    or removing what a killed earlier run left staged there."""
    if policy not in CHECKPOINT_POLICIES:
        raise ConfigError(
            f"--checkpoints must be one of {', '.join(CHECKPOINT_POLICIES)}; got {policy!r}"
        )
    recover(output_dir, CHECKPOINTS_COMMAND)
    return EpochCheckpoint(output_dir, CHECKPOINT_POLICIES[policy])


class EpochProgress(keras.callbacks.Callback):
    """A tqdm bar over epochs on stderr, showing the latest loss and accuracy."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.bar = tqdm(total=epochs, desc="train", unit="epoch", leave=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        shown = {k: f"{v:.3f}" for k, v in (logs or {}).items() if "acc" in k or k == "loss"}
        self.bar.set_postfix(shown)
        self.bar.update(1)

    def on_train_end(self, logs: dict | None = None) -> None:
        self.bar.close()


@dataclass(frozen=True)
class TrainingResult:
    model_path: Path
    history: dict[str, list[float]]

    def final(self, metric: str) -> float | None:
        values = self.history.get(metric)
        return values[-1] if values else None


def history_csv(history: dict[str, list[float]]) -> str:
    """Keras' per-epoch history as CSV text: epoch, then one column per metric."""
    metrics = sorted(history)
    epochs = len(next(iter(history.values()), []))
    rows = [[epoch + 1, *(f"{history[m][epoch]:.6f}" for m in metrics)] for epoch in range(epochs)]
    return csv_text([["epoch", *metrics], *rows])


def train_model(
    model: keras.Model,
    train_path: Path,
    output_dir: Path,
    val_path: Path | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int | None = 0,
    learning_rate: float = 1e-3,
    checkpoints: str = "last",
) -> TrainingResult:
    """Fit ``model`` on ``train_path`` (with its own optimizer if compiled, else Adam) and save
    ``output_dir/model.keras`` plus checkpoints (``checkpoints``: every epoch's, the last two
    epochs', or none). The model and training_log.csv are committed as one set, each epoch's
    checkpoints as another."""
    if learning_rate <= 0:
        raise ConfigError(f"--learning_rate must be above 0; got {learning_rate}")
    seed_everything(seed)
    with SplitReader(train_path) as train_reader:
        check_model_matches(model, train_reader.info)
        validation = None
        val_reader = SplitReader(val_path) if val_path is not None else None
        try:
            if val_reader is not None:
                check_model_matches(model, val_reader.info)
                validation = SplitSequence(val_reader, batch_size, shuffle=False, seed=seed)
            # An architecture compiled with its own optimizer (keras_app's settings, vit's
            # AdamW) keeps it; the others get Adam with ``learning_rate``.
            optimizer = model.optimizer if model.compiled else None
            model.compile(
                optimizer=optimizer or keras.optimizers.Adam(learning_rate),
                loss="categorical_crossentropy",
                metrics=["accuracy"],
            )
            history = model.fit(
                SplitSequence(train_reader, batch_size, shuffle=True, seed=seed),
                validation_data=validation,
                epochs=epochs,
                callbacks=[checkpoint_callback(output_dir, checkpoints), EpochProgress(epochs)],
                verbose=0,
            ).history
        finally:
            if val_reader is not None:
                val_reader.close()
    with staged(output_dir, TRAIN_COMMAND) as stage:  # the model and its log, as one set
        saved = save_model(model, stage)
        write_text_atomic(stage / TRAINING_LOG, history_csv(history))
    model_path = Path(output_dir) / saved.relative_to(stage)
    return TrainingResult(model_path, {k: [float(v) for v in vs] for k, vs in history.items()})
