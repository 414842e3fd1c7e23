"""Inputs of the risk calculation: splits, label files, the matching images, the crops.

Splits and Scalabel label files are each a file or a folder of them.

An image matches when its label is the queried one (if any) and its source frame (its
``attribute_ids`` entry) has every queried attribute in the label files or, without label
files, when its own per-image keys (``prepare bdd-objects`` stores the frame's) have them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.conditions import (
    FRAME_ATTRIBUTES,
    UNDEFINED,
    Condition,
    check_conditions,
    condition_mask,
    string_keys,
)
from repair.core.data import Batch, SplitInfo, SplitReader
from repair.core.files import atomic_path, check_plain_name
from repair.datasets.bdd.labels import iter_frames
from repair.datasets.bdd.subset import is_image_name
from repair.errors import ConfigError, DataFormatError, InputNotFoundError


def expand(path: Path, suffix: str, option: str) -> list[Path]:
    """``[path]`` for a file; a folder's ``*<suffix>`` files, sorted, hidden ones left out."""
    if not path.exists():
        raise InputNotFoundError(f"{option}: {path} not found")
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.glob(f"*{suffix}") if p.is_file() and p.name[0] != ".")
    if not found:
        raise InputNotFoundError(f"{option}: no {suffix} files in the folder {path}")
    return found


def read_frame_attributes(paths: Sequence[Path]) -> dict[str, dict[str, str]]:
    """Frame name -> its weather, timeofday and scene (``undefined`` where the frame has
    none), over every label file, streamed."""
    return {frame.name: frame.attributes for path in paths for frame in iter_frames(path)}


def split_columns(paths: Sequence[Path]) -> dict[str, np.ndarray]:
    """Every per-image string key of the splits -> its values over all of them, in order
    (``undefined`` for the images of a split without the key); no images are read."""
    parts = []
    for path in paths:
        with SplitReader(path) as reader:
            parts.append((len(reader), string_keys(reader.extras())))
    keys = sorted({key for _, columns in parts for key in columns})
    return {
        key: np.concatenate(
            [columns.get(key, np.full(n, UNDEFINED, object)) for n, columns in parts]
        )
        for key in keys
    }


@dataclass(frozen=True)
class Query:
    """The label index to keep (None: every label) and the conditions the image must meet:
    on its frame's attributes in ``frames`` (frame name -> attributes), or on the split's own
    per-image keys when ``frames`` is None."""

    label: int | None = None
    conditions: tuple[Condition, ...] = ()
    frames: Mapping[str, Mapping[str, str]] | None = None
    label_source: str = ""

    def mask(self, batch: Batch, path: Path) -> np.ndarray:
        """(n,) bool: the images of ``batch`` (read from ``path``) that match."""
        keep = np.ones(len(batch), dtype=bool)
        if self.label is not None:
            keep &= batch.labels == self.label
        if self.conditions:
            rows = np.flatnonzero(keep)
            keep[rows] = condition_mask(
                self.conditions, self._columns(batch, rows, path), len(rows)
            )
        return keep

    def _columns(self, batch: Batch, rows: np.ndarray, path: Path) -> dict[str, np.ndarray]:
        """The conditions' keys -> their values at ``rows`` of ``batch``."""
        keys = [condition.key for condition in self.conditions]
        if self.frames is None:
            missing = np.full(len(rows), UNDEFINED, dtype=object)
            return {
                key: batch.extras[key][rows] if key in batch.extras else missing for key in keys
            }
        if batch.attribute_ids is None:
            raise DataFormatError(
                f"{path} has no attribute_ids (the source frame of each image), so its images "
                "cannot be matched to the frames of --scalabel_format_label_path"
            )
        found = []
        for row in rows:
            frame = batch.attribute_ids[row]
            if frame not in self.frames:
                raise DataFormatError(
                    f"frame {frame!r} of image {batch.start + row} of {path} (attribute_ids) is "
                    f"not in the label files {self.label_source}"
                )
            found.append(self.frames[frame])
        return {key: np.array([f.get(key, UNDEFINED) for f in found], dtype=object) for key in keys}


