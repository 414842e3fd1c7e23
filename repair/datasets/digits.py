"""The built-in dataset: scikit-learn's 1,797 handwritten digits (8x8, 10 classes).

Real images that ship inside the scikit-learn wheel, so the demo and the tests need no network.
``--image_size`` resizes them (bilinear) for architectures that need larger inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from repair.datasets.base import DatasetPlugin, SampleIndex
from repair.datasets.preprocess import check_image_size

NATIVE_SIZE = 8
MAX_PIXEL = 16.0


@dataclass(frozen=True)
class DigitsOptions:
    image_size: int = field(default=NATIVE_SIZE, metadata={"help": "Side of the square images."})
    rgb: bool = field(default=False, metadata={"help": "Repeat the grey channel three times."})

    def __post_init__(self) -> None:
        check_image_size(self.image_size)


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of (n, h, w, c) float images to (n, size, size, c)."""
    if images.shape[1:3] == (size, size):
        return images
    from PIL import Image

    resized = [
        np.stack(
            [
                np.asarray(
                    Image.fromarray(image[..., c]).resize((size, size), Image.Resampling.BILINEAR)
                )
                for c in range(image.shape[-1])
            ],
            axis=-1,
        )
        for image in images
    ]
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


class DigitsDataset(DatasetPlugin):
    name = "digits"
    options_class = DigitsOptions
    needs_input_dir = False
    description = "scikit-learn's 1,797 handwritten digits, 8x8 grey, 10 classes (built in)."
    options: DigitsOptions

    @cached_property
    def _digits(self):  # noqa: ANN202 - a sklearn Bunch
        from sklearn.datasets import load_digits

        return load_digits()

    def index(self) -> SampleIndex:
        targets = np.asarray(self._digits.target, dtype=np.int64)
        ids = np.array([f"digit_{k:04d}" for k in range(len(targets))], dtype=object)
        return SampleIndex(
            labels=targets,
            class_names=tuple(str(d) for d in range(10)),
            image_ids=ids,
            attribute_ids=ids.copy(),
        )

    def load(self, positions: np.ndarray) -> np.ndarray:
        images = (self._digits.images[positions] / MAX_PIXEL).astype(np.float32)[..., None]
        images = resize_images(images, self.options.image_size)
        if self.options.rgb:
            images = np.repeat(images, 3, axis=-1)
        return images
