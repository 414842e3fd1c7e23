"""Digital corruptions: contrast, elastic transform, pixelate, JPEG and saturate.

Same contract as the noise corruptions: images (n, H, W, C) float32 in [0, 1], one intensity's
parameter, a seeded generator (only the elastic transform draws from it); images out in [0, 1].
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import sparse

from repair.robustness import _filters


def contrast(images: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Pull every value toward its image's per-channel mean: (x - mean) * factor + mean."""
    means = images.mean(axis=(1, 2), keepdims=True)
    return np.clip((images - means) * np.float32(factor) + means, 0.0, 1.0)


def saturate(
    images: np.ndarray, params: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """Scale the HSV saturation: S' = clip(S * factor + shift, 0, 1), hue and value kept.

    In HSV every channel is V * (1 - S * g) with g set by the hue alone, and
    g = (V - x) / (V - min), so the new channel is V - S' * V * (V - x) / (V - min). A grey
    pixel has hue 0 (red), so a positive ``shift`` tints it red as the published code does.
    One-channel images have no saturation and come back unchanged.
    """
    factor, shift = params
    if images.shape[-1] != 3:
        return images.copy()
    value = images.max(axis=-1, keepdims=True)
    spread = value - images.min(axis=-1, keepdims=True)
    saturation = np.divide(spread, value, out=np.zeros_like(value), where=spread > 0)
    new = np.clip(saturation * np.float32(factor) + np.float32(shift), 0.0, 1.0)
    hue_part = np.divide(value - images, spread, out=np.zeros_like(images), where=spread > 0)
    grey_part = np.array([0.0, 1.0, 1.0], dtype=np.float32)  # hue 0: red keeps V
    hue_part = np.where(spread > 0, hue_part, grey_part)
    return np.clip(value * (1.0 - new * hue_part), 0.0, 1.0).astype(np.float32)


@lru_cache(maxsize=64)
def box_resize_matrix(source: int, target: int) -> np.ndarray:
    """The (target, source) weights of Pillow's BOX resampling along one axis: output pixel
    ``k`` averages the source pixels whose centres fall in its footprint
    [(k) * scale, (k + 1) * scale), scale = source / target."""
    scale = source / target
    stretch = max(scale, 1.0)
    support = 0.5 * stretch
    matrix = np.zeros((target, source))
    for k in range(target):
        centre = (k + 0.5) * scale
        low = max(int(centre - support + 0.5), 0)
        high = min(int(centre + support + 0.5), source)
        offsets = (np.arange(low, high) - centre + 0.5) / stretch
        weights = ((offsets > -0.5) & (offsets <= 0.5)).astype(np.float64)
        if weights.sum() > 0:
            matrix[k, low:high] = weights / weights.sum()
    return matrix


@lru_cache(maxsize=64)
def _pixelate_operator(height: int, width: int, fraction: float) -> sparse.csr_matrix:
    small_h, small_w = max(int(height * fraction), 1), max(int(width * fraction), 1)
    rows = box_resize_matrix(small_h, height) @ box_resize_matrix(height, small_h)
    cols = box_resize_matrix(small_w, width) @ box_resize_matrix(width, small_w)
    return sparse.kron(sparse.csr_matrix(rows), sparse.csr_matrix(cols), format="csr")


def pixelate(images: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Shrink to int(side * fraction) px with a box filter and enlarge back the same way."""
    operator = _pixelate_operator(images.shape[1], images.shape[2], float(fraction))
    out = _filters.apply_pixel_operator(images, operator)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] as 8-bit values (rounded)."""
    return np.rint(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)


def jpeg_compression(images: np.ndarray, quality: int, rng: np.random.Generator) -> np.ndarray:
    """Encode each image as a JPEG of ``quality`` with Pillow (default 4:2:0 chroma
    subsampling for colour) and decode it again."""
    pixels = to_uint8(images)
    out = np.empty_like(pixels)
    for k, image in enumerate(pixels):
        picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=int(quality))
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            out[k] = np.asarray(decoded).reshape(image.shape)
    return out.astype(np.float32) / np.float32(255.0)


def _affine_sources(
    height: int, width: int, jitter: float, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per image, where each output pixel samples the input under a random affine map that
    moves three anchor points (around the centre) by up to ``jitter`` px (rows, cols (n, H, W))."""
    centre = np.array([width // 2, height // 2], dtype=np.float64)  # (x, y)
    reach = min(height, width) // 3
    anchors = np.array(
        [centre + reach, [centre[0] + reach, centre[1] - reach], centre - reach]
    )  # (3 points, x y)
    moved = anchors + rng.uniform(-jitter, jitter, size=(n, 3, 2))
    ones = np.ones((3, 1))
    # The map from output (moved) points back to source (anchor) points, per image.
    inverse = np.linalg.solve(
        np.concatenate([moved, np.broadcast_to(ones, (n, 3, 1))], axis=2),
        np.broadcast_to(anchors, (n, 3, 2)),
    )  # (n, 3, 2): [x y 1] @ inverse = source x y
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)], axis=-1)  # (H * W, 3)
    source = np.matmul(grid, inverse).reshape(n, height, width, 2)
    return source[..., 1], source[..., 0]


def elastic_transform(
    images: np.ndarray, params: tuple[float, float, float], rng: np.random.Generator
) -> np.ndarray:
    """A random affine warp, then a smooth random displacement of every pixel.

    ``params`` = (alpha, sigma, jitter) as fractions of the image side: the affine map moves
    three anchor points by up to jitter px; the displacement is uniform noise in [-1, 1]
    blurred by a gaussian of std sigma px (cut at 3 std) and scaled by alpha px.
    """
    alpha, sigma, jitter = (fraction * min(images.shape[1:3]) for fraction in params)
    n, height, width = images.shape[:3]
    rows, cols = _affine_sources(height, width, jitter, n, rng)
    warped = _filters.bilinear(images, rows, cols, mode="mirror")
    shifts = rng.uniform(-1.0, 1.0, size=(2, n, height, width))
    dx = _filters.gaussian(shifts[0], sigma, mode="reflect", truncate=3.0) * alpha
    dy = _filters.gaussian(shifts[1], sigma, mode="reflect", truncate=3.0) * alpha
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    out = _filters.bilinear(warped, ys + dy, xs + dx, mode="reflect")
    return np.clip(out, 0.0, 1.0).astype(np.float32)
