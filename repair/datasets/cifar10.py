"""CIFAR-10 (60,000 32x32 colour images, 10 classes) from the official python-version batches.

``--input_dir`` holds ``cifar-10-python.tar.gz`` as downloaded, or the extracted
``cifar-10-batches-py/`` folder (or is that folder): ``data_batch_1`` ... ``data_batch_5``,
and ``test_batch`` (``batches.meta`` is not needed). Each batch is a pickled dict with
``data`` (10000, 3072) uint8 (the 1024 red, then green, then blue values of each image, row by
row), ``labels`` and ``filenames``. As in the reference toolkit, the value channel is
equalised by default.

The batches are pickles: they are read with an unpickler that only builds numpy arrays, so a
tampered file cannot run code.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from repair.datasets.base import DatasetPlugin, SampleIndex
from repair.datasets.preprocess import arrays_to_images, check_image_size, check_subset
from repair.errors import DataFormatError, InputNotFoundError

CIFAR_CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
ARCHIVE = "cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
BATCHES = {"train": tuple(f"data_batch_{k}" for k in range(1, 6)), "test": ("test_batch",)}
SIDE = 32
# What the official batches need: numpy arrays (the pickles date from numpy 1.x and Python 2).
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


@dataclass(frozen=True)
class Cifar10Options:
    subset: str = field(
        default="all",
        metadata={"help": "Official batches to read: train, test or all (both, then split)."},
    )
    image_size: int = field(default=SIDE, metadata={"help": "Side of the square images."})
    equalize: bool = field(
        default=True, metadata={"help": "Equalise the HSV value channel's histogram."}
    )

    def __post_init__(self) -> None:
        check_subset(self.subset)
        check_image_size(self.image_size)


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def unpickle(data: bytes, where: str) -> dict[str, Any]:
    """A CIFAR batch's dict, with its byte-string keys decoded."""
    try:
        raw = _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise DataFormatError(f"{where} is not a CIFAR-10 python batch: {error}") from None
    if not isinstance(raw, dict):
        raise DataFormatError(f"{where} is not a CIFAR-10 python batch (not a dict)")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}


class BatchSource:
    """The batch files of ``input_dir``, from the archive or the extracted folder."""

    def __init__(self, input_dir: Path) -> None:
        for folder in (input_dir, input_dir / FOLDER):
            if (folder / "test_batch").is_file() or (folder / "data_batch_1").is_file():
                self.folder, self.archive = folder, None
                return
        if (input_dir / ARCHIVE).is_file():
            self.folder, self.archive = None, input_dir / ARCHIVE
            return
        raise InputNotFoundError(
            f"no CIFAR-10 files in {input_dir}: expected {ARCHIVE} or {FOLDER}/ "
            "(data_batch_1..5, test_batch, batches.meta)"
        )

    def read(self, names: tuple[str, ...]) -> dict[str, bytes]:
        """The bytes of each named batch; a missing one is an error naming it."""
        if self.folder is not None:
            missing = [n for n in names if not (self.folder / n).is_file()]
            if missing:
                raise InputNotFoundError(f"missing {self.folder / missing[0]}")
            return {name: (self.folder / name).read_bytes() for name in names}
        found = {}
        try:
            with tarfile.open(self.archive, "r:gz") as archive:
                for member in archive:
                    name = Path(member.name).name
                    if member.isfile() and name in names:
                        found[name] = archive.extractfile(member).read()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise DataFormatError(f"cannot read {self.archive}: {error}") from None
        missing = [n for n in names if n not in found]
        if missing:
            raise InputNotFoundError(f"{self.archive} has no {missing[0]}")
        return found


def decode_batch(batch: dict[str, Any], where: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images (n, 32, 32, 3) uint8, labels (n,) int64 and file names of one batch."""
    try:
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in batch["filenames"]]
        images = data.reshape(len(data), 3, SIDE, SIDE).transpose(0, 2, 3, 1)
    except (KeyError, ValueError, TypeError) as error:
        raise DataFormatError(
            f"{where} is not a CIFAR-10 python batch (needs data (n, 3072), labels, filenames): "
            f"{error}"
        ) from None
    if len(labels) != len(images) or len(names) != len(images):
        raise DataFormatError(f"{where}: {len(images)} images but {len(labels)} labels")
    if labels.size and not 0 <= labels.min() <= labels.max() < len(CIFAR_CLASSES):
        raise DataFormatError(f"{where} has labels outside 0-9")
    return images, labels, names


class Cifar10Dataset(DatasetPlugin):
    name = "cifar-10"
    options_class = Cifar10Options
    description = "CIFAR-10 from the python-version batches (.tar.gz or extracted), 10 classes."
    options: Cifar10Options

    @cached_property
    def _data(self) -> tuple[np.ndarray, SampleIndex]:
        """Images (N, 32, 32, 3) uint8 and their index: ids ``<batch>/<file name>``, attributes
        the official part (``train`` or ``test``)."""
        parts = ("train", "test") if self.options.subset == "all" else (self.options.subset,)
        wanted = tuple(name for part in parts for name in BATCHES[part])
        raw = BatchSource(self.input_dir).read(wanted)
        images, labels, ids, names = [], [], [], []
        for part in parts:
            for batch_name in BATCHES[part]:
                batch = decode_batch(unpickle(raw.pop(batch_name), batch_name), batch_name)
                images.append(batch[0])
                labels.append(batch[1])
                ids += [f"{batch_name}/{file}" for file in batch[2]]
                names += [part] * len(batch[1])
        index = SampleIndex(
            np.concatenate(labels),
            CIFAR_CLASSES,
            image_ids=np.array(ids, dtype=object),
            attribute_ids=np.array(names, dtype=object),
        )
        return np.concatenate(images), index

    def index(self) -> SampleIndex:
        return self._data[1]

    def load(self, positions: np.ndarray) -> np.ndarray:
        """(n, image_size, image_size, 3) float32."""
        images = self._data[0][positions]
        return arrays_to_images(images, self.options.image_size, self.options.equalize)
