"""The three-week monitoring scenario, as image transforms that make known drift.

Week 1 unchanged, week 2 blurred (3x3 Gaussian, sigma drawn per image in [0.1, 2]), week 3
darker (brightness scaled by a factor drawn per image in [0.4, 0.6]). Used by the tests and
``scripts/bench_drift.py`` to produce known drift on any split.
"""

from __future__ import annotations

import numpy as np

SIGMA_RANGE = (0.1, 2.0)
BRIGHTNESS_RANGE = (0.4, 0.6)


def gaussian_blur_3x3(images: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """images (n, H, W, C) blurred by a separable 3x3 Gaussian with one sigma (n,) per image;
    borders are reflected, so a constant image stays constant."""
    taps = np.exp(-(np.array([-1.0, 0.0, 1.0]) ** 2)[None, :] / (2 * sigmas[:, None] ** 2))
    taps /= taps.sum(axis=1, keepdims=True)  # (n, 3)
    weights = taps[:, :, None, None, None]
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    height, width = images.shape[1:3]
    rows = sum(weights[:, k] * padded[:, k : k + height] for k in range(3))
    out = sum(weights[:, k] * rows[:, :, k : k + width] for k in range(3))
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def scale_brightness(images: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """images (n, H, W, C) multiplied by one factor (n,) per image."""
    return np.clip(images * factors[:, None, None, None], 0.0, 1.0).astype(np.float32)


def three_weeks(images: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """``{'week1': images, 'week2': blurred, 'week3': darker}`` with seeded per-image draws."""
    rng = np.random.default_rng(seed)
    sigmas = rng.uniform(*SIGMA_RANGE, size=len(images))
    factors = rng.uniform(*BRIGHTNESS_RANGE, size=len(images))
    return {
        "week1": np.asarray(images, dtype=np.float32),
        "week2": gaussian_blur_3x3(images, sigmas),
        "week3": scale_brightness(images, factors),
    }
