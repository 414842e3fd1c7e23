"""The generated BDD-style frames carry seeded, varied conditions that change their pixels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from repair.datasets.bdd.synthetic import apply_conditions, draw_frame, write_frames


def _frames(tmp_path: Path, name: str, seed: int) -> list[dict]:
    return write_frames(tmp_path / name, tmp_path / f"{name}.json", 40, 2, 64, 48, seed=seed)


def test_conditions_are_seeded_varied_and_in_the_label_file(tmp_path: Path) -> None:
    first, again, other = (
        _frames(tmp_path, "a", 3),
        _frames(tmp_path, "b", 3),
        _frames(tmp_path, "c", 4),
    )
    assert [f["attributes"] for f in first] == [f["attributes"] for f in again]
    assert [f["attributes"] for f in first] != [f["attributes"] for f in other]
    assert json.loads((tmp_path / "a.json").read_text()) == first
    for key in ("weather", "timeofday", "scene"):
        assert len({f["attributes"].get(key) for f in first}) > 1, key
    # The objects do not depend on the conditions' generator.
    assert [f["labels"] for f in first] == [f["labels"] for f in again]


def test_night_is_darker_and_rain_flatter_and_noisier() -> None:
    objects = [{"category": "car", "box2d": {"x1": 10, "y1": 10, "x2": 40, "y2": 30}}]
    rng = np.random.default_rng(0)
    clear = draw_frame(objects, 64, 48)
    day = np.asarray(apply_conditions(clear, {"weather": "clear", "timeofday": "daytime"}, rng))
    night = np.asarray(apply_conditions(clear, {"weather": "clear", "timeofday": "night"}, rng))
    rain = np.asarray(apply_conditions(clear, {"weather": "rainy", "timeofday": "daytime"}, rng))
    np.testing.assert_array_equal(day, np.asarray(clear))
    assert night.mean() < 0.5 * day.mean()
    car = (slice(12, 28), slice(12, 38))  # inside the object: flat in the clear frame
    assert rain[car][..., 0].std() > 20 and day[car][..., 0].std() == 0
    # Night fades the colours (equalising the brightness in prepare cannot bring them back).
    colour = np.ptp(day[car].mean(axis=(0, 1)))
    assert np.ptp(night[car].mean(axis=(0, 1))) < 0.1 * colour
    sky, road = day[0].mean(), day[-1].mean()
    rain_rows = rain.astype(float).mean(axis=(1, 2))
    assert abs(rain_rows[:3].mean() - rain_rows[-3:].mean()) < 0.75 * abs(sky - road)
    assert isinstance(apply_conditions(clear, {}, rng), Image.Image)
