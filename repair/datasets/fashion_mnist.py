"""``repair prepare fashion-mnist``: Zalando's Fashion-MNIST from its four idx files.

The input folder holds the files as downloaded (``train-images-idx3-ubyte.gz``,
``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``),
gzipped or not. The idx format (http://yann.lecun.com/exdb/mnist/): a big-endian magic number
``0x0000 08 NN`` (unsigned bytes, NN dimensions), NN big-endian uint32 sizes, then the bytes.
Both files of a part are read whole (70,000 images are 55 MB); pixels are scaled on demand.
As in the reference toolkit (and the gtsrb and cifar-10 plugins), each image's histogram is
equalised by default; ``--image_size=32 --rgb`` gives the reference's 32x32x3 images.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from repair.datasets.base import DatasetPlugin, SampleIndex
from repair.datasets.preprocess import arrays_to_images, check_image_size, check_subset
from repair.errors import DataFormatError

NATIVE_SIZE = 28
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# part -> (images file, labels file), as named in the official download.
PARTS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
UBYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class FashionMnistOptions:
    image_size: int = field(
        default=NATIVE_SIZE, metadata={"help": "Side of the square images (28 is native)."}
    )
    rgb: bool = field(default=False, metadata={"help": "Repeat the grey channel three times."})
    equalize: bool = field(
        default=True, metadata={"help": "Equalise each image's histogram (as the reference)."}
    )
    subset: str = field(
        default="all", metadata={"help": "Official part(s) to use: train, test or all."}
    )

    def __post_init__(self) -> None:
        check_image_size(self.image_size)
        check_subset(self.subset)


def read_bytes(path: Path) -> bytes:
    """The content of ``path``, gunzipped when it starts with the gzip magic bytes."""
    data = path.read_bytes()
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DataFormatError(f"{path} is a corrupt gzip file: {error}") from None


def parse_idx(data: bytes, ndim: int, source: Path) -> np.ndarray:
    """An idx file of unsigned bytes with ``ndim`` dimensions -> uint8 array of that shape."""
    header = 4 + 4 * ndim
    expected_magic = (UBYTE << 8) | ndim
    if len(data) < 4:
        raise DataFormatError(f"{source} is too short for an idx file ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic != expected_magic:
        raise DataFormatError(
            f"{source} has magic number 0x{magic:08x}; an idx file of {ndim}-d unsigned "
            f"bytes has 0x{expected_magic:08x}"
        )
    if len(data) < header:
        raise DataFormatError(f"{source} is truncated inside its idx header")
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", count=ndim, offset=4))
    size = int(np.prod(shape))
    if len(data) - header != size:
        raise DataFormatError(
            f"{source} holds {len(data) - header} data bytes; its header {shape} needs {size}"
            + (" (truncated)" if len(data) - header < size else "")
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def find_idx(folder: Path, name: str) -> Path | None:
    """``name.gz`` or ``name`` in ``folder``, whichever exists."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def read_part(folder: Path, part: str) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 images and (n,) int64 labels of one official part."""
    image_name, label_name = PARTS[part]
    image_path, label_path = find_idx(folder, image_name), find_idx(folder, label_name)
    images = parse_idx(read_bytes(image_path), 3, image_path)
    labels = parse_idx(read_bytes(label_path), 1, label_path).astype(np.int64)
    if len(images) != len(labels):
        raise DataFormatError(
            f"{image_path.name} has {len(images)} images but {label_path.name} has "
            f"{len(labels)} labels; folder: {folder}"
        )
    if len(labels) and labels.max() >= len(CLASS_NAMES):
        raise DataFormatError(
            f"{label_path} has label {labels.max()}; Fashion-MNIST labels are 0-9"
        )
    return images, labels


def check_files(folder: Path, parts: tuple[str, ...]) -> None:
    """Raise one error naming every idx file of ``parts`` that is not in ``folder``."""
    missing = [
        f"{name}.gz" for part in parts for name in PARTS[part] if find_idx(folder, name) is None
    ]
    if missing:
        raise DataFormatError(
            f"missing Fashion-MNIST file(s) {', '.join(missing)} (gzipped or not) in {folder}"
        )


def read_parts(folder: Path, parts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(N, 28, 28) uint8 images, (N,) int64 labels and the part of each, ``parts`` in order."""
    check_files(folder, parts)
    read = {part: read_part(folder, part) for part in parts}
    shapes = {images.shape[1:] for images, _ in read.values()}
    if len(shapes) > 1:
        raise DataFormatError(f"the idx image files differ in size {sorted(shapes)}: {folder}")
    return (
        np.concatenate([images for images, _ in read.values()]),
        np.concatenate([labels for _, labels in read.values()]),
        [part for part, (_, labels) in read.items() for _ in range(len(labels))],
    )


class FashionMnistDataset(DatasetPlugin):
    name = "fashion-mnist"
    options_class = FashionMnistOptions
    description = "Fashion-MNIST from its four idx files (.gz or not), 28x28 grey, 10 classes."
    options: FashionMnistOptions

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(PARTS) if self.options.subset == "all" else (self.options.subset,)

    @cached_property
    def _data(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        return read_parts(self.input_dir, self.parts)

    def index(self) -> SampleIndex:
        """Train then test samples; ids ``train_00012``, attribute_ids the part name."""
        _, labels, parts = self._data
        counters = dict.fromkeys(PARTS, 0)
        image_ids = []
        for part in parts:
            image_ids.append(f"{part}_{counters[part]:05d}")
            counters[part] += 1
        return SampleIndex(
            labels=labels,
            class_names=CLASS_NAMES,
            image_ids=np.array(image_ids, dtype=object),
            attribute_ids=np.array(parts, dtype=object),
        )

    def load(self, positions: np.ndarray) -> np.ndarray:
        """(n, image_size, image_size, 1 or 3) float32 in [0, 1]."""
        options = self.options
        return arrays_to_images(
            self._data[0][positions], options.image_size, options.equalize, options.rgb
        )
