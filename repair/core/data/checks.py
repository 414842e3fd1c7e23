"""Validating a split file: its header and labels when opened, the pixels of every batch read.

Each check raises :class:`DataFormatError` naming the file (and the first bad row), so a bad
split stops a command with one line rather than a raw HDF5 or numpy exception.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from repair.core.data.format import (
    ATTRIBUTE_IDS,
    DATASET_KEYS,
    EXTRA_NAME,
    IMAGE_IDS,
    IMAGES,
    LABELS,
    MAX_COMPRESSION_RATIO,
    PIXEL_TOLERANCE,
    RESERVED_KEYS,
    SMALL_DATASET,
    SplitInfo,
    read_class_names,
)
from repair.errors import DataFormatError


def validate_header(file: h5py.File, path: Path, allow_empty: bool = False) -> SplitInfo:
    """The header of the open split ``file`` at ``path``, refused when it lacks a key, its
    images and labels disagree, it declares more rows than it stores, it has no rows (unless
    ``allow_empty``), or a label is not one-hot (or not an index) of a known class."""
    missing = [key for key in (IMAGES, LABELS) if key not in file]
    if missing:
        raise DataFormatError(
            f"{path.name} has no '{missing[0]}' dataset (needs images, labels); file: {path}"
        )
    for key in DATASET_KEYS:
        if key in file and not isinstance(file[key], h5py.Dataset):
            raise DataFormatError(
                f"'{key}' in {path} is an HDF5 group; it must be a dataset (an array)"
            )
    images, labels = file[IMAGES], file[LABELS]
    if images.ndim != 4:
        raise DataFormatError(
            f"images must have shape (N, height, width, channels); got {images.shape} in {path}"
        )
    if images.dtype.kind not in "fu":
        raise DataFormatError(
            f"images must be numbers (float or uint8); got {images.dtype} in {path}"
        )
    if labels.dtype.kind not in "fiub":
        raise DataFormatError(
            f"labels must be numbers (one-hot rows or class indices); got {labels.dtype} in {path}"
        )
    if labels.ndim not in (1, 2) or len(labels) != len(images):
        raise DataFormatError(
            f"labels must have shape ({len(images)}, num_classes) to match the images; "
            f"got {labels.shape} in {path}"
        )
    for key in (IMAGE_IDS, ATTRIBUTE_IDS):
        if key in file and file[key].shape != (len(images),):
            raise DataFormatError(
                f"'{key}' must hold one name per image, shape ({len(images)},); got "
                f"{file[key].shape} in {path}"
            )
    for key in (IMAGES, LABELS):
        check_stored(file[key], key, path)
    if len(images) == 0 and not allow_empty:
        raise DataFormatError(f"{path} holds no samples (0 rows); it needs at least one")
    class_names = read_class_names(file)
    extras = tuple(
        sorted(
            name
            for name, item in file.items()
            if name not in RESERVED_KEYS
            and isinstance(item, h5py.Dataset)
            and item.shape == (len(images),)
            and EXTRA_NAME.fullmatch(name)
        )
    )
    # The whole label column is checked here (it is small beside the images), so a command
    # that reads only the header, or a sample of the rows, still refuses a bad label.
    try:
        values = labels[...]
    except OSError as error:
        raise DataFormatError(f"cannot read {path}: {error}") from None

    def first(bad: np.ndarray) -> int:
        return int(np.flatnonzero(bad)[0])

    if labels.ndim == 2:
        num_classes = labels.shape[1]
        if class_names is not None and num_classes != len(class_names):
            raise DataFormatError(
                f"labels have {num_classes} columns but the file names {len(class_names)} "
                f"classes in {path}"
            )
    elif class_names is not None:
        num_classes = len(class_names)
    else:
        # The class count comes from the largest index: refuse NaN, fractions and negative
        # indices first, or they would be a raw exception or a misleading class count.
        check_labels(path, values, first, first, None)
        num_classes = int(np.max(values)) + 1 if len(values) else 0
    check_labels(path, values, first, first, num_classes)
    return SplitInfo(
        path=path,
        num_samples=len(images),
        image_shape=tuple(images.shape[1:]),
        num_classes=num_classes,
        class_names=class_names,
        has_ids=IMAGE_IDS in file,
        extras=extras,
    )


def check_stored(dataset: h5py.Dataset, key: str, path: Path) -> None:
    """Refuse a header that declares more data than the file can hold (a 1 MB file
    declaring 2^40 rows), before anything iterates over it."""
    declared = int(np.prod(dataset.shape, dtype=np.float64)) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > MAX_COMPRESSION_RATIO * stored + SMALL_DATASET:
        raise DataFormatError(
            f"'{key}' in {path} declares {dataset.shape[0]} rows "
            f"({declared} bytes) but the file stores only {stored} bytes of it; "
            "the file is truncated or corrupt"
        )


def check_pixels(path: Path, images: np.ndarray, where: slice | np.ndarray) -> None:
    """Pixels finite and in [0, 1]; the error names the file and the first bad row. Checked
    per batch as it is read, so the images of a big file are never read twice (the labels,
    small, are checked whole when the file is opened)."""

    def row(bad: np.ndarray) -> int:
        first = int(np.flatnonzero(bad)[0])
        return (where.start or 0) + first if isinstance(where, slice) else int(where[first])

    def at(bad: np.ndarray) -> int:
        return int(np.flatnonzero(bad)[0])

    flat = images.reshape(len(images), -1)
    if flat.size and not _pixels_ok(flat):
        _pixel_error(path, flat, row, at)


def _pixels_ok(flat: np.ndarray) -> bool:
    """Fast path, two passes: NaN makes min and max NaN (every comparison False), an
    infinity lands outside the range."""
    low, high = float(flat.min()), float(flat.max())
    return low >= -PIXEL_TOLERANCE and high <= 1.0 + PIXEL_TOLERANCE


def _pixel_error(path: Path, flat: np.ndarray, row: Callable, at: Callable) -> None:
    finite = np.isfinite(flat).all(axis=1)
    if not finite.all():
        raise DataFormatError(
            f"images of {path} hold NaN or infinite pixels (first at row {row(~finite)})"
        )
    outside = (flat.min(axis=1, initial=0.0) < -PIXEL_TOLERANCE) | (
        flat.max(axis=1, initial=0.0) > 1.0 + PIXEL_TOLERANCE
    )
    if outside.any():
        raise DataFormatError(
            f"images of {path} must lie in [0, 1] (float) or be uint8; row "
            f"{row(outside)} has values in [{flat[at(outside)].min():g}, "
            f"{flat[at(outside)].max():g}]"
        )


def check_labels(
    path: Path, raw_labels: np.ndarray, row: Callable, at: Callable, num_classes: int | None
) -> None:
    """One-hot rows (a single 1, the rest 0), or whole class indices in [0, ``num_classes``)
    (any non-negative index while ``num_classes`` is not known yet)."""
    if raw_labels.ndim == 2:
        # Entries >= 0, the largest 1 and the sum 1: exactly one 1 and the rest 0 (NaN fails
        # every comparison); three reductions, several times faster than np.isin.
        one_hot = (
            (raw_labels.min(axis=1, initial=0) >= 0)
            & (raw_labels.max(axis=1, initial=0) == 1)
            & (raw_labels.sum(axis=1) == 1)
        )
        if not one_hot.all():
            raise DataFormatError(
                f"labels of {path} must be one-hot rows (a single 1, the rest 0); "
                f"row {row(~one_hot)} is {raw_labels[at(~one_hot)].tolist()}"
            )
        return
    whole = np.isfinite(raw_labels) & (np.mod(raw_labels, 1) == 0)
    known = whole & (raw_labels >= 0)
    if num_classes is not None:
        known &= raw_labels < num_classes
    if not known.all():
        names = f"the {num_classes} class names" if num_classes else "the classes"
        raise DataFormatError(
            f"label {raw_labels[at(~known)]:g} at row {row(~known)} of {path} "
            f"is not a class index within {names}"
        )
