"""The published strengths of the corruptions, five intensities each, per preset.

Hendrycks & Dietterich, "Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations" (ICLR 2019). ``cifar``: the parameters of the CIFAR-10-C generation script
(32 px images); ``imagenet``: those of ImageNet-C (224 px images). Each entry is the tuple of
five values (intensity 1..5) that the matching function in ``corruptions_*.py`` reads; the
comment over it says what the numbers are.
"""

from __future__ import annotations

from typing import Any

PRESETS = ("cifar", "imagenet")
INTENSITIES = (1, 2, 3, 4, 5)
# ImageNet-C's strengths are for 224 px images; smaller images would be wiped out.
IMAGENET_MIN_SIDE = 64

_TABLE: dict[str, dict[str, tuple[Any, ...]]] = {
    # noise std added to x in [0, 1]
    "gaussian_noise": {
        "cifar": (0.04, 0.06, 0.08, 0.09, 0.10),
        "imagenet": (0.08, 0.12, 0.18, 0.26, 0.38),
    },
    # photons per unit intensity: x -> Poisson(x * c) / c
    "shot_noise": {
        "cifar": (500, 250, 100, 75, 50),
        "imagenet": (60, 25, 12, 5, 3),
    },
    # fraction of values set to 0 or 1 (salt and pepper, half each)
    "impulse_noise": {
        "cifar": (0.01, 0.02, 0.03, 0.05, 0.07),
        "imagenet": (0.03, 0.06, 0.09, 0.17, 0.27),
    },
    # std of the multiplicative noise: x -> x + x * N(0, c)
    "speckle_noise": {
        "cifar": (0.06, 0.10, 0.12, 0.16, 0.20),
        "imagenet": (0.15, 0.20, 0.35, 0.45, 0.60),
    },
    # gaussian std in pixels
    "gaussian_blur": {
        "cifar": (0.4, 0.6, 0.7, 0.8, 1.0),
        "imagenet": (1, 2, 3, 4, 6),
    },
    # (gaussian std, largest pixel shift, shuffling passes)
    "glass_blur": {
        "cifar": ((0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)),
        "imagenet": ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)),
    },
    # (disk radius, std of the anti-aliasing blur of the disk)
    "defocus_blur": {
        "cifar": ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)),
        "imagenet": ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)),
    },
    # (radius, sigma) of ImageMagick's motion blur; the angle is drawn in [-45, 45) degrees
    "motion_blur": {
        "cifar": ((6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)),
        "imagenet": ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15)),
    },
    # (step, count): the image is averaged with its zooms 1, 1 + step, ... (count of them);
    # the counts are what the published np.arange(1, end, step) calls give (7 for end 1.06)
    "zoom_blur": {
        "cifar": ((0.01, 7), (0.01, 12), (0.01, 16), (0.01, 21), (0.01, 26)),
        "imagenet": ((0.01, 12), (0.01, 16), (0.02, 11), (0.02, 13), (0.03, 11)),
    },
    # (flake mean, flake std, zoom, threshold, blur radius, blur sigma, image weight)
    "snow": {
        "cifar": (
            (0.1, 0.2, 1, 0.6, 8, 3, 0.95),
            (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
            (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
            (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
            (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
        ),
        "imagenet": (
            (0.1, 0.3, 3, 0.5, 10, 4, 0.8),
            (0.2, 0.3, 2, 0.5, 12, 4, 0.7),
            (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
            (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
            (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55),
        ),
    },
    # (fog strength, plasma fractal roughness decay)
    "fog": {
        "cifar": ((0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)),
        "imagenet": ((1.5, 2), (2.0, 2), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4)),
    },
    # value (HSV) added
    "brightness": {
        "cifar": (0.05, 0.1, 0.15, 0.2, 0.3),
        "imagenet": (0.1, 0.2, 0.3, 0.4, 0.5),
    },
    # (liquid mean, liquid std, liquid blur, threshold, strength, mud: 0 water / 1 mud)
    "spatter": {
        "cifar": (
            (0.62, 0.1, 0.7, 0.7, 0.5, 0),
            (0.65, 0.1, 0.8, 0.7, 0.5, 0),
            (0.65, 0.3, 1, 0.69, 0.5, 0),
            (0.65, 0.1, 0.7, 0.69, 0.6, 1),
            (0.65, 0.1, 0.5, 0.68, 0.6, 1),
        ),
        "imagenet": (
            (0.65, 0.3, 4, 0.69, 0.6, 0),
            (0.65, 0.3, 3, 0.68, 0.6, 0),
            (0.65, 0.3, 2, 0.68, 0.5, 0),
            (0.65, 0.3, 1, 0.65, 1.5, 1),
            (0.67, 0.4, 1, 0.65, 1.5, 1),
        ),
    },
    # factor on the distance to the per-channel mean
    "contrast": {
        "cifar": (0.75, 0.5, 0.4, 0.3, 0.15),
        "imagenet": (0.4, 0.3, 0.2, 0.1, 0.05),
    },
    # (alpha, sigma, affine jitter) as fractions of the side (CIFAR: of 32 px; ImageNet-C
    # writes them as multiples of 244 for 224 px images: we keep them relative to 224)
    "elastic_transform": {
        "cifar": (
            (0, 0, 0.08),
            (0.05, 0.2, 0.07),
            (0.08, 0.06, 0.06),
            (0.1, 0.04, 0.05),
            (0.1, 0.03, 0.03),
        ),
        "imagenet": (
            (2 * 244 / 224, 0.7 * 244 / 224, 0.1 * 244 / 224),
            (2 * 244 / 224, 0.08 * 244 / 224, 0.2 * 244 / 224),
            (0.05 * 244 / 224, 0.01 * 244 / 224, 0.02 * 244 / 224),
            (0.07 * 244 / 224, 0.01 * 244 / 224, 0.02 * 244 / 224),
            (0.12 * 244 / 224, 0.01 * 244 / 224, 0.02 * 244 / 224),
        ),
    },
    # side of the downsampled image, as a fraction of the side
    "pixelate": {
        "cifar": (0.95, 0.9, 0.85, 0.75, 0.65),
        "imagenet": (0.6, 0.5, 0.4, 0.3, 0.25),
    },
    # JPEG quality
    "jpeg_compression": {
        "cifar": (80, 65, 58, 50, 40),
        "imagenet": (25, 18, 15, 10, 7),
    },
    # (saturation factor, saturation added)
    "saturate": {
        "cifar": ((0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)),
        "imagenet": ((0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2)),
    },
}


def strength(name: str, intensity: int, preset: str) -> Any:
    """The published parameter of corruption ``name`` at ``intensity`` (1-5) for ``preset``."""
    return _TABLE[name][preset][intensity - 1]


def table(name: str, preset: str) -> tuple[Any, ...]:
    """The five parameters of ``name`` for ``preset`` (for docs and tests)."""
    return _TABLE[name][preset]
