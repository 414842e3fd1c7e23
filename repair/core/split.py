"""Split a repair set into positive (correct) and negative (misclassified) inputs.

The layout is described in docs/formats.md, "`repair target` layout".

The source is read in batches and every sample is routed to the files it belongs to; all files
are written in a hidden staging folder and moved into place only when the whole split succeeded.
A rerun deletes only the files the previous run recorded in ``.repair-target.json``: chunks of
``utils split_dataset`` or a user's own files inside positive/ and negative/ stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.conditions import Condition, check_conditions, condition_mask, describe
from repair.core.data import Batch, SplitInfo, SplitReader, SplitWriter
from repair.core.files import write_json_atomic
from repair.core.model import check_model_matches, predict_scores
from repair.core.run_files import LABELS_FILENAME as LABELS_FILE
from repair.core.run_files import NEGATIVE_DIRNAME as NEGATIVE
from repair.core.run_files import POSITIVE_DIRNAME as POSITIVE
from repair.core.run_files import SPLIT_FILENAME as SPLIT_FILE
from repair.core.staging import staged
from repair.core.tf import keras
from repair.errors import ConfigError, DataFormatError


@dataclass
class TargetSummary:
    """Counts of what ``split_positive_negative`` wrote.

    info: the source split's header; positives: true label -> count; negatives: true label ->
    predicted label -> count.
    """

    info: SplitInfo | None = None
    total: int = 0
    positives: Counter = field(default_factory=Counter)
    negatives: dict[int, Counter] = field(default_factory=dict)

    def add(self, true: np.ndarray, predicted: np.ndarray) -> None:
        self.total += len(true)
        correct = true == predicted
        self.positives.update(true[correct].tolist())
        for t, p in zip(true[~correct].tolist(), predicted[~correct].tolist(), strict=True):
            self.negatives.setdefault(t, Counter())[p] += 1

    def negative_count(self, label: int | None = None) -> int:
        if label is not None:
            return sum(self.negatives.get(label, Counter()).values())
        return sum(sum(c.values()) for c in self.negatives.values())


def labels_json(labels: list[int]) -> list[list[object]]:
    """The ``labels.json`` content for the given labels (docs/formats.md, the target layout)."""
    return [[str(label), {"repair_priority": 0, "prevent_degradation": 0}] for label in labels]


def group_keys(true: int, predicted: int) -> list[tuple[str, ...]]:
    """The folders (relative path parts) a sample with these labels is written to."""
    if true == predicted:
        return [(POSITIVE,), (POSITIVE, str(true))]
    return [(NEGATIVE,), (NEGATIVE, str(true)), (NEGATIVE, str(true), str(predicted))]


class _GroupWriters:
    """One lazily opened :class:`SplitWriter` per output folder."""

    def __init__(self, root: Path, reader: SplitReader) -> None:
        self.root = root
        self.info = reader.info
        self.extra_dtypes = reader.extra_dtypes()
        self.writers: dict[tuple[str, ...], SplitWriter] = {}

    def append(self, key: tuple[str, ...], batch: Batch) -> None:
        writer = self.writers.get(key)
        if writer is None:
            path = self.root.joinpath(*key, SPLIT_FILE)
            writer = SplitWriter.copying(path, self.info, self.extra_dtypes).__enter__()
            self.writers[key] = writer
        writer.append_batch(batch)

    def close(self, error: BaseException | None = None) -> None:
        writers, self.writers = list(self.writers.values()), {}
        for writer in writers:
            writer.__exit__(type(error) if error else None, error, None)


def _route(batch: Batch, predicted: np.ndarray, writers: _GroupWriters) -> None:
    pairs = np.stack([batch.labels, predicted], axis=1)
    for true, pred in np.unique(pairs, axis=0).tolist():
        mask = (batch.labels == true) & (predicted == pred)
        subset = batch.select(mask)
        for key in group_keys(true, pred):
            writers.append(key, subset)


def _write_labels(staging: Path, summary: TargetSummary) -> None:
    if summary.positives:
        write_json_atomic(staging / POSITIVE / LABELS_FILE, labels_json(sorted(summary.positives)))
    if summary.negatives:
        write_json_atomic(staging / NEGATIVE / LABELS_FILE, labels_json(sorted(summary.negatives)))
    for true, predicted in summary.negatives.items():
        write_json_atomic(
            staging / NEGATIVE / str(true) / LABELS_FILE, labels_json(sorted(predicted))
        )


TARGET_COMMAND = "target"


def split_positive_negative(
    model: keras.Model,
    source: Path,
    output_dir: Path,
    batch_size: int = 256,
    keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    where: Sequence[Condition] = (),
) -> TargetSummary:
    """Write the positive/negative layout (docs/formats.md) for ``source`` into ``output_dir``,
    committed as one set (:mod:`repair.core.staging`).

    ``keep(true, predicted)``, when given, returns the mask of a batch's samples to write: ``repair
    drift --write_negatives`` keeps only the misclassified inputs of the drifted labels.
    ``where``: only the images that match these conditions (``repair target --where``) are split.
    """
    with staged(output_dir, TARGET_COMMAND) as staging:
        return write_target_layout(model, source, staging, batch_size, keep, where)


def write_target_layout(
    model: keras.Model,
    source: Path,
    staging: Path,
    batch_size: int = 256,
    keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    where: Sequence[Condition] = (),
) -> TargetSummary:
    """Write the positive/negative layout for ``source`` into ``staging`` (a stage of
    :func:`repair.core.staging.staged`); see :func:`split_positive_negative`."""
    summary = TargetSummary()
    with SplitReader(source) as reader:
        check_model_matches(model, reader.info)
        if where:
            check_conditions(where, reader.extras(), source.name)
        summary.info = reader.info
        writers = _GroupWriters(staging, reader)
        try:
            with tqdm(total=len(reader), desc="target", unit="img", leave=False) as bar:
                for batch in reader.batches(batch_size):
                    if where:
                        batch = batch.select(condition_mask(where, batch.extras, len(batch)))
                    scores = predict_scores(model, batch.images, batch_size)
                    predicted = np.argmax(scores, axis=1)
                    bar.update(len(batch))
                    if keep is not None:
                        mask = keep(batch.labels, predicted)
                        batch, predicted = batch.select(mask), predicted[mask]
                    summary.add(batch.labels, predicted)
                    _route(batch, predicted, writers)
            if where and summary.total == 0:
                raise ConfigError(
                    f"--where {describe(where)}: no image of {source} matches all of them"
                )
            if keep is None and not summary.positives:
                raise DataFormatError(
                    f"the model classifies none of the {summary.total} inputs of {source} "
                    "correctly: there are no positive inputs to protect"
                )
            writers.close()
        except BaseException as error:
            writers.close(error)
            raise
    _write_labels(staging, summary)
    return summary
