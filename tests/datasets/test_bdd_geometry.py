"""Square crops: exact geometry, including boxes larger than the frame."""

from __future__ import annotations

import pytest
from PIL import Image

from repair.datasets.bdd.category_dir import cut_square
from repair.datasets.bdd.geometry import SquareCrop, square_crop


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        # centred, inside: side = longer side (40), centre (120, 70)
        ((100, 50, 140, 90), SquareCrop(100, 50, 140, 90, 40)),
        ((100, 60, 140, 80), SquareCrop(100, 50, 140, 90, 40)),
        # near the right edge: shifted left to stay inside a 320-wide frame
        ((300, 10, 320, 50), SquareCrop(280, 10, 320, 50, 40)),
        # near the top-left corner: shifted right and down
        ((0, 0, 10, 30), SquareCrop(0, 0, 30, 30, 30)),
        # wider than the frame is high (180): full height, padded top and bottom
        ((10, 40, 300, 120), SquareCrop(10, 0, 300, 180, 290, 0, 55)),
        # wider than the frame itself: whole frame, padded both ways
        ((-50, 0, 400, 180), SquareCrop(0, 0, 320, 180, 320, 0, 70)),
    ],
)
def test_square_crop_geometry(box: tuple, expected: SquareCrop) -> None:
    assert square_crop(box, 320, 180) == expected


def test_boxes_of_zero_area_or_outside_have_no_crop() -> None:
    assert square_crop((50, 50, 50, 90), 320, 180) is None
    assert square_crop((400, 10, 450, 60), 320, 180) is None


def test_cut_square_is_square_and_keeps_the_frame_pixels() -> None:
    frame = Image.new("RGB", (320, 180), (10, 20, 30))
    frame.putpixel((150, 90), (255, 0, 0))
    crop = square_crop((10, 40, 300, 120), 320, 180)
    square = cut_square(frame, crop)
    assert square.size == (290, 290)
    assert square.getpixel((0, 0)) == (0, 0, 0)  # padding
    assert square.getpixel((140, 55 + 90)) == (255, 0, 0)  # frame (150, 90) moved by (-10, +55)
    assert square.getpixel((0, 55)) == (10, 20, 30)
