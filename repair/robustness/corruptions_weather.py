"""Weather corruptions: snow, fog, brightness and spatter (frost is not shipped: see docs).

Same contract as the noise corruptions: images (n, H, W, C) float32 in [0, 1], one intensity's
parameter, a seeded generator; images out in [0, 1].
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from repair.robustness import _filters


def snow(images: np.ndarray, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Falling snow: a thresholded, zoomed noise layer streaked by a motion blur, added twice
    (once rotated by 180 degrees) over an image whitened toward its luma.

    ``params`` = (flake mean, flake std, zoom, threshold, blur radius, blur sigma, image weight).
    """
    mean, std, zoom, threshold, radius, sigma, weight = params
    n, height, width = images.shape[:3]
    flakes = rng.normal(mean, std, size=(n, height, width))
    flakes = _filters.clipped_zoom(flakes, zoom)
    flakes[flakes < threshold] = 0.0
    flakes = np.floor(np.clip(flakes, 0.0, 1.0) * 255.0) / 255.0  # an 8-bit layer, as published
    angles = rng.uniform(-135.0, -45.0, size=n)
    flakes = _filters.motion_blur(flakes, radius, sigma, angles)[..., None].astype(np.float32)
    whitened = np.maximum(images, _filters.grey(images) * 1.5 + 0.5)
    base = weight * images + (1.0 - weight) * whitened
    return np.clip(base + flakes + flakes[:, ::-1, ::-1], 0.0, 1.0).astype(np.float32)


def plasma_fractal(count: int, size: int, decay: float, rng: np.random.Generator) -> np.ndarray:
    """``count`` seeded diamond-square height maps (count, size, size) scaled to [0, 1].

    ``size`` is a power of two. Each round halves the grid step: the centre of every square
    gets the mean of its corners, then the centre of every diamond the mean of its four
    points, each plus uniform noise whose amplitude (100^2 at first) shrinks by ``decay``
    per round; the map wraps around at its borders.
    """
    heights = np.zeros((count, size, size))
    step, amplitude = size, 100.0

    def jittered_mean(total: np.ndarray) -> np.ndarray:
        noise = rng.uniform(-amplitude, amplitude, size=total.shape)
        return total / 4.0 + amplitude * noise

    while step >= 2:
        half = step // 2
        corners = heights[:, ::step, ::step]
        square = corners + np.roll(corners, -1, axis=1)
        square = square + np.roll(square, -1, axis=2)
        heights[:, half::step, half::step] = jittered_mean(square)
        centres = heights[:, half::step, half::step]
        corners = heights[:, ::step, ::step]
        across = centres + np.roll(centres, 1, axis=1) + corners + np.roll(corners, -1, axis=2)
        heights[:, ::step, half::step] = jittered_mean(across)
        down = centres + np.roll(centres, 1, axis=2) + corners + np.roll(corners, -1, axis=1)
        heights[:, half::step, ::step] = jittered_mean(down)
        step //= 2
        amplitude /= decay
    heights -= heights.min(axis=(1, 2), keepdims=True)
    return heights / heights.max(axis=(1, 2), keepdims=True)


