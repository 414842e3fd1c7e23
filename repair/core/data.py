"""HDF5 dataset splits (docs/formats.md): validated reading in batches, chunked atomic writing.

A split file holds ``images`` (N, H, W, C) in [0, 1] and ``labels`` (N, K) one-hot, optionally
``image_ids`` and ``attribute_ids`` (N,) UTF-8 strings and a ``class_names`` file attribute, and
optionally extra per-image keys: any other (N,) dataset of strings or numbers (``corruption``,
``intensity``, ``source_index``, ...) that says where each image came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from repair.core.files import atomic_path
from repair.errors import DataFormatError, InputNotFoundError

IMAGES = "images"
LABELS = "labels"
IMAGE_IDS = "image_ids"
ATTRIBUTE_IDS = "attribute_ids"
CLASS_NAMES = "class_names"
DATASET_KEYS = (IMAGES, LABELS, IMAGE_IDS, ATTRIBUTE_IDS)
SPLIT_NAMES = ("train", "val", "test", "repair")
DEFAULT_CHUNK = 1024
RESERVED_KEYS = DATASET_KEYS
_EXTRA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
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


def _decode_strings(values: np.ndarray) -> np.ndarray:
    return np.array(
        [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values], dtype=object
    )


def check_extra_name(name: str) -> str:
    """An extra per-image key must be a plain identifier and not one of the split's own keys."""
    if not _EXTRA_NAME.fullmatch(name) or name in RESERVED_KEYS:
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


def _extra_values(values: object, dtype: np.dtype) -> np.ndarray:
    if h5py.check_string_dtype(dtype) is not None:
        return np.array([str(v) for v in np.asarray(values, dtype=object).ravel()], dtype=object)
    return np.asarray(values).astype(dtype, copy=False)


def _read_class_names(file: h5py.File) -> tuple[str, ...] | None:
    names = file.attrs.get(CLASS_NAMES)
    if names is None:
        return None
    return tuple(_decode_strings(np.atleast_1d(names)))


