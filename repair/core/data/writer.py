"""Writing a split file in gzip-compressed HDF5 chunks, renamed into place once complete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from repair.core.data.format import (
    ATTRIBUTE_IDS,
    CHUNK_BYTES,
    CLASS_NAMES,
    COMPRESSION,
    COMPRESSION_LEVEL,
    DEFAULT_CHUNK,
    IMAGE_IDS,
    IMAGES,
    LABELS,
    Batch,
    SplitInfo,
    check_extra_name,
    extra_dtype,
    extra_values,
    to_float_images,
    to_one_hot,
)
from repair.core.files import atomic_path
from repair.errors import DataFormatError


def chunk_rows(row_bytes: int, rows: int | None = None) -> int:
    """Rows per HDF5 chunk: about CHUNK_BYTES, at least 1, and never more than ``rows`` (the
    dataset's length where known) so a small split is not padded to a large chunk."""
    by_size = max(1, CHUNK_BYTES // max(1, row_bytes))
    return max(1, min(by_size, rows)) if rows is not None else by_size


class SplitWriter:
    """Append samples to a new split file in chunks; the file appears only when complete.

    The data goes to a hidden temporary file beside ``path`` that is renamed onto ``path`` when the
    ``with`` block ends without error, and removed otherwise. Datasets are gzip-compressed in
    chunks of about CHUNK_BYTES; the first chunk's worth of samples is held in memory, so a
    split smaller than one chunk gets a chunk of exactly its length.
    """

    def __init__(
        self,
        path: str | Path,
        image_shape: Sequence[int],
        num_classes: int,
        class_names: Sequence[str] | None = None,
        with_ids: bool = False,
        chunk_size: int | None = None,
        extras: Mapping[str, object] | None = None,
    ) -> None:
        """``extras`` declares extra per-image keys: name -> ``str`` or a numpy number type;
        every :meth:`append` then gives a value per image for each of them."""
        self.path = Path(path)
        self.extras = {check_extra_name(n): extra_dtype(k) for n, k in (extras or {}).items()}
        self.image_shape = tuple(int(d) for d in image_shape)
        self.num_classes = num_classes
        self.class_names = None if class_names is None else [str(n) for n in class_names]
        self.with_ids = with_ids
        row_bytes = int(np.prod(self.image_shape)) * np.dtype(np.float32).itemsize
        self.chunk_size = chunk_size or chunk_rows(row_bytes)
        self.count = 0
        self._pending: list[dict[str, np.ndarray]] = []
        self._pending_rows = 0
        self._created = False

    @classmethod
    def copying(
        cls, path: str | Path, info: SplitInfo, extras: Mapping[str, object]
    ) -> SplitWriter:
        """A writer for a copy (or a part) of the split ``info`` describes: its image shape,
        classes, names and ids, and the extra per-image keys ``extras`` (name -> type; a
        reader's :meth:`~repair.core.data.SplitReader.extra_dtypes` keeps them all)."""
        return cls(
            path, info.image_shape, info.num_classes, info.class_names, info.has_ids, extras=extras
        )

    def append_batch(self, batch: Batch, extras: Mapping[str, object] | None = None) -> None:
        """Add a batch read from a split, its ids and its extra keys (or ``extras`` instead)."""
        self.append(
            batch.images,
            batch.labels,
            batch.image_ids,
            batch.attribute_ids,
            batch.extras if extras is None else extras,
        )

    def __enter__(self) -> SplitWriter:
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        self._file = h5py.File(tmp, "w")
        if self.class_names is not None:
            self._file.attrs[CLASS_NAMES] = self.class_names
        return self

    def _create(self, chunk: int) -> None:
        """Create the datasets with chunks of ``chunk`` rows, gzip-compressed."""
        compressed = {"compression": COMPRESSION, "compression_opts": COMPRESSION_LEVEL}
        shapes = {IMAGES: self.image_shape, LABELS: (self.num_classes,)}
        for key, shape in shapes.items():
            self._file.create_dataset(
                key,
                shape=(0, *shape),
                maxshape=(None, *shape),
                dtype=np.float32,
                chunks=(chunk, *(max(1, d) for d in shape)),
                shuffle=True,
                **compressed,
            )
        if self.with_ids:
            for key in (IMAGE_IDS, ATTRIBUTE_IDS):
                self._file.create_dataset(
                    key,
                    shape=(0,),
                    maxshape=(None,),
                    dtype=h5py.string_dtype("utf-8"),
                    chunks=(max(1, min(chunk * 16, 4096)),),
                    **compressed,
                )
        for name, dtype in self.extras.items():
            self._file.create_dataset(
                name,
                shape=(0,),
                maxshape=(None,),
                dtype=dtype,
                chunks=(max(1, min(chunk * 16, 4096)),),
                **compressed,
            )
        self._created = True

    def append(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        image_ids: Sequence[str] | None = None,
        attribute_ids: Sequence[str] | None = None,
        extras: Mapping[str, object] | None = None,
    ) -> None:
        """Add samples: images (n, H, W, C), labels as indices (n,) or one-hot (n, K), and
        ``extras``: one (n,) array per extra key declared when the writer was made."""
        images = np.asarray(images)
        if tuple(images.shape[1:]) != self.image_shape:
            raise DataFormatError(
                f"images must have shape (n, {', '.join(map(str, self.image_shape))}); "
                f"got {images.shape} for {self.path}"
            )
        one_hot = to_one_hot(labels, self.num_classes)
        n = len(images)
        if len(one_hot) != n:
            raise DataFormatError(f"{n} images but {len(one_hot)} labels for {self.path}")
        extra_columns = self._check_extras(extras or {}, n)
        part = {IMAGES: to_float_images(images), LABELS: one_hot}
        if self.with_ids:
            for key, values in ((IMAGE_IDS, image_ids), (ATTRIBUTE_IDS, attribute_ids)):
                values = [""] * n if values is None else [str(v) for v in values]
                part[key] = np.array(values, dtype=object)
        part.update(extra_columns)
        self.count += n
        if self._created:
            self._write(part)
            return
        self._pending.append(part)
        self._pending_rows += n
        if self._pending_rows >= self.chunk_size:
            self._flush(self.chunk_size)

    def _check_extras(self, extras: Mapping[str, object], n: int) -> dict[str, np.ndarray]:
        if set(extras) != set(self.extras):
            raise DataFormatError(
                f"extra per-image keys must be {sorted(self.extras)} as declared; "
                f"got {sorted(extras)} for {self.path}"
            )
        values = {name: extra_values(extras[name], dtype) for name, dtype in self.extras.items()}
        for name, column in values.items():
            if column.shape != (n,):
                raise DataFormatError(
                    f"extra key '{name}' needs one value per image ({n}); "
                    f"got shape {column.shape} for {self.path}"
                )
        return values

    def _flush(self, chunk: int) -> None:
        self._create(chunk)
        pending, self._pending = self._pending, []
        for part in pending:
            self._write(part)

    def _write(self, part: dict[str, np.ndarray]) -> None:
        for key, values in part.items():
            dataset = self._file[key]
            start = dataset.shape[0]
            dataset.resize(start + len(values), axis=0)
            dataset[start:] = values

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            if exc_type is None and not self._created:
                self._flush(max(1, self.count))
        finally:
            self._file.close()
            self._atomic.__exit__(exc_type, exc, tb)


def write_split(
    path: str | Path,
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    image_ids: Sequence[str] | None = None,
    attribute_ids: Sequence[str] | None = None,
    extras: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write a whole split held in memory (tests, small sets); atomic like :class:`SplitWriter`.

    ``extras``: extra per-image key -> (N,) values; their types come from the arrays."""
    labels = np.asarray(labels)
    if num_classes is None:
        num_classes = (
            labels.shape[1]
            if labels.ndim == 2
            else len(class_names or []) or (int(labels.max()) + 1)
        )
    with_ids = image_ids is not None or attribute_ids is not None
    columns = {name: np.asarray(values) for name, values in (extras or {}).items()}
    kinds = {name: values.dtype for name, values in columns.items()}
    with SplitWriter(
        path, images.shape[1:], num_classes, class_names, with_ids, extras=kinds
    ) as writer:
        for start in range(0, len(images), DEFAULT_CHUNK):
            stop = start + DEFAULT_CHUNK
            writer.append(
                images[start:stop],
                labels[start:stop],
                None if image_ids is None else image_ids[start:stop],
                None if attribute_ids is None else attribute_ids[start:stop],
                {name: values[start:stop] for name, values in columns.items()},
            )
    return Path(path)
