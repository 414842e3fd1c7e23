"""Synthetic BDD100K-style frames and labels, for tests, benchmarks and trying the pipeline.

Each frame is a real JPEG (a sky-to-road gradient with one filled rectangle per object, its
colour fixed by the category) and the label file has the det_20 layout.

Each frame also gets BDD's frame attributes, drawn from the seed (a generator of their own, so
the objects do not change with them): ``weather`` (clear, overcast, rainy, foggy), ``timeofday``
(daytime, dawn/dusk, night) and ``scene`` (city street, highway, residential; about one frame in
twenty has no scene, which ``prepare bdd-objects`` stores as ``undefined``). So that a condition
can really make a classifier fail, the conditions change the pixels, objects included
(:func:`apply_conditions`): night frames lose 85 % of their colour (blended toward their grey
level, as colours fade in the dark) and are darkened to 35 % of their brightness, dawn/dusk
frames lose 40 % and are darkened to 70 % (histogram equalisation in ``prepare`` restores
brightness, not colour); rainy frames lose half their contrast (pulled toward mid-grey) and get
strong pixel noise (sigma 30 of 255); foggy frames are blended 60 % toward light grey.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from repair.datasets.bdd import BDD_CLASSES

FRAME_WIDTH, FRAME_HEIGHT = 1280, 720
WEATHERS = ("clear", "overcast", "rainy", "foggy")
TIMES_OF_DAY = ("daytime", "dawn/dusk", "night")
SCENES = ("city street", "highway", "residential")
_WEATHER_P = (0.45, 0.2, 0.2, 0.15)
_TIME_P = (0.5, 0.15, 0.35)
_NO_SCENE_P = 0.05
_DARKNESS = {"night": 0.35, "dawn/dusk": 0.7}
_FADING = {"night": 0.85, "dawn/dusk": 0.4}  # share of colour lost
_RAIN_CONTRAST, _RAIN_NOISE = 0.5, 30.0
_FOG_BLEND, _FOG_GREY = 0.6, 200.0


def category_colour(category: str) -> tuple[int, int, int]:
    """A distinct, stable colour per category, so crops of a class look alike."""
    k = BDD_CLASSES.index(category) if category in BDD_CLASSES else len(BDD_CLASSES)
    return (40 + (k * 67) % 200, 40 + (k * 131) % 200, 40 + (k * 29) % 200)


def draw_frame(
    objects: Sequence[dict],
    width: int = FRAME_WIDTH,
    height: int = FRAME_HEIGHT,
    noise: np.random.Generator | None = None,
) -> Image.Image:
    """A frame with a vertical gradient and a rectangle for each object's box2d.

    With ``noise``, pixel noise is added so that the JPEG is about as large (and as slow to
    decode) as a real 1280x720 BDD photo, about 100-200 KB, rather than a flat 40 KB.
    """
    rows = np.linspace(200, 60, height, dtype=np.float32)[:, None, None]
    channels = np.array([0.8, 0.9, 1.0], dtype=np.float32)
    pixels = np.broadcast_to(rows * channels, (height, width, 3))
    if noise is not None:
        pixels = pixels + noise.normal(0.0, 12.0, size=(height, width, 1)).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for obj in objects:
        box = obj.get("box2d")
        if box:
            draw.rectangle(
                (box["x1"], box["y1"], box["x2"], box["y2"]), fill=category_colour(obj["category"])
            )
    return image


def random_attributes(rng: np.random.Generator) -> dict[str, str]:
    """BDD frame attributes: weather, timeofday and (mostly) scene, drawn from ``rng``."""
    attributes = {
        "weather": str(rng.choice(WEATHERS, p=_WEATHER_P)),
        "timeofday": str(rng.choice(TIMES_OF_DAY, p=_TIME_P)),
    }
    scene = str(rng.choice(SCENES))
    if rng.random() >= _NO_SCENE_P:
        attributes["scene"] = scene
    return attributes


def apply_conditions(
    image: Image.Image, attributes: dict[str, str], rng: np.random.Generator
) -> Image.Image:
    """The frame as its weather and time of day would show it (the module docstring says how);
    a clear daytime frame is returned unchanged."""
    weather, time = attributes.get("weather"), attributes.get("timeofday")
    if weather not in ("rainy", "foggy") and time not in _DARKNESS:
        return image
    pixels = np.asarray(image, dtype=np.float32)
    if weather == "rainy":
        pixels = 128.0 + _RAIN_CONTRAST * (pixels - 128.0)
        pixels = pixels + rng.normal(0.0, _RAIN_NOISE, size=pixels.shape[:2] + (1,))
    elif weather == "foggy":
        pixels = (1 - _FOG_BLEND) * pixels + _FOG_BLEND * _FOG_GREY
    if time in _FADING:
        grey = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        pixels = (1 - _FADING[time]) * pixels + _FADING[time] * grey[..., None]
    pixels = pixels * _DARKNESS.get(time, 1.0)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def random_objects(
    rng: np.random.Generator, count: int, width: int, height: int, first_id: int
) -> list[dict]:
    """``count`` objects of random categories with boxes from 8 pixels to a third of the width."""
    objects = []
    for k in range(count):
        w, h = rng.uniform(8, width / 3), rng.uniform(8, height / 3)
        x1, y1 = rng.uniform(0, width - w), rng.uniform(0, height - h)
        objects.append(
            {
                "id": str(first_id + k),
                "category": str(rng.choice(BDD_CLASSES)),
                "attributes": {"occluded": bool(rng.random() < 0.3), "truncated": False},
                "box2d": {"x1": x1, "y1": y1, "x2": x1 + w, "y2": y1 + h},
            }
        )
    return objects


def write_frames(
    image_dir: Path,
    label_file: Path,
    num_frames: int,
    objects_per_frame: int = 18,
    width: int = FRAME_WIDTH,
    height: int = FRAME_HEIGHT,
    seed: int = 0,
    realistic: bool = False,
) -> list[dict]:
    """Write ``num_frames`` JPEG frames into ``image_dir`` and their labels to ``label_file``.

    ``realistic`` adds pixel noise (see :func:`draw_frame`): slower to make, fairer to time.
    Every frame gets attributes (:func:`random_attributes`) that change its pixels
    (:func:`apply_conditions`).
    """
    rng = np.random.default_rng(seed)
    # Their own generator, so that a seed gives the same objects as before frames had conditions.
    condition_rng = np.random.default_rng([seed, 1])
    image_dir.mkdir(parents=True, exist_ok=True)
    frames = []
    for number in range(num_frames):
        objects = random_objects(rng, objects_per_frame, width, height, number * 1000)
        name = f"{seed:04d}{number:04d}-frame.jpg"
        attributes = random_attributes(condition_rng)
        frame = draw_frame(objects, width, height, rng if realistic else None)
        apply_conditions(frame, attributes, condition_rng).save(image_dir / name, quality=90)
        frames.append({"name": name, "attributes": attributes, "labels": objects})
    label_file.parent.mkdir(parents=True, exist_ok=True)
    label_file.write_text(json.dumps(frames))
    return frames
