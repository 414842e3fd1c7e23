"""The corruption registry: name -> category and function, and one seeded entry point.

The 15 common corruptions of Hendrycks & Dietterich (ICLR 2019) and their 4 extra ones, with
the constants of CIFAR-10-C (``preset="cifar"``, for small images) or ImageNet-C
(``preset="imagenet"``, for images of 64 px and more). Frost is not here: it blends in
photographs of frost whose licence we could not check, and we do not fake it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from repair.errors import ConfigError, DataFormatError
from repair.robustness import (
    corruptions_blur,
    corruptions_digital,
    corruptions_noise,
    corruptions_weather,
)
from repair.robustness.presets import IMAGENET_MIN_SIDE, INTENSITIES, PRESETS, strength

CATEGORIES = ("noise", "blur", "weather", "digital")
Function = Callable[[np.ndarray, object, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Corruption:
    """One corruption: its file-name spelling, ImageNet-C category, and whether it is one of the
    common 15 (else one of the 4 extra ones)."""

    name: str
    category: str
    common: bool
    function: Function


def _entries() -> dict[str, Corruption]:
    table = [
        ("gaussian_noise", "noise", True, corruptions_noise.gaussian_noise),
        ("shot_noise", "noise", True, corruptions_noise.shot_noise),
        ("impulse_noise", "noise", True, corruptions_noise.impulse_noise),
        ("defocus_blur", "blur", True, corruptions_blur.defocus_blur),
        ("glass_blur", "blur", True, corruptions_blur.glass_blur),
        ("motion_blur", "blur", True, corruptions_blur.motion_blur),
        ("zoom_blur", "blur", True, corruptions_blur.zoom_blur),
        ("snow", "weather", True, corruptions_weather.snow),
        ("fog", "weather", True, corruptions_weather.fog),
        ("brightness", "weather", True, corruptions_weather.brightness),
        ("contrast", "digital", True, corruptions_digital.contrast),
        ("elastic_transform", "digital", True, corruptions_digital.elastic_transform),
        ("pixelate", "digital", True, corruptions_digital.pixelate),
        ("jpeg_compression", "digital", True, corruptions_digital.jpeg_compression),
        ("speckle_noise", "noise", False, corruptions_noise.speckle_noise),
        ("gaussian_blur", "blur", False, corruptions_blur.gaussian_blur),
        ("spatter", "weather", False, corruptions_weather.spatter),
        ("saturate", "digital", False, corruptions_digital.saturate),
    ]
    return {name: Corruption(name, category, common, fn) for name, category, common, fn in table}


CORRUPTIONS: dict[str, Corruption] = _entries()
COMMON = tuple(name for name, c in CORRUPTIONS.items() if c.common)
EXTRA = tuple(name for name, c in CORRUPTIONS.items() if not c.common)
# Of the published 15 common corruptions, the ones this toolkit does not ship, and why.
LEFT_OUT = {"frost": "needs the published frost photographs, whose licence we could not check"}


def category_of(name: str) -> str:
    """The category (noise, blur, weather, digital) of corruption ``name``."""
    return get_corruption(name).category


def get_corruption(name: str) -> Corruption:
    """The registry entry of ``name``; an unknown name is a ConfigError listing the known ones."""
    try:
        return CORRUPTIONS[name]
    except KeyError:
        why = f" ({LEFT_OUT[name]})" if name in LEFT_OUT else ""
        raise ConfigError(
            f"no corruption '{name}'{why}. Available: {', '.join(CORRUPTIONS)}"
        ) from None


def resolve_names(spec: str) -> list[str]:
    """``common`` (14: the published 15 without frost), ``all`` (the 14 and the 4 extra) or a
    comma-separated list of names, in registry order, without repeats."""
    text = spec.strip().lower()
    if text == "common":
        return list(COMMON)
    if text == "all":
        return list(CORRUPTIONS)
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ConfigError("--corruptions needs common, all or a comma-separated list of names")
    for name in names:
        get_corruption(name)
    return [name for name in CORRUPTIONS if name in names]


def parse_intensities(spec: str) -> list[int]:
    """``1-5``, ``3``, ``2-4`` or ``1,3,5`` -> sorted intensities, each in 1-5."""
    chosen: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        low, dash, high = part.partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise ConfigError(
                f"--intensities must be a range like 1-5 or a list like 1,3,5; got {spec!r}"
            ) from None
        if not (1 <= first <= last <= 5):
            raise ConfigError(f"--intensities must lie in 1-5 (low to high); got {spec!r}")
        chosen.update(range(first, last + 1))
    return sorted(chosen)


def check_preset(preset: str, image_shape: tuple[int, ...]) -> None:
    """The preset exists, and ImageNet-C strengths go only to images of 64 px and more."""
    if preset not in PRESETS:
        raise ConfigError(f"--preset must be one of {', '.join(PRESETS)}; got {preset!r}")
    side = min(image_shape[:2])
    if preset == "imagenet" and side < IMAGENET_MIN_SIDE:
        raise DataFormatError(
            f"--preset imagenet is for images of {IMAGENET_MIN_SIDE} px and more (its strengths "
            f"wipe out smaller ones); these are {image_shape[0]}x{image_shape[1]}: use "
            "--preset cifar"
        )


def check_intensity(intensity: int) -> None:
    if intensity not in INTENSITIES:
        raise ConfigError(f"intensity must be one of 1-5; got {intensity}")


def stratum_rng(random_state: int, name: str, intensity: int, block: int) -> np.random.Generator:
    """The generator of one block of images of one stratum: seeded by the user's seed, the
    corruption (by a stable hash of its name), the intensity and the block's index, so each
    stratum and block has its own stream and the result does not depend on what else runs."""
    key = [int(random_state), zlib.crc32(name.encode("utf-8")), int(intensity), int(block)]
    return np.random.default_rng(np.random.SeedSequence(key))


def corrupt(
    images: np.ndarray,
    name: str,
    intensity: int,
    *,
    rng: np.random.Generator,
    preset: str = "cifar",
) -> np.ndarray:
    """Corrupt a batch of images (n, H, W, C) in [0, 1] (C = 1 or 3) with ``name`` at
    ``intensity`` 1-5; returns a new float32 batch of the same shape in [0, 1]."""
    corruption = get_corruption(name)
    check_intensity(intensity)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise DataFormatError(
            f"corruptions take images of shape (n, height, width, 1 or 3); got {images.shape}"
        )
    check_preset(preset, images.shape[1:3])
    if len(images) == 0:
        return images.copy()
    out = corruption.function(images, strength(name, intensity, preset), rng)
    return np.asarray(out, dtype=np.float32)