def fog(images: np.ndarray, params: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Add ``strength`` times a plasma fractal (``params`` = (strength, decay)), then scale
    back so that the brightest value of the image keeps its place."""
    strength, decay = params
    n, height, width = images.shape[:3]
    size = 1 << (max(height, width, 2) - 1).bit_length()  # the power of two >= the side
    haze = plasma_fractal(n, size, decay, rng)[:, :height, :width, None]
    brightest = images.max(axis=(1, 2, 3), keepdims=True)
    fogged = (images + strength * haze) * brightest / (brightest + strength)
    return np.clip(fogged, 0.0, 1.0).astype(np.float32)


def brightness(images: np.ndarray, shift: float, rng: np.random.Generator) -> np.ndarray:
    """Add ``shift`` to the value (V) of HSV, keeping hue and saturation.

    Every RGB channel is V times a factor set by hue and saturation alone, so the new image is
    the old one scaled by V' / V (V' = min(V + shift, 1)); a black pixel becomes grey V'.
    """
    value = images.max(axis=-1, keepdims=True)
    lifted = np.minimum(value + np.float32(shift), 1.0)
    ratio = np.divide(lifted, value, out=np.zeros_like(value), where=value > 0)
    out = np.where(value > 0, images * ratio, lifted)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


# ----- spatter: water drops (intensities 1-3 of CIFAR) or mud (4-5) -----

WATER = np.array([175, 238, 238], dtype=np.float32) / 255.0  # pale turquoise
MUD = np.array([63, 42, 20], dtype=np.float32) / 255.0  # brown


def _sobel(layers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    smooth, diff = np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0])
    gx = _filters.correlate(layers, np.outer(smooth, diff), mode="nearest")
    gy = _filters.correlate(layers, np.outer(diff, smooth), mode="nearest")
    return gx, gy


def canny(layers: np.ndarray, low: float, high: float) -> np.ndarray:
    """Canny edges (n, H, W) bool of 8-bit layers, as OpenCV finds them: 3 x 3 Sobel (edge
    pixels repeated), L1 gradient magnitude, non-maximum suppression across the gradient
    (quantised to 4 directions), hysteresis between ``low`` and ``high`` (8-connected)."""
    gx, gy = _sobel(layers.astype(np.float64))
    magnitude = np.abs(gx) + np.abs(gy)
    padded = np.pad(magnitude, ((0, 0), (1, 1), (1, 1)))
    height, width = layers.shape[1:]

    def neighbour(dr: int, dc: int) -> np.ndarray:
        return padded[:, 1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width]

    ax, ay = np.abs(gx), np.abs(gy)
    tan22, tan67 = np.tan(np.deg2rad(22.5)), np.tan(np.deg2rad(67.5))
    horizontal = ay <= tan22 * ax
    vertical = ay > tan67 * ax
    same_sign = (gx * gy) > 0
    keep = np.where(
        horizontal,
        (magnitude > neighbour(0, -1)) & (magnitude >= neighbour(0, 1)),
        np.where(
            vertical,
            (magnitude > neighbour(-1, 0)) & (magnitude >= neighbour(1, 0)),
            np.where(
                same_sign,
                (magnitude > neighbour(-1, -1)) & (magnitude > neighbour(1, 1)),
                (magnitude > neighbour(-1, 1)) & (magnitude > neighbour(1, -1)),
            ),
        ),
    )
    weak = keep & (magnitude > low)
    strong = keep & (magnitude > high)
    eight_connected = np.zeros((3, 3, 3), dtype=bool)
    eight_connected[1] = True
    labels, count = ndimage.label(weak, structure=eight_connected)
    anchored = np.zeros(count + 1, dtype=bool)
    anchored[labels[strong]] = True
    anchored[0] = False
    return anchored[labels]


def equalize(layers: np.ndarray) -> np.ndarray:
    """Histogram equalisation of every 8-bit layer (n, H, W), as OpenCV's equalizeHist."""
    n = len(layers)
    flat = layers.reshape(n, -1).astype(np.int64)
    hist = np.zeros((n, 256), dtype=np.int64)
    np.add.at(hist, (np.arange(n)[:, None], flat), 1)
    total = flat.shape[1]
    first = np.argmax(hist > 0, axis=1)
    first_count = hist[np.arange(n), first]
    cumulative = np.cumsum(hist, axis=1) - first_count[:, None]
    scale = 255.0 / np.maximum(total - first_count, 1)
    lut = np.clip(np.rint(cumulative * scale[:, None]), 0, 255)
    lut[np.arange(256)[None, :] <= first[:, None]] = 0
    flat_image = first_count == total
    lut[flat_image] = first[flat_image][:, None]
    return np.take_along_axis(lut, flat, axis=1).reshape(layers.shape).astype(np.uint8)


def _water_mask(liquid: np.ndarray) -> np.ndarray:
    """How strongly each pixel shows water: the liquid layer shaded by its distance to the
    drops' edges (Canny, distance transform, equalised, embossed)."""
    liquid8 = np.clip(liquid * 255.0, 0, 255).astype(np.uint8)
    edges = canny(liquid8, 50, 150)
    # distance to the nearest edge, capped at 20 px (all 20 in a layer without edges)
    distance = np.full(edges.shape, 20.0)
    for k in np.flatnonzero(edges.any(axis=(1, 2))):
        distance[k] = np.minimum(ndimage.distance_transform_edt(~edges[k]), 20.0)
    box = np.full((3, 3), 1.0 / 9.0)
    distance = _filters.correlate(distance, box, mode="mirror").astype(np.uint8)
    distance = equalize(distance).astype(np.float64)
    emboss = np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])
    distance = np.clip(np.rint(_filters.correlate(distance, emboss, mode="mirror")), 0, 255)
    distance = np.rint(_filters.correlate(distance, box, mode="mirror"))
    mask = liquid8 * distance
    peak = mask.max(axis=(1, 2), keepdims=True)
    return np.divide(mask, peak, out=np.zeros_like(mask), where=peak > 0)


def spatter(images: np.ndarray, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Water drops or mud on the lens. ``params`` = (liquid mean, liquid std, liquid blur,
    threshold, strength, mud): a blurred noise layer above ``threshold`` is the liquid."""
    mean, std, blur, threshold, strength, mud = params
    n, height, width, channels = images.shape
    liquid = rng.normal(mean, std, size=(n, height, width))
    liquid = _filters.gaussian(liquid, blur)
    liquid[liquid < threshold] = 0.0
    if not mud:
        mask = (_water_mask(liquid) * strength)[..., None]
        color = WATER if channels == 3 else np.float32(WATER @ _filters.LUMA)
        return np.clip(images + mask * color, 0.0, 1.0).astype(np.float32)
    mask = _filters.gaussian((liquid > threshold).astype(np.float32), strength)
    mask[mask < 0.8] = 0.0
    mask = mask[..., None]
    color = MUD if channels == 3 else np.float32(MUD @ _filters.LUMA)
    return np.clip(images * (1.0 - mask) + color * mask, 0.0, 1.0).astype(np.float32)
