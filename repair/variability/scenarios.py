"""Research scenarios on any dataset: weaken one label (or every label) of the training split only.

``holdout:LABEL:FRACTION`` removes that fraction of LABEL's training images;
``holdout-dup:LABEL:FRACTION`` removes them and duplicates the rest of LABEL so that LABEL keeps
its count (the Model Variability project's "holdout and duplicate");
``grayscale:LABEL:FRACTION`` turns that fraction of them gray (luminance in every channel);
``augmentation-all:FRACTION`` turns that fraction of every label's images gray.
Models trained on such a split disagree most on the weakened inputs, which
``repair variability`` then finds. The choice of images is seeded and recorded
(``scenario.json`` beside the splits: the image ids, or the positions when the split has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from repair.errors import ConfigError

if TYPE_CHECKING:
    from repair.core.data import SplitInfo

LABEL_KINDS = ("holdout", "holdout-dup", "grayscale")
ALL_KINDS = ("augmentation-all",)
KINDS = LABEL_KINDS + ALL_KINDS
RECORD_FILENAME = "scenario.json"
LUMINANCE = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601
SCENARIO_STREAM = 0x5CE  # the scenario's draws come from their own stream of the seed
FORMS = (
    "holdout:LABEL:FRACTION, holdout-dup:LABEL:FRACTION, grayscale:LABEL:FRACTION or "
    "augmentation-all:FRACTION"
)
BATCH = 1024


@dataclass(frozen=True)
class Scenario:
    """``kind`` (one of KINDS), ``label`` as written (a class name or an index; None for
    augmentation-all, which takes every label), ``fraction`` in (0, 1] of the label's training
    images ((0, 1) for holdout-dup, which must keep some to duplicate)."""

    kind: str
    label: str | None
    fraction: float

    def __str__(self) -> str:
        if self.label is None:
            return f"{self.kind}:{self.fraction:g}"
        return f"{self.kind}:{self.label}:{self.fraction:g}"


def parse_scenario(text: str) -> Scenario:
    """``'holdout:0:0.8'`` or ``'augmentation-all:0.5'`` -> Scenario; ConfigError names what is
    wrong."""
    parts = text.split(":")
    kind = parts[0]
    arity = 2 if kind in ALL_KINDS else 3
    if kind not in KINDS or len(parts) != arity or (arity == 3 and not parts[1].strip()):
        raise ConfigError(f"--scenario must be {FORMS} (e.g. holdout:0:0.8); got {text!r}")
    try:
        fraction = float(parts[-1])
    except ValueError:
        fraction = float("nan")
    if not 0.0 < fraction <= 1.0:
        raise ConfigError(f"--scenario FRACTION must be in (0, 1]; got {parts[-1]!r} in {text!r}")
    if kind == "holdout-dup" and fraction == 1.0:
        raise ConfigError(
            f"--scenario holdout-dup needs FRACTION < 1 (some of the label must stay to be "
            f"duplicated); got {text!r}"
        )
    return Scenario(kind, parts[1].strip() if arity == 3 else None, fraction)


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


def choose_duplicates(kept: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``count`` copies to add from the ``kept`` positions: a random order of the
    kept ones, repeated as often as needed, so no image is copied twice before every image is
    copied once."""
    if count and not len(kept):
        raise ConfigError("--scenario holdout-dup left no image of the label to duplicate")
    rounds = -(-count // max(1, len(kept)))
    return np.concatenate([rng.permutation(kept) for _ in range(rounds)] + [kept[:0]])[:count]


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


def _affected_labels(scenario: Scenario, info: SplitInfo) -> list[int]:
    """Every label for augmentation-all, else the one the scenario names."""
    if scenario.label is None:
        return list(range(info.num_classes))
    return [resolve_label(scenario.label, info.class_names, info.num_classes)]


def _ids_or_positions(positions: np.ndarray, all_ids: np.ndarray | None) -> dict[str, object]:
    """``image_ids`` of ``positions`` when the split has ids, else the ``positions`` themselves."""
    if all_ids is None:
        return {"image_ids": None, "positions": positions.tolist()}
    return {"image_ids": [str(i) for i in all_ids[positions]], "positions": None}


def apply_scenario(train_path: Path, scenario: Scenario, seed: int | None) -> dict[str, object]:
    """Rewrite ``train_path`` (atomically, in batches) under ``scenario``; write and return
    the record (``scenario.json`` beside it). holdout-dup appends its copies after the kept
    images (training shuffles)."""
    from repair.core.data import SplitReader, SplitWriter
    from repair.core.files import write_json_atomic

    rng = scenario_rng(seed)
    with SplitReader(train_path) as reader:
        info = reader.info
        chosen = _affected_labels(scenario, info)
        labels = reader.labels()
        picked = [choose_affected(labels, k, scenario.fraction, rng) for k in chosen]
        affected = np.sort(np.concatenate(picked))
        hit = np.zeros(len(labels), dtype=bool)
        hit[affected] = True
        copies = affected[:0]
        if scenario.kind == "holdout-dup":
            kept = np.flatnonzero((labels == chosen[0]) & ~hit)
            copies = choose_duplicates(kept, len(affected), rng)
        ids: list[np.ndarray] = []
        with SplitWriter.copying(train_path, info, reader.extra_dtypes()) as writer:
            for batch in reader.batches(BATCH):
                ids += [batch.image_ids] if info.has_ids else []
                mine = hit[batch.start : batch.start + len(batch)]
                if scenario.kind.startswith("holdout"):
                    batch = batch.select(~mine)
                else:
                    batch.images[mine] = to_gray(batch.images[mine])
                writer.append_batch(batch)
            for start in range(0, len(copies), BATCH):
                writer.append_batch(reader.read_indices(copies[start : start + BATCH]))
    all_ids = np.concatenate(ids) if info.has_ids else None
    one = scenario.label is not None
    record: dict[str, object] = {
        "scenario": str(scenario),
        "kind": scenario.kind,
        "label": chosen[0] if one else None,
        "class_name": info.class_name(chosen[0]) if one else None,
        "fraction": scenario.fraction,
        "seed": seed,
        "split": train_path.name,
        "label_count_before": int(np.sum(labels == chosen[0])) if one else None,
        "affected": len(affected),
        "affected_per_label": {
            info.class_name(k): len(p) for k, p in zip(chosen, picked, strict=True)
        },
        **_ids_or_positions(affected, all_ids),
    }
    if scenario.kind == "holdout-dup":
        source = _ids_or_positions(copies, all_ids)
        record["duplicated"] = len(copies)
        record["duplicate_image_ids"] = source["image_ids"]
        record["duplicate_positions"] = source["positions"]
    write_json_atomic(train_path.parent / RECORD_FILENAME, record)
    return record
