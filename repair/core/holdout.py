"""Hold part of a split out of a repair, to measure the repair on images it never saw.

The split is stratified by label (each label keeps its share on both sides) and drawn from a
seed; both parts keep the source's order, ids, class names and extra per-image keys, so a
held-out part of ``corrupted/fog_3.h5`` is still audited as fog at intensity 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repair.core.conditions import Condition, check_conditions, condition_mask
from repair.core.data import SplitReader, SplitWriter
from repair.core.files import temporary_sibling
from repair.core.run_files import TARGET_HOLDOUT_DIRNAME
from repair.core.split import (
    TARGET_COMMAND,
    TargetSummary,
    split_positive_negative,
    write_target_layout,
)
from repair.core.staging import staged
from repair.core.tf import keras
from repair.errors import ConfigError


def holdout_mask(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """(N,) bool: True for the images held out, ``round(fraction * count)`` of each label.

    labels: (N,) class indices. The draw depends only on the labels, ``fraction`` and ``seed``.
    """
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"--holdout must lie strictly between 0 and 1; got {fraction}")
    rng = np.random.default_rng(seed)
    held = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = int(round(fraction * len(members)))
        held[rng.permutation(members)[:count]] = True
    return held


def write_parts(
    source: Path, held: np.ndarray, kept_path: Path, held_path: Path, batch_size: int = 1024
) -> tuple[int, int]:
    """Write the images of ``source`` where ``held`` is False to ``kept_path`` and the others
    to ``held_path`` (both atomically, in source order); return the two counts."""
    with SplitReader(source) as reader:
        info = reader.info
        if len(held) != len(reader):
            raise ConfigError(f"holdout mask has {len(held)} entries; {source} has {len(reader)}")

        kinds = reader.extra_dtypes()
        with (
            SplitWriter.copying(kept_path, info, kinds) as kept,
            SplitWriter.copying(held_path, info, kinds) as out,
        ):
            for batch in reader.batches(batch_size):
                part = held[batch.start : batch.start + len(batch)]
                kept.append_batch(batch.select(~part))
                out.append_batch(batch.select(part))
    return int((~held).sum()), int(held.sum())


@dataclass(frozen=True)
class HeldOut:
    """The held-out part ``split_with_holdout`` wrote: its file and image count."""

    path: Path
    total: int


def split_with_holdout(
    model: keras.Model,
    source: Path,
    data_dir: Path,
    fraction: float | None,
    seed: int,
    batch_size: int = 256,
    where: Sequence[Condition] = (),
) -> tuple[TargetSummary, HeldOut | None]:
    """``repair target`` with an optional holdout: with ``fraction``, hold that share of each
    label out into ``data_dir/holdout/<source name>`` and split only the rest into positives and
    negatives. The held-out file is part of target's set: it appears only with the split, and a
    rerun without a holdout removes it. With ``where``, only the images of those conditions are
    split and held out."""
    if fraction is None:
        return split_positive_negative(model, source, data_dir, batch_size, where=where), None
    with SplitReader(source) as reader:
        labels = reader.labels()
        matched = np.ones(len(labels), dtype=bool)
        if where:
            columns = reader.extras()
            check_conditions(where, columns, source.name)
            matched = condition_mask(where, columns, len(labels))
    held = np.zeros(len(labels), dtype=bool)
    if matched.any():
        held[matched] = holdout_mask(labels[matched], fraction, seed)
    kept_tmp = temporary_sibling(data_dir / source.name)
    try:
        with staged(data_dir, TARGET_COMMAND) as staging:
            held_staged = staging / TARGET_HOLDOUT_DIRNAME / source.name
            held_staged.parent.mkdir(parents=True)
            write_parts(source, held, kept_tmp, held_staged)
            summary = write_target_layout(model, kept_tmp, staging, batch_size, where=where)
    finally:
        kept_tmp.unlink(missing_ok=True)
    return summary, HeldOut(data_dir / TARGET_HOLDOUT_DIRNAME / source.name, int(held.sum()))
