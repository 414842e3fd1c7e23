"""Reading a split file: open and validate it, then read it whole, in batches or at indices."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import h5py
import numpy as np

from repair.core.data.checks import check_pixels, validate_header
from repair.core.data.format import (
    ATTRIBUTE_IDS,
    DATASET_KEYS,
    IMAGE_IDS,
    IMAGES,
    LABELS,
    READ_CACHE_BYTES,
    Batch,
    SplitInfo,
    decode_strings,
    extra_dtype,
    to_float_images,
    to_label_indices,
)
from repair.errors import DataFormatError, InputNotFoundError


class SplitReader:
    """Open, validate and read a split file in batches.

    Use as a context manager; the constructor raises :class:`DataFormatError` naming the file
    when it is not HDF5, lacks a key, its images and labels disagree, its header declares more
    rows than it stores, it has no rows (unless ``allow_empty``), or a label is not one-hot of a
    known class. Every batch read is checked too: finite pixels in [0, 1].
    """

    def __init__(self, path: str | Path, allow_empty: bool = False) -> None:
        self.path = Path(path)
        self.allow_empty = allow_empty
        if not self.path.exists():
            raise InputNotFoundError(f"data file not found: {self.path}")
        if self.path.is_dir():
            raise DataFormatError(f"expected an HDF5 file, got a folder: {self.path}")
        try:
            self._file = h5py.File(self.path, "r", rdcc_nbytes=READ_CACHE_BYTES, rdcc_nslots=10007)
        except OSError:
            raise DataFormatError(f"not a readable HDF5 file: {self.path}") from None
        try:
            self.info = validate_header(self._file, self.path, allow_empty)
            # Held open: HDF5 keeps its chunk cache per open dataset, lost on reopening.
            self._datasets = {key: self._file[key] for key in DATASET_KEYS if key in self._file}
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> SplitReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def __len__(self) -> int:
        return self.info.num_samples

    def read(self, start: int = 0, stop: int | None = None) -> Batch:
        """Samples ``start`` to ``stop`` (exclusive) as one :class:`Batch`."""
        stop = self.info.num_samples if stop is None else min(stop, self.info.num_samples)
        return self._batch(slice(start, stop), start)

    def read_indices(self, indices: Sequence[int] | np.ndarray) -> Batch:
        """Samples at ``indices``, in the order given (h5py needs them sorted; we reorder)."""
        indices = np.asarray(indices, dtype=np.int64)
        order = np.argsort(indices, kind="stable")
        sorted_indices = indices[order]
        unique, inverse = np.unique(sorted_indices, return_inverse=True)
        batch = self._batch(unique, 0)
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return batch.select(inverse[back])

    def _batch(self, where: slice | np.ndarray, start: int) -> Batch:
        try:
            raw_images = self._datasets[IMAGES][where]
            raw_labels = self._datasets[LABELS][where]
            images = to_float_images(raw_images)
            check_pixels(self.path, images, where)
            labels = to_label_indices(raw_labels)
            ids = {
                key: decode_strings(self._datasets[key][where])
                for key in (IMAGE_IDS, ATTRIBUTE_IDS)
                if key in self._datasets
            }
            extras = {name: self._read_extra(name, where) for name in self.info.extras}
        except OSError as error:
            raise DataFormatError(f"cannot read {self.path}: {error}") from None
        return Batch(images, labels, ids.get(IMAGE_IDS), ids.get(ATTRIBUTE_IDS), start, extras)

    def _read_extra(self, name: str, where: slice | np.ndarray) -> np.ndarray:
        dataset = self._file[name]
        values = dataset[where]
        if h5py.check_string_dtype(dataset.dtype) is not None:
            return decode_strings(values)
        return values

    def extra_dtypes(self) -> dict[str, np.dtype]:
        """Extra per-image key -> its type, to give a :class:`SplitWriter` that copies them."""
        return {name: extra_dtype(self._file[name].dtype) for name in self.info.extras}

    def extra(self, name: str) -> np.ndarray:
        """The whole extra per-image key ``name`` (N,), without loading images."""
        if name not in self.info.extras:
            available = ", ".join(self.info.extras) or "none"
            raise DataFormatError(
                f"{self.path.name} has no per-image key '{name}' (has: {available}); "
                f"file: {self.path}"
            )
        try:
            return self._read_extra(name, slice(None))
        except OSError as error:
            raise DataFormatError(f"cannot read {self.path}: {error}") from None

    def extras(self) -> dict[str, np.ndarray]:
        """Every extra per-image key of the file -> its values (N,)."""
        return {name: self.extra(name) for name in self.info.extras}

    def batches(self, batch_size: int) -> Iterator[Batch]:
        """Consecutive batches of at most ``batch_size`` samples covering the whole split."""
        for start in range(0, self.info.num_samples, batch_size):
            yield self.read(start, start + batch_size)

    def labels(self) -> np.ndarray:
        """All class indices (N,), without loading images."""
        raw = self._datasets[LABELS][...]  # checked when the file was opened
        return to_label_indices(raw)


def inspect_split(path: str | Path) -> SplitInfo:
    """Validate a split file and return its header."""
    with SplitReader(path) as reader:
        return reader.info


def read_split(path: str | Path) -> Batch:
    """The whole split in memory; for small files (tests, sampled positives)."""
    with SplitReader(path) as reader:
        return reader.read()
