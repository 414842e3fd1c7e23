"""Grad-CAM overlays: an input beside its map laid over it, as RGB pixels or a PNG file.

Pixels rather than a matplotlib Figure: one small picture per input, drawn fast enough for
thousands and inlined as they are in an HTML page.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from PIL import Image

from repair.core.files import atomic_path

GAP_PX = 4  # white columns between the input and its overlay
MIN_SIDE_PX = 128  # small inputs (8x8 digits) are enlarged, pixels kept square


def normalized(cam: np.ndarray) -> np.ndarray:
    """A map (H, W) scaled to [0, 1] by its maximum (all zeros stays zeros)."""
    cam = np.asarray(cam, dtype=np.float32)
    top = float(cam.max(initial=0.0))
    return cam / top if top > 0 else np.zeros_like(cam)


def overlay_rgb(image: np.ndarray, cam: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The input (H, W, C) in [0, 1] and, to its right, the input under the map (H, W) in the
    jet colour map (red: where the class score gained most), as uint8 RGB (H', W', 3),
    enlarged by a whole factor (nearest neighbour) so that the shorter side is at least
    MIN_SIDE_PX."""
    image = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image[..., :3]
    heat = colormaps["jet"](normalized(cam))[..., :3]
    blended = (1 - alpha) * rgb + alpha * heat
    height, width = rgb.shape[:2]
    gap = np.ones((height, GAP_PX, 3), dtype=np.float32)
    pixels = np.concatenate([rgb, gap, blended], axis=1)
    factor = max(1, -(-MIN_SIDE_PX // min(height, width)))
    pixels = np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)
    return np.round(pixels * 255).astype(np.uint8)


def png_bytes(pixels: np.ndarray) -> bytes:
    """uint8 RGB pixels (H, W, 3) encoded as a PNG (the report inlines these)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def save_rgb_png(pixels: np.ndarray, path: str | Path) -> Path:
    """Write uint8 RGB pixels (H, W, 3) as a PNG, atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(png_bytes(pixels))
    return Path(path)
