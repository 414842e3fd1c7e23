"""What a split file holds (docs/formats.md): its keys, storage settings and types.

Also the header and batch types, and the conversions of images, labels and extra per-image keys
between memory and HDF5.

A split file holds ``images`` (N, H, W, C) in [0, 1] and ``labels`` (N, K) one-hot, optionally
``image_ids`` and ``attribute_ids`` (N,) UTF-8 strings and a ``class_names`` file attribute, and
optionally extra per-image keys: any other (N,) dataset of strings or numbers (``corruption``,
``intensity``, ``source_index``, ...) that says where each image came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from repair.errors import DataFormatError

IMAGES = "images"
LABELS = "labels"
IMAGE_IDS = "image_ids"
ATTRIBUTE_IDS = "attribute_ids"
CLASS_NAMES = "class_names"
DATASET_KEYS = (IMAGES, LABELS, IMAGE_IDS, ATTRIBUTE_IDS)
SPLIT_NAMES = ("train", "val", "test", "repair")
DEFAULT_CHUNK = 1024
RESERVED_KEYS = DATASET_KEYS
EXTRA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# HDF5 chunks of about this many bytes: small enough that reading one image at random
# decompresses little, large enough that gzip compresses well.
CHUNK_BYTES = 256 * 1024
COMPRESSION = "gzip"
COMPRESSION_LEVEL = 1  # level 4 saves 10% more bytes, but writes and reads 1.7x slower
# Deflate cannot shrink data more than about 1032:1, so a file storing S bytes of a dataset
# cannot hold more than this many times S of it: a header declaring more is corrupt or forged.
MAX_COMPRESSION_RATIO = 1100
SMALL_DATASET = 64 * 1024
# Pixels may carry float rounding from resizing just past the unit range.
PIXEL_TOLERANCE = 1e-5
# Decompressed chunks kept per open dataset: random batches (training) reuse them.
READ_CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SplitInfo:
    """What a split file holds, read from its header without loading the data."""

    path: Path
    num_samples: int
    image_shape: tuple[int, int, int]
    num_classes: int
    class_names: tuple[str, ...] | None
    has_ids: bool
    extras: tuple[str, ...] = ()

    def class_name(self, label: int) -> str:
        """The name of ``label``, or its number as text when the file names no classes."""
        if self.class_names is not None and 0 <= label < len(self.class_names):
            return self.class_names[label]
        return str(label)

    def label_index(self, text: str) -> int | None:
        """The label whose class name (case-insensitive) or index is ``text``, else None."""
        wanted = text.strip().lower()
        names = [self.class_name(i).lower() for i in range(self.num_classes)]
        if wanted in names:
            return names.index(wanted)
        if wanted.isdigit() and int(wanted) < self.num_classes:
            return int(wanted)
        return None


@dataclass
class Batch:
    """A run of consecutive samples of a split.

    images: (n, H, W, C) float32 in [0, 1]; labels: (n,) int64 class indices;
    image_ids / attribute_ids: (n,) str arrays, or None when the file has none;
    start: index of the first sample in the file;
    extras: extra per-image key -> (n,) array (str as object, or numbers).
    """

    images: np.ndarray
    labels: np.ndarray
    image_ids: np.ndarray | None = None
    attribute_ids: np.ndarray | None = None
    start: int = 0
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, mask: np.ndarray) -> Batch:
        """The samples where ``mask`` (a boolean array or index array) selects them."""
        return Batch(
            images=self.images[mask],
            labels=self.labels[mask],
            image_ids=None if self.image_ids is None else self.image_ids[mask],
            attribute_ids=None if self.attribute_ids is None else self.attribute_ids[mask],
            extras={name: values[mask] for name, values in self.extras.items()},
        )


def to_float_images(raw: np.ndarray) -> np.ndarray:
    """Images as float32 in [0, 1]: uint8 is scaled by 1/255, floats are cast."""
    if raw.dtype == np.uint8:
        return raw.astype(np.float32) / np.float32(255.0)
    return raw.astype(np.float32, copy=False)


def to_label_indices(labels: np.ndarray) -> np.ndarray:
    """Class indices (n,) from one-hot rows (n, K), or from indices already (n,)."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        return np.argmax(labels, axis=1).astype(np.int64)
    return labels.astype(np.int64)


def to_one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """One-hot float32 rows (n, K) from class indices (n,) or one-hot rows."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        return labels.astype(np.float32, copy=False)
    indices = labels.astype(np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise DataFormatError(
            f"labels must lie in [0, {num_classes - 1}]; got {indices.min()}..{indices.max()}"
        )
    return np.eye(num_classes, dtype=np.float32)[indices]


def decode_strings(values: np.ndarray) -> np.ndarray:
    """HDF5 strings (bytes or str) as an (n,) object array of str."""
    return np.array(
        [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values], dtype=object
    )


def check_extra_name(name: str) -> str:
    """An extra per-image key must be a plain identifier and not one of the split's own keys."""
    if not EXTRA_NAME.fullmatch(name) or name in RESERVED_KEYS:
        raise DataFormatError(
            f"an extra per-image key must be an identifier (letters, digits, _) other than "
            f"{', '.join(RESERVED_KEYS)}; got {name!r}"
        )
    return name


def extra_dtype(kind: object) -> np.dtype:
    """The HDF5 type of an extra key: ``str`` (or a numpy string type) gives UTF-8 strings,
    booleans, integers and floats keep their numpy type."""
    if kind is str:
        return h5py.string_dtype("utf-8")
    dtype = np.dtype(kind)
    if h5py.check_string_dtype(dtype) is not None or dtype.kind in "OUS":
        return h5py.string_dtype("utf-8")
    if dtype.kind not in "biuf":
        raise DataFormatError(f"extra per-image keys hold strings or numbers; got type {dtype}")
    return dtype


def extra_values(values: object, dtype: np.dtype) -> np.ndarray:
    """Values of an extra key as the array HDF5 stores for ``dtype`` (str as object)."""
    if h5py.check_string_dtype(dtype) is not None:
        return np.array([str(v) for v in np.asarray(values, dtype=object).ravel()], dtype=object)
    return np.asarray(values).astype(dtype, copy=False)


def read_class_names(file: h5py.File) -> tuple[str, ...] | None:
    """The ``class_names`` attribute of an open split file, or None when it has none."""
    names = file.attrs.get(CLASS_NAMES)
    if names is None:
        return None
    return tuple(decode_strings(np.atleast_1d(names)))