class SplitReader:
    """Open, validate and read a split file in batches.

    Use as a context manager; the constructor raises :class:`DataFormatError` naming the file
    when it is not HDF5, lacks a key, its images and labels disagree, its header declares more
    rows than it stores, or it has no rows (unless ``allow_empty``). Every batch read is checked
    too: finite pixels in [0, 1], one-hot labels of a known class.
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
            self.info = self._validate()
            # Held open: HDF5 keeps its chunk cache per open dataset, lost on reopening.
            self._datasets = {key: self._file[key] for key in DATASET_KEYS if key in self._file}
        except BaseException:
            self._file.close()
            raise

    def _validate(self) -> SplitInfo:
        missing = [key for key in (IMAGES, LABELS) if key not in self._file]
        if missing:
            raise DataFormatError(
                f"{self.path.name} has no '{missing[0]}' dataset (needs images, labels); "
                f"file: {self.path}"
            )
        for key in DATASET_KEYS:
            if key in self._file and not isinstance(self._file[key], h5py.Dataset):
                raise DataFormatError(
                    f"'{key}' in {self.path} is an HDF5 group; it must be a dataset (an array)"
                )
        images, labels = self._file[IMAGES], self._file[LABELS]
        if images.ndim != 4:
            raise DataFormatError(
                f"images must have shape (N, height, width, channels); got {images.shape} "
                f"in {self.path}"
            )
        if images.dtype.kind not in "fu":
            raise DataFormatError(
                f"images must be numbers (float or uint8); got {images.dtype} in {self.path}"
            )
        if labels.dtype.kind not in "fiub":
            raise DataFormatError(
                f"labels must be numbers (one-hot rows or class indices); got {labels.dtype} "
                f"in {self.path}"
            )
        if labels.ndim not in (1, 2) or len(labels) != len(images):
            raise DataFormatError(
                f"labels must have shape ({len(images)}, num_classes) to match the images; "
                f"got {labels.shape} in {self.path}"
            )
        for key in (IMAGE_IDS, ATTRIBUTE_IDS):
            if key in self._file and self._file[key].shape != (len(images),):
                raise DataFormatError(
                    f"'{key}' must hold one name per image, shape ({len(images)},); got "
                    f"{self._file[key].shape} in {self.path}"
                )
        for key in (IMAGES, LABELS):
            self._check_stored(key)
        if len(images) == 0 and not self.allow_empty:
            raise DataFormatError(f"{self.path} holds no samples (0 rows); it needs at least one")
        class_names = _read_class_names(self._file)
        extras = tuple(
            sorted(
                name
                for name, item in self._file.items()
                if name not in RESERVED_KEYS
                and isinstance(item, h5py.Dataset)
                and item.shape == (len(images),)
                and _EXTRA_NAME.fullmatch(name)
            )
        )
        if labels.ndim == 2:
            num_classes = labels.shape[1]
            if class_names is not None and num_classes != len(class_names):
                raise DataFormatError(
                    f"labels have {num_classes} columns but the file names {len(class_names)} "
                    f"classes in {self.path}"
                )
        elif class_names is not None:
            num_classes = len(class_names)
        else:
            # The class count comes from the largest index: refuse NaN, fractions and negative
            # indices first, or they would be a raw exception or a misleading class count.
            values = labels[...]

            def first(bad: np.ndarray) -> int:
                return int(np.flatnonzero(bad)[0])

            self._check_labels(values, first, first)
            num_classes = int(np.max(values)) + 1 if len(values) else 0
        return SplitInfo(
            path=self.path,
            num_samples=len(images),
            image_shape=tuple(images.shape[1:]),
            num_classes=num_classes,
            class_names=class_names,
            has_ids=IMAGE_IDS in self._file,
            extras=extras,
        )

    def _check_stored(self, key: str) -> None:
        """Refuse a header that declares more data than the file can hold (a 1 MB file
        declaring 2^40 rows), before anything iterates over it."""
        dataset = self._file[key]
        declared = int(np.prod(dataset.shape, dtype=np.float64)) * dataset.dtype.itemsize
        stored = dataset.id.get_storage_size()
        if declared > MAX_COMPRESSION_RATIO * stored + SMALL_DATASET:
            raise DataFormatError(
                f"'{key}' in {self.path} declares {dataset.shape[0]} rows "
                f"({declared} bytes) but the file stores only {stored} bytes of it; "
                "the file is truncated or corrupt"
            )

    def _check_batch(
        self, images: np.ndarray, raw_labels: np.ndarray, where: slice | np.ndarray
    ) -> None:
        """Pixels finite and in [0, 1], labels one-hot (or indices) of a known class; the
        error names the file and the first bad row. Checked per batch as it is read, so a
        big file is never read twice."""

        def row(bad: np.ndarray) -> int:
            first = int(np.flatnonzero(bad)[0])
            return (where.start or 0) + first if isinstance(where, slice) else int(where[first])

        def at(bad: np.ndarray) -> int:
            return int(np.flatnonzero(bad)[0])

        flat = images.reshape(len(images), -1)
        if flat.size and not self._pixels_ok(flat):
            self._pixel_error(flat, row, at)
        self._check_labels(raw_labels, row, at)

    @staticmethod
    def _pixels_ok(flat: np.ndarray) -> bool:
        """Fast path, two passes: NaN makes min and max NaN (every comparison False), an
        infinity lands outside the range."""
        low, high = float(flat.min()), float(flat.max())
        return low >= -PIXEL_TOLERANCE and high <= 1.0 + PIXEL_TOLERANCE

    def _pixel_error(self, flat: np.ndarray, row: Callable, at: Callable) -> None:
        finite = np.isfinite(flat).all(axis=1)
        if not finite.all():
            raise DataFormatError(
                f"images of {self.path} hold NaN or infinite pixels (first at row {row(~finite)})"
            )
        outside = (flat.min(axis=1, initial=0.0) < -PIXEL_TOLERANCE) | (
            flat.max(axis=1, initial=0.0) > 1.0 + PIXEL_TOLERANCE
        )
        if outside.any():
            raise DataFormatError(
                f"images of {self.path} must lie in [0, 1] (float) or be uint8; row "
                f"{row(outside)} has values in [{flat[at(outside)].min():g}, "
                f"{flat[at(outside)].max():g}]"
            )

    def _check_labels(self, raw_labels: np.ndarray, row: Callable, at: Callable) -> None:
        num_classes = self.info.num_classes if hasattr(self, "info") else None
        if raw_labels.ndim == 2:
            one_hot = np.isin(raw_labels, (0, 1)).all(axis=1) & (raw_labels.sum(axis=1) == 1)
            if not one_hot.all():
                raise DataFormatError(
                    f"labels of {self.path} must be one-hot rows (a single 1, the rest 0); "
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
                f"label {raw_labels[at(~known)]:g} at row {row(~known)} of {self.path} "
                f"is not a class index within {names}"
            )

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
            self._check_batch(images, raw_labels, where)
            labels = to_label_indices(raw_labels)
            ids = {
                key: _decode_strings(self._datasets[key][where])
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
            return _decode_strings(values)
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
        raw = self._datasets[LABELS][...]
        self._check_batch(np.zeros((len(raw), 0), np.float32), raw, slice(0, len(raw)))
        return to_label_indices(raw)


def inspect_split(path: str | Path) -> SplitInfo:
    """Validate a split file and return its header."""
    with SplitReader(path) as reader:
        return reader.info


def read_split(path: str | Path) -> Batch:
    """The whole split in memory; for small files (tests, sampled positives)."""
    with SplitReader(path) as reader:
        return reader.read()


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
        extra_values = self._check_extras(extras or {}, n)
        part = {IMAGES: to_float_images(images), LABELS: one_hot}
        if self.with_ids:
            for key, values in ((IMAGE_IDS, image_ids), (ATTRIBUTE_IDS, attribute_ids)):
                values = [""] * n if values is None else [str(v) for v in values]
                part[key] = np.array(values, dtype=object)
        part.update(extra_values)
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
        values = {name: _extra_values(extras[name], dtype) for name, dtype in self.extras.items()}
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
