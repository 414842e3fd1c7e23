"""Image preprocessing shared by the file-based datasets: resize, equalise, decode in parallel.

The reference toolkit resizes every image and then equalises the histogram of the value (V)
channel of its HSV form, so that dark and bright scenes span the same range. We do the same
with Pillow: an anti-aliased (LANCZOS) resize on uint8 pixels, then ``ImageOps.equalize`` on V.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from repair.core.resources import check_fits
from repair.errors import ConfigError, DataFormatError, InputNotFoundError

T = TypeVar("T")
R = TypeVar("R")

SUBSETS = ("train", "test", "all")


# Bytes of one decoded image per pixel: 3 channels of float32, plus the uint8 decode and
# resize buffers beside it.
IMAGE_BYTES_PER_PIXEL = 3 * 4 * 2
# prepare loads a few images at once at least (see repair.datasets.packing.fitting_chunk).
MIN_IMAGES_IN_MEMORY = 8


def check_image_size(image_size: int) -> None:
    """A positive side whose images fit in memory, a few at a time."""
    if image_size < 1:
        raise ConfigError(f"--image_size must be a positive integer; got {image_size}")
    check_fits(
        f"--image_size={image_size}",
        MIN_IMAGES_IN_MEMORY * IMAGE_BYTES_PER_PIXEL * float(image_size) ** 2,
    )


def check_workers(workers: int) -> None:
    if workers < 0:
        raise ConfigError(f"--workers must be 0 (one per core) or more; got {workers}")


def check_subset(subset: str) -> None:
    if subset not in SUBSETS:
        raise ConfigError(f"--subset must be one of {', '.join(SUBSETS)}; got {subset!r}")


def open_rgb(path: Path, draft_side: int | None = None, context: str = "") -> Image.Image:
    """Decode the image file ``path`` as RGB.

    ``draft_side`` lets a JPEG decode at 1/2, 1/4 or 1/8 scale, no smaller than that side: far
    less work for large images that are resized down anyway. A missing file is an
    InputNotFoundError (``context`` says where it was listed), an unreadable one a
    DataFormatError, each naming the file.
    """
    try:
        with Image.open(path) as opened:
            if draft_side is not None:
                opened.draft("RGB", (draft_side, draft_side))
            return opened.convert("RGB")
    except FileNotFoundError:
        raise InputNotFoundError(f"missing image {path}{context}") from None
    except (UnidentifiedImageError, OSError) as error:
        raise DataFormatError(f"cannot read image {path}: {error}") from None


def equalize_value(image: Image.Image) -> Image.Image:
    """Histogram-equalise the V channel of ``image`` in HSV space; hue and saturation stay.

    A grey ('L') image is its own value channel and is equalised directly.
    """
    if image.mode == "L":
        return ImageOps.equalize(image)
    hue, saturation, value = image.convert("HSV").split()
    return Image.merge("HSV", (hue, saturation, ImageOps.equalize(value))).convert("RGB")


def centre_square(image: Image.Image) -> Image.Image:
    """The largest square in the centre of ``image``."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def to_array(image: Image.Image, size: int, equalize: bool) -> np.ndarray:
    """Resize ``image`` to ``size`` x ``size`` (anti-aliased), equalise it if asked, and return
    (size, size, C) float32 in [0, 1] with C = 3 for colour and 1 for grey images."""
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    if equalize:
        image = equalize_value(image)
    pixels = np.asarray(image, dtype=np.float32) / np.float32(255.0)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def arrays_to_images(
    pixels: np.ndarray, size: int, equalize: bool, rgb: bool = False
) -> np.ndarray:
    """(n, h, w) grey or (n, h, w, 3) colour uint8 pixels -> (n, size, size, C) float32.

    ``rgb`` repeats a grey channel three times (models built for colour inputs).
    """
    images = np.stack([to_array(Image.fromarray(p), size, equalize) for p in pixels])
    if rgb and images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images


@lru_cache(maxsize=4)
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="decode")


def parallel_map(function: Callable[[T], R], items: Iterable[T], workers: int = 0) -> list[R]:
    """``[function(item) for item in items]`` on a thread pool of ``workers`` (0: one per core).

    Pillow releases the GIL while it decodes, resizes and encodes, so threads run in parallel
    without the cost of sending pixels between processes.
    """
    workers = workers or os.cpu_count() or 1
    items = list(items)
    if workers == 1 or len(items) < 2:
        return [function(item) for item in items]
    return list(_pool(workers).map(function, items))
