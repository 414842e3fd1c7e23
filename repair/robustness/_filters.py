"""Array operations shared by the corruptions, each over a whole batch at once.

Images are (n, height, width, channels) float arrays; single-channel layers (snow, spatter) are
(n, height, width). Borders follow the operation the published code used: OpenCV filters
mirror without repeating the edge (``mirror``), scikit-image's gaussian repeats the edge
(``nearest``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage, sparse

# ITU-R BT.601 luma, as OpenCV's RGB -> grey conversion weighs the channels.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def grey(images: np.ndarray) -> np.ndarray:
    """Luma (n, H, W, 1) of RGB images (n, H, W, 3); a one-channel image is its own luma."""
    if images.shape[-1] == 1:
        return images
    return (images @ LUMA)[..., None]


def gaussian(
    layers: np.ndarray, sigma: float, mode: str = "nearest", truncate: float = 4.0
) -> np.ndarray:
    """Gaussian blur of std ``sigma`` px over the two image axes of every item of the batch."""
    if sigma <= 0:
        return layers
    sigmas = [0.0, sigma, sigma] + [0.0] * (layers.ndim - 3)
    return ndimage.gaussian_filter(layers, sigmas, mode=mode, truncate=truncate)


def correlate(images: np.ndarray, kernel: np.ndarray, mode: str = "mirror") -> np.ndarray:
    """2-D correlation of every image and channel with ``kernel`` (k, k), OpenCV's filter2D."""
    shape = (1, *kernel.shape) + (1,) * (images.ndim - 3)
    return ndimage.correlate(images, kernel.reshape(shape), mode=mode)