def make_query(
    *,
    info: SplitInfo,
    label: str | None,
    conditions: Sequence[Condition],
    label_paths: Sequence[Path],
    label_source: str,
    h5_paths: Sequence[Path],
) -> Query:
    """The :class:`Query`: ``label`` (class name or index in ``info``) resolved, and the
    conditions checked against the frames of the label files or, without any, the per-image
    keys of the splits ``h5_paths`` (ConfigError naming the keys and values that exist)."""
    index = None
    if label is not None:
        index = info.label_index(label)
        if index is None:
            known = ", ".join(info.class_name(i) for i in range(info.num_classes))
            raise ConfigError(f"--label {label!r} is not a class of {info.path}. Known: {known}")
    if not conditions:
        return Query(index)
    if not label_paths:
        columns = split_columns(h5_paths)
        check_conditions(conditions, columns, ", ".join(map(str, h5_paths)), "--attributes")
        return Query(index, tuple(conditions))
    frames = read_frame_attributes(label_paths)
    columns = {
        key: np.array([attributes[key] for attributes in frames.values()], dtype=object)
        for key in FRAME_ATTRIBUTES
    }
    check_conditions(conditions, columns, label_source, "--attributes")
    return Query(index, tuple(conditions), frames, label_source)


@dataclass
class Scan:
    """The split files read through a query: every image counted, the matched ones kept.

    true / predicted: (M,) label indices of the matched images (predicted: empty without a
    model); image_ids: their crop names (None when a file has none); files: the splits read.
    """

    info: SplitInfo
    total: int = 0
    true: list[np.ndarray] = field(default_factory=list)
    predicted: list[np.ndarray] = field(default_factory=list)
    image_ids: list[str] | None = field(default_factory=list)

    @property
    def matched(self) -> int:
        return int(sum(len(part) for part in self.true))

    def labels(self) -> tuple[np.ndarray, np.ndarray]:
        """(true, predicted) of the matched images, (M,) int each."""
        join = lambda parts: np.concatenate(parts) if parts else np.zeros(0, np.int64)  # noqa: E731
        return join(self.true).astype(np.int64), join(self.predicted).astype(np.int64)


def _check_same_classes(first: SplitInfo, info: SplitInfo) -> None:
    if (info.num_classes, info.class_names) != (first.num_classes, first.class_names):
        raise DataFormatError(
            f"{info.path} has {info.num_classes} classes {info.class_names or ''}, but "
            f"{first.path} has {first.num_classes} {first.class_names or ''}; "
            "--h5_dataset_path must hold splits of one dataset"
        )


def scan(
    paths: Sequence[Path],
    query_for: Callable[[SplitInfo], Query],
    predict: Callable[[SplitInfo, np.ndarray], np.ndarray] | None,
    batch_size: int,
) -> Scan:
    """Read every file of ``paths`` in batches, keep the images ``query_for(first file's info)``
    matches and, with ``predict(info, images) -> (n,) labels``, predict those."""
    result: Scan | None = None
    query: Query | None = None
    for path in paths:
        with SplitReader(path) as reader:
            if result is None:
                result, query = Scan(reader.info), query_for(reader.info)
            _check_same_classes(result.info, reader.info)
            with tqdm(total=len(reader), desc=path.name, unit="img", leave=False) as bar:
                for batch in reader.batches(batch_size):
                    result.total += len(batch)
                    chosen = batch.select(query.mask(batch, path))
                    result.true.append(chosen.labels)
                    if predict is not None:
                        result.predicted.append(predict(reader.info, chosen.images))
                    if chosen.image_ids is None:
                        result.image_ids = None
                    elif result.image_ids is not None:
                        result.image_ids.extend(str(name) for name in chosen.image_ids)
                    bar.update(len(batch))
    assert result is not None  # expand() never returns an empty list
    return result


def crop_index(folder: Path) -> dict[str, Path]:
    """Image file name -> path, for the images in ``folder`` and its sub-folders (one level:
    create_image_subset's flat folder or create_category_dir's folder per class)."""
    found: dict[str, Path] = {}
    for path in sorted([*folder.glob("*"), *folder.glob("*/*")]):
        if not (path.is_file() and is_image_name(path.name)):
            continue
        if path.name in found:
            raise DataFormatError(
                f"two images named {path.name} in {folder} ({found[path.name]} and {path}); "
                "a crop name must identify one image"
            )
        found[path.name] = path
    return found


def copy_crops(
    names: Sequence[str], targets: Sequence[Path], index: Mapping[str, Path], where: str
) -> list[str]:
    """Copy the crop of each name (checked plain; ``where`` names its source) to the folder
    beside it; return the names not found in ``index``."""
    missing = []
    for name, folder in zip(names, targets, strict=True):
        source = index.get(check_plain_name(name, where))
        if source is None:
            missing.append(name)
            continue
        with atomic_path(folder / name) as tmp:
            shutil.copyfile(source, tmp)
    return missing
