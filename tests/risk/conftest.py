"""A hand-made fixture for the risk calculation: two splits whose images name their source
frame, two label files with the frames' attributes, the crops, and a model whose prediction
is written in each image (its pixel's channels are the one-hot predicted label)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import write_split

CLASSES = ("car", "pedestrian", "truck")
FRAMES = {
    "f1.jpg": {"weather": "clear", "timeofday": "daytime", "scene": "highway"},
    "f2.jpg": {"weather": "rainy", "timeofday": "night", "scene": "city street"},
    "f3.jpg": {"weather": "rainy", "timeofday": "daytime", "scene": "city street"},
    "f4.jpg": {"weather": "clear", "timeofday": "night", "scene": "highway"},
}
# (image id, true label, predicted label, source frame), per split file.
IMAGES = {
    "a.h5": [
        ("a0.jpg", 0, 0, "f2.jpg"),
        ("a1.jpg", 1, 1, "f2.jpg"),
        ("a2.jpg", 1, 0, "f2.jpg"),
        ("a3.jpg", 1, 2, "f1.jpg"),
        ("a4.jpg", 2, 2, "f3.jpg"),
        ("a5.jpg", 0, 1, "f4.jpg"),
    ],
    "b.h5": [
        ("b0.jpg", 1, 2, "f2.jpg"),
        ("b1.jpg", 2, 2, "f2.jpg"),
        ("b2.jpg", 0, 0, "f1.jpg"),
        ("b3.jpg", 1, 1, "f4.jpg"),
    ],
}


@dataclass(frozen=True)
class RiskFixture:
    splits: Path  # a.h5, b.h5
    labels: Path  # labels_1.json, labels_2.json
    crops: Path  # crops/<class name>/<image id>
    model: Path  # model.keras


def write_images(
    path: Path, rows: list[tuple[str, int, int, str]], frame_keys: bool = False
) -> Path:
    """A split of (1, 1, 3) images whose channels are the one-hot predicted label; with
    ``frame_keys``, each image also carries its frame's attributes as per-image keys (as
    ``prepare bdd-objects`` stores them)."""
    keys = ("weather", "timeofday", "scene") if frame_keys else ()
    extras = {key: np.array([FRAMES[r[3]][key] for r in rows], dtype=object) for key in keys}
    eye = np.eye(len(CLASSES), dtype=np.float32)
    return write_split(
        path,
        eye[[pred for _, _, pred, _ in rows]].reshape(len(rows), 1, 1, len(CLASSES)),
        np.array([true for _, true, _, _ in rows]),
        num_classes=len(CLASSES),
        class_names=CLASSES,
        image_ids=[name for name, _, _, _ in rows],
        attribute_ids=[frame for _, _, _, frame in rows],
        extras=extras,
    )


@pytest.fixture(scope="session")
def risk_fixture(tmp_path_factory: pytest.TempPathFactory) -> RiskFixture:
    import keras

    from repair.core.model import save_model

    root = tmp_path_factory.mktemp("risk")
    splits, labels, crops = root / "splits", root / "labels", root / "crops"
    for name, rows in IMAGES.items():
        write_images(splits / name, rows)
        for image_id, true, _, _ in rows:
            (crops / CLASSES[true]).mkdir(parents=True, exist_ok=True)
            (crops / CLASSES[true] / image_id).write_bytes(image_id.encode())
    labels.mkdir()
    frames = [{"name": n, "attributes": a, "labels": []} for n, a in FRAMES.items()]
    (labels / "labels_1.json").write_text(json.dumps(frames[:2]))
    (labels / "labels_2.json").write_text(json.dumps([*frames[2:], {"name": "f5.jpg"}]))
    model = keras.Sequential(
        [
            keras.Input((1, 1, len(CLASSES))),
            keras.layers.Flatten(),
            keras.layers.Dense(len(CLASSES), activation="softmax", use_bias=False),
        ]
    )
    model.layers[-1].set_weights([np.eye(len(CLASSES), dtype=np.float32) * 5.0])
    save_model(model, root / "model" / "model.keras")
    return RiskFixture(splits, labels, crops, root / "model")