def trim_kernel(kernel: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """Drop the outer rings of a centred odd kernel whose weights are all below ``tolerance``
    (the result changes by less than that, and small radii cost a 3x3 instead of a 17x17)."""
    half = kernel.shape[0] // 2
    while (
        half > 0
        and np.all(np.abs(kernel[[0, -1], :]) < tolerance)
        and np.all(np.abs(kernel[:, [0, -1]]) < tolerance)
    ):
        kernel = kernel[1:-1, 1:-1]
        half -= 1
    return kernel


def _reflect_index(index: np.ndarray, size: int, mode: str) -> np.ndarray:
    """Fold out-of-range integer indices back into [0, size): ``mirror`` reflects about the edge
    pixel (OpenCV's BORDER_REFLECT_101), ``reflect`` repeats it (scipy's reflect), ``nearest``
    clamps. One reflection per side; what still falls outside is clamped."""
    last = size - 1
    if mode == "mirror" and size > 1:
        index = np.abs(index)
        index = np.where(index > last, 2 * last - index, index)
    elif mode == "reflect":
        index = np.where(index < 0, -1 - index, index)
        index = np.where(index > last, 2 * size - 1 - index, index)
    return np.clip(index, 0, last)


def _gather(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``images[b, rows[b, i, j], cols[b, i, j]]`` for every image ``b``: one flat take, far
    faster than numpy's broadcast fancy indexing."""
    n, height, width = images.shape[:3]
    flat = images.reshape(n * height * width, -1)
    index = (np.arange(n).reshape(-1, 1, 1) * height + rows) * width + cols
    picked = np.take(flat, index.ravel(), axis=0)
    return picked.reshape(*index.shape, *images.shape[3:])


def bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray, mode: str) -> np.ndarray:
    """Sample each image (n, H, W, C) at the float positions ``rows``, ``cols`` (n, H, W)
    by bilinear interpolation; positions outside are folded back by ``mode``."""
    height, width = images.shape[1:3]
    r0, c0 = np.floor(rows), np.floor(cols)
    fr = (rows - r0).astype(images.dtype)[..., None]
    fc = (cols - c0).astype(images.dtype)[..., None]
    r0, c0 = r0.astype(np.int32), c0.astype(np.int32)
    rs = [_reflect_index(r0 + k, height, mode) for k in (0, 1)]
    cs = [_reflect_index(c0 + k, width, mode) for k in (0, 1)]
    top = _gather(images, rs[0], cs[0]) * (1 - fc) + _gather(images, rs[0], cs[1]) * fc
    bottom = _gather(images, rs[1], cs[0]) * (1 - fc) + _gather(images, rs[1], cs[1]) * fc
    return top * (1 - fr) + bottom * fr


def motion_kernel(radius: float, sigma: float) -> np.ndarray:
    """The one-sided gaussian weights of ImageMagick's motion blur: 2 * ceil(radius) + 1 taps,
    tap ``i`` (distance ``i`` px along the motion) weighted by exp(-i^2 / 2 sigma^2), summing
    to 1."""
    taps = np.arange(2 * math.ceil(radius) + 1, dtype=np.float64)
    weights = np.exp(-(taps**2) / (2.0 * sigma**2))
    return weights / weights.sum()


def motion_blur(images: np.ndarray, radius: float, sigma: float, angles: np.ndarray) -> np.ndarray:
    """Blur each image along its own direction ``angles`` (n,) in degrees (0: to the right,
    90: down), as ImageMagick's MotionBlurImage does: the output pixel averages the pixels at
    ``round(i cos a), round(i sin a)`` from it with :func:`motion_kernel` weights; beyond the
    border the edge pixel repeats. Works on (n, H, W, C) and (n, H, W)."""
    if images.ndim == 3:
        return motion_blur(images[..., None], radius, sigma, angles)[..., 0]
    height, width = images.shape[1:3]
    weights = motion_kernel(radius, sigma)
    reach = len(weights)
    pad = [(0, 0), (reach, reach), (reach, reach), (0, 0)]
    padded = np.pad(images.astype(np.float32, copy=False), pad, mode="edge")
    # windows[b, r, c] is image b shifted by (r - reach, c - reach): a view, nothing copied.
    windows = sliding_window_view(padded, (height, width), axis=(1, 2))
    radians = np.deg2rad(np.asarray(angles, dtype=np.float64))
    batch = np.arange(len(images))
    out = np.zeros(images.shape, dtype=np.float32)
    for tap, weight in enumerate(weights):
        if weight < 1e-9:  # far taps of a narrow gaussian: no visible contribution
            continue
        dx = np.ceil(tap * np.cos(radians) - 0.5).astype(np.int64)
        dy = np.ceil(tap * np.sin(radians) - 0.5).astype(np.int64)
        shifted = windows[batch, reach + dy, reach + dx]  # (n, C, H, W)
        out += np.float32(weight) * np.moveaxis(shifted, 1, -1)
    return out


@lru_cache(maxsize=256)
def zoom_matrix(size: int, factor: float) -> np.ndarray:
    """The (size, size) linear map of a centred zoom by ``factor`` >= 1 along one axis.

    As the published ``clipped_zoom``: take the centred ceil(size / factor) pixels, stretch
    them to round(that * factor) pixels by linear interpolation with the end pixels aligned
    (scipy.ndimage.zoom, order 1), and keep the centred ``size`` of them.
    """
    crop = math.ceil(size / factor)
    top = (size - crop) // 2
    stretched = round(crop * factor)
    trim = (stretched - size) // 2
    matrix = np.zeros((size, size))
    scale = (crop - 1) / (stretched - 1) if stretched > 1 else 0.0
    for row in range(size):
        source = (row + trim) * scale
        low = min(int(math.floor(source)), crop - 1)
        frac = source - low
        matrix[row, top + low] += 1.0 - frac
        if frac > 0:
            matrix[row, top + low + 1] += frac
    return matrix


def clipped_zoom(layers: np.ndarray, factor: float) -> np.ndarray:
    """Zoom every image (n, H, W[, C]) by ``factor`` about its centre, keeping its size."""
    rows = zoom_matrix(layers.shape[1], float(factor))
    cols = zoom_matrix(layers.shape[2], float(factor))
    spec = "ih,nhw...,jw->nij..."
    return np.einsum(spec, rows, layers, cols, optimize=True).astype(layers.dtype, copy=False)


@lru_cache(maxsize=32)
def zoom_sum_operator(height: int, width: int, factors: tuple[float, ...]) -> sparse.csr_matrix:
    """The sparse (H*W, H*W) matrix that sums the clipped zooms of an image by ``factors``."""
    total = None
    for factor in factors:
        term = sparse.kron(
            sparse.csr_matrix(zoom_matrix(height, factor)),
            sparse.csr_matrix(zoom_matrix(width, factor)),
            format="csr",
        )
        total = term if total is None else total + term
    return total.tocsr()


def apply_pixel_operator(images: np.ndarray, operator: sparse.csr_matrix) -> np.ndarray:
    """Apply a linear map over pixel positions (H*W, H*W) to every image and channel."""
    n, height, width, channels = images.shape
    flat = images.reshape(n, height * width, channels).transpose(1, 0, 2)
    out = operator @ flat.reshape(height * width, n * channels)
    return out.reshape(height * width, n, channels).transpose(1, 0, 2).reshape(images.shape)
