"""Research scenarios on any dataset: weaken one label of the training split only.

``holdout:LABEL:FRACTION`` removes that fraction of LABEL's training images;
``grayscale:LABEL:FRACTION`` turns that fraction of them gray (luminance in every channel).
Models trained on such a split disagree most on LABEL's test inputs, which
``repair variability`` then finds. The choice of images is seeded and recorded
(``scenario.json`` beside the splits: the image ids, or the positions when the split has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repair.errors import ConfigError

KINDS = ("holdout", "grayscale")
RECORD_FILENAME = "scenario.json"
LUMINANCE = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601
SCENARIO_STREAM = 0x5CE  # the scenario's draws come from their own stream of the seed


@dataclass(frozen=True)
class Scenario:
    """``kind`` (holdout or grayscale), ``label`` as written (a class name or an index),
    ``fraction`` in (0, 1] of that label's training images."""

    kind: str
    label: str
    fraction: float

    def __str__(self) -> str:
        return f"{self.kind}:{self.label}:{self.fraction:g}"


def parse_scenario(text: str) -> Scenario:
    """``'holdout:0:0.8'`` -> Scenario; ConfigError names what is wrong."""
    parts = text.split(":")
    if len(parts) != 3 or parts[0] not in KINDS or not parts[1].strip():
        raise ConfigError(
            "--scenario must be holdout:LABEL:FRACTION or grayscale:LABEL:FRACTION "
            f"(e.g. holdout:0:0.8); got {text!r}"
        )
    try:
        fraction = float(parts[2])
    except ValueError:
        fraction = float("nan")
    if not 0.0 < fraction <= 1.0:
        raise ConfigError(f"--scenario FRACTION must be in (0, 1]; got {parts[2]!r} in {text!r}")
    return Scenario(parts[0], parts[1].strip(), fraction)


def resolve_label(label: str, class_names: tuple[str, ...] | None, num_classes: int) -> int:
    """The label index of a class name (case-insensitive) or of an index written as text."""
    names = list(class_names or [str(k) for k in range(num_classes)])
    lowered = [name.lower() for name in names]
    if label.lower() in lowered:
        return lowered.index(label.lower())
    if label.isdigit() and int(label) < num_classes:
        return int(label)
    raise ConfigError(
        f"--scenario names no class of the data: {label!r}. Known: {', '.join(names)}"
    )


def choose_affected(
    labels: np.ndarray, label: int, fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted positions of round(fraction x count) of ``label``'s samples, drawn at random."""
    where = np.flatnonzero(np.asarray(labels) == label)
    count = int(round(fraction * len(where)))
    return np.sort(rng.choice(where, size=count, replace=False)) if count else where[:0]


def to_gray(images: np.ndarray) -> np.ndarray:
    """(n, H, W, C) images with every channel set to the luminance (C = 3) or unchanged
    (C = 1: already gray)."""
    if images.shape[-1] != 3:
        return images
    gray = images @ LUMINANCE
    return np.repeat(gray[..., None], 3, axis=-1).astype(images.dtype)


def scenario_rng(seed: int | None) -> np.random.Generator:
    """The scenario's own generator: the same seed as the split, a separate stream."""
    return np.random.default_rng(None if seed is None else [seed, SCENARIO_STREAM])


def apply_scenario(train_path: Path, scenario: Scenario, seed: int | None) -> dict[str, object]:
    """Rewrite ``train_path`` (atomically, in batches) under ``scenario``; write and return
    the record (``scenario.json`` beside it)."""
    from repair.core.data import SplitReader, SplitWriter
    from repair.core.files import write_json_atomic

    with SplitReader(train_path) as reader:
        info = reader.info
        label = resolve_label(scenario.label, info.class_names, info.num_classes)
        labels = reader.labels()
        affected = choose_affected(labels, label, scenario.fraction, scenario_rng(seed))
        hit = np.zeros(len(labels), dtype=bool)
        hit[affected] = True
        ids: list[str] = []
        with SplitWriter.copying(train_path, info, reader.extra_dtypes()) as writer:
            for batch in reader.batches(1024):
                mine = hit[batch.start : batch.start + len(batch)]
                if info.has_ids:
                    ids += [str(i) for i in batch.image_ids[mine]]
                if scenario.kind == "holdout":
                    batch = batch.select(~mine)
                else:
                    batch.images[mine] = to_gray(batch.images[mine])
                writer.append_batch(batch)
    record = {
        "scenario": str(scenario),
        "kind": scenario.kind,
        "label": label,
        "class_name": info.class_name(label),
        "fraction": scenario.fraction,
        "seed": seed,
        "split": train_path.name,
        "label_count_before": int(np.sum(labels == label)),
        "affected": len(affected),
        "image_ids": ids if info.has_ids else None,
        "positions": None if info.has_ids else affected.tolist(),
    }
    write_json_atomic(train_path.parent / RECORD_FILENAME, record)
    return record
