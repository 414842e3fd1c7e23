"""Blur corruptions: defocus, glass, motion, zoom and gaussian blur.

Same contract as the noise corruptions: images (n, H, W, C) float32 in [0, 1], one intensity's
parameter, a seeded generator (only glass and motion blur draw from it); images out in [0, 1].
"""

from __future__ import annotations

import numpy as np

from repair.robustness import _filters


def gaussian_blur(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur of std ``sigma`` px (edge pixels repeat, kernel cut at 4 std)."""
    return np.clip(_filters.gaussian(images, sigma), 0.0, 1.0)


def _gaussian_taps(size: int, sigma: float) -> np.ndarray:
    offsets = np.arange(size) - (size - 1) / 2
    taps = np.exp(-(offsets**2) / (2 * sigma**2))
    return taps / taps.sum()


def disk_kernel(radius: float, alias_sigma: float) -> np.ndarray:
    """The defocus kernel: a disk of ``radius`` px on a 17 x 17 grid (or 2 * radius + 1 when
    larger), normalised, softened by a 3 x 3 (5 x 5 beyond radius 8) gaussian of std
    ``alias_sigma`` against aliasing, as the published ``disk`` helper builds it."""
    half = 8 if radius <= 8 else int(radius)
    size = 3 if radius <= 8 else 5
    grid = np.arange(-half, half + 1)
    rows, cols = np.meshgrid(grid, grid, indexing="ij")
    disk = (rows**2 + cols**2 <= radius**2).astype(np.float64)
    disk /= disk.sum()
    taps = _gaussian_taps(size, alias_sigma)
    soft = _filters.correlate(disk[None, :, :], np.outer(taps, taps), mode="mirror")[0]
    return _filters.trim_kernel(soft)


def defocus_blur(
    images: np.ndarray, params: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """Correlation with :func:`disk_kernel` (borders mirrored, as OpenCV's filter2D)."""
    kernel = disk_kernel(*params).astype(np.float32)
    return np.clip(_filters.correlate(images, kernel, mode="mirror"), 0.0, 1.0)


def glass_blur(
    images: np.ndarray, params: tuple[float, int, int], rng: np.random.Generator
) -> np.ndarray:
    """Blur, quantise to 8 bits, scramble pixels locally, blur again.

    ``params`` = (sigma, delta, passes). Each pass visits the pixels from the bottom-right
    corner to ``delta`` px from the top-left one and gives each the value of a neighbour up to
    ``delta`` px away (offsets drawn in [-delta, delta)). The published code meant to swap
    the two pixels, but its tuple swap of numpy views copies the neighbour instead; we copy
    too, so the strengths stay the published ones.
    """
    sigma, delta, passes = params
    n, height, width = images.shape[:3]
    blurred = _filters.gaussian(images, sigma)
    # truncated to 8 bits as published (np.uint8); the 1e-4 keeps k / 255 from becoming k - 1
    pixels = np.floor(np.clip(blurred, 0.0, 1.0) * 255.0 + 1e-4).astype(np.uint8)
    rows = np.arange(height - delta, delta, -1)
    cols = np.arange(width - delta, delta, -1)
    offsets = rng.integers(-delta, delta, size=(passes, len(rows), len(cols), 2, n))
    batch = np.arange(n)
    for step in range(passes):
        for i, row in enumerate(rows):
            for j, col in enumerate(cols):
                dx, dy = offsets[step, i, j]
                pixels[batch, row, col] = pixels[batch, row + dy, col + dx]
    again = _filters.gaussian(pixels.astype(np.float32) / np.float32(255.0), sigma)
    return np.clip(again, 0.0, 1.0)


def motion_blur(
    images: np.ndarray, params: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """ImageMagick's motion blur (radius, sigma) along a direction drawn in [-45, 45) degrees
    per image (see :func:`repair.robustness._filters.motion_blur`)."""
    angles = rng.uniform(-45.0, 45.0, size=len(images))
    return np.clip(_filters.motion_blur(images, *params, angles), 0.0, 1.0)


def zoom_factors(step: float, count: int) -> tuple[float, ...]:
    """1, 1 + step, ... (``count`` factors)."""
    return tuple(round(1.0 + k * step, 10) for k in range(count))


def zoom_blur(
    images: np.ndarray, params: tuple[float, int], rng: np.random.Generator
) -> np.ndarray:
    """The mean of the image and its centred zooms by :func:`zoom_factors` (a blur radiating
    from the centre, as when the camera moves toward the scene)."""
    factors = zoom_factors(*params)
    operator = _filters.zoom_sum_operator(images.shape[1], images.shape[2], factors)
    summed = images + _filters.apply_pixel_operator(images, operator)
    return np.clip(summed / np.float32(len(factors) + 1), 0.0, 1.0).astype(np.float32)
