"""Noise corruptions: gaussian, shot (Poisson), impulse (salt and pepper) and speckle noise.

Every function takes images (n, H, W, C) float32 in [0, 1], the preset's parameter for one
intensity and a seeded generator, and returns new images of the same shape in [0, 1]. Every
value gets its own draw, channels included, as in the published code.
"""

from __future__ import annotations

import numpy as np


def gaussian_noise(images: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """x + N(0, std^2)."""
    noise = rng.standard_normal(images.shape, dtype=np.float32) * np.float32(std)
    return np.clip(images + noise, 0.0, 1.0)


def shot_noise(images: np.ndarray, photons: float, rng: np.random.Generator) -> np.ndarray:
    """Poisson(x * photons) / photons: the grain of a sensor that counts ``photons`` per unit."""
    counts = rng.poisson(images.astype(np.float64) * photons)
    return np.clip(counts / photons, 0.0, 1.0).astype(np.float32)


def impulse_noise(images: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """A fraction ``amount`` of the values becomes 0 or 1, with even odds (salt and pepper)."""
    hit = rng.random(images.shape, dtype=np.float32) < amount
    salt = rng.random(images.shape, dtype=np.float32) < 0.5
    out = images.copy()
    out[hit & salt] = 1.0
    out[hit & ~salt] = 0.0
    return out


def speckle_noise(images: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """x + x * N(0, std^2): noise that grows with the brightness."""
    noise = rng.standard_normal(images.shape, dtype=np.float32) * np.float32(std)
    return np.clip(images + images * noise, 0.0, 1.0)
