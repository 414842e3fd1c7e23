"""Where a square crop around a box lies in its frame: pure arithmetic, tested exactly."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SquareCrop:
    """A ``side`` x ``side`` crop: frame region ``(left, top, right, bottom)`` pasted at
    ``(pad_left, pad_top)`` on a black square. Without padding, the region is the square."""

    left: int
    top: int
    right: int
    bottom: int
    side: int
    pad_left: int = 0
    pad_top: int = 0

    @property
    def padded(self) -> bool:
        return (self.right - self.left, self.bottom - self.top) != (self.side, self.side)


def _place(centre: float, side: int, extent: int) -> tuple[int, int, int]:
    """Start and end of a ``side`` span centred on ``centre`` inside ``[0, extent)``, and the
    padding before it when ``side`` exceeds ``extent`` (the span then covers the whole extent)."""
    if side <= extent:
        start = min(max(round(centre - side / 2), 0), extent - side)
        return start, start + side, 0
    return 0, extent, (side - extent) // 2


def square_crop(
    box: tuple[float, float, float, float], frame_width: int, frame_height: int
) -> SquareCrop | None:
    """The square crop centred on ``box`` (x1, y1, x2, y2), shifted to stay inside the frame.

    The side is the box's longer side. When that exceeds the frame's width or height, the crop
    takes the whole extent in that direction and is padded (centred) to stay square. Returns
    None for a box of zero area or one that lies outside the frame.
    """
    x1, y1, x2, y2 = box
    x1, x2 = max(x1, 0.0), min(x2, float(frame_width))
    y1, y2 = max(y1, 0.0), min(y2, float(frame_height))
    if x2 - x1 < 1 or y2 - y1 < 1:
        return None
    side = math.ceil(max(x2 - x1, y2 - y1))
    left, right, pad_left = _place((x1 + x2) / 2, side, frame_width)
    top, bottom, pad_top = _place((y1 + y2) / 2, side, frame_height)
    return SquareCrop(left, top, right, bottom, side, pad_left, pad_top)


def box_area(box: tuple[float, float, float, float]) -> float:
    x1, y1, x2, y2 = box
    return max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
