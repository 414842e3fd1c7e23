"""Small BDD100K-style frames and labels, with the hard cases the pipeline must survive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repair.datasets.bdd.synthetic import draw_frame, write_frames

WIDTH, HEIGHT = 320, 180


def _box(x1: float, y1: float, x2: float, y2: float) -> dict:
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}


# Objects of the hand-made frame "edge-cases.jpg": id -> (category, box).
EDGE_OBJECTS = {
    "wide": ("truck", _box(10, 40, 300, 120)),  # wider than the frame is high: padded
    "edge": ("car", _box(300, 150, 320, 180)),  # touches the bottom-right corner
    "flat": ("car", _box(50, 50, 50, 90)),  # zero area
    "away": ("car", _box(400, 10, 450, 60)),  # outside the frame
    "road": ("drivable area", _box(0, 100, 320, 180)),  # unknown category
    "lane": ("lane", None),  # no box2d
    "tiny": ("pedestrian", _box(100, 100, 104, 104)),
}


def _frame_json(name: str, objects: dict) -> dict:
    labels = []
    for object_id, (category, box) in objects.items():
        label = {"id": object_id, "category": category, "attributes": {"occluded": False}}
        if box is not None:
            label["box2d"] = box
        labels.append(label)
    return {"name": name, "labels": labels}


@pytest.fixture(scope="session")
def bdd_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """datasets/bdd100k-like tree: images/val (10 random frames + the hard cases) and labels."""
    root = tmp_path_factory.mktemp("bdd100k")
    images = root / "images" / "val"
    label_file = root / "labels" / "det_20" / "det_val.json"
    frames = write_frames(
        images, label_file, 10, objects_per_frame=12, width=WIDTH, height=HEIGHT, seed=1
    )
    edge = _frame_json("edge-cases.jpg", EDGE_OBJECTS)
    draw_frame(edge["labels"], WIDTH, HEIGHT).save(images / "edge-cases.jpg")
    (images / "corrupt.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    frames += [
        edge,
        {"name": "empty.jpg", "labels": []},
        {"name": "no-labels-key.jpg"},
        _frame_json("corrupt.jpg", {"c1": ("car", _box(1, 1, 30, 30))}),
        _frame_json("missing.jpg", {"m1": ("car", _box(1, 1, 30, 30))}),
    ]
    label_file.write_text(json.dumps(frames))
    write_frames(
        root / "images" / "train",
        root / "labels" / "det_20" / "det_train.json",
        8,
        objects_per_frame=12,
        width=WIDTH,
        height=HEIGHT,
        seed=2,
    )
    return root
