"""repair prepare gtsrb: official .ppm folders with their CSVs, through the real CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from repair.datasets.gtsrb import GTSRB_CLASSES, GtsrbDataset, GtsrbOptions
from tests.conftest import run_ok, run_repair

HEADER = ["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId"]
TRAIN_CLASSES = {0: 3, 14: 2, 42: 2}  # class -> images (a few of the 43)
TEST_LABELS = [14, 0, 42, 14]


def _sign(path: Path, width: int, height: int, label: int) -> list:
    """A .ppm with a sign-coloured box inside a 5-pixel grey margin; its CSV row."""
    image = Image.new("RGB", (width, height), (90, 90, 90))
    image.paste((200, 20 + 5 * label, 30), (5, 5, width - 5, height - 5))
    image.save(path)  # .ppm suffix: Pillow writes binary PPM (P6), as the official files
    return [path.name, width, height, 5, 5, width - 6, height - 6, label]


def _write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerows([HEADER, *rows])


@pytest.fixture(scope="module")
def gtsrb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """datasets/gtsrb with GTSRB/Final_Training, GTSRB/Final_Test and GT-final_test.csv."""
    root = tmp_path_factory.mktemp("gtsrb")
    for label, count in TRAIN_CLASSES.items():
        folder = root / "GTSRB" / "Final_Training" / "Images" / f"{label:05d}"
        folder.mkdir(parents=True)
        rows = [_sign(folder / f"00000_{k:05d}.ppm", 30 + 4 * k, 34, label) for k in range(count)]
        _write_csv(folder / f"GT-{label:05d}.csv", rows)
    test_images = root / "GTSRB" / "Final_Test" / "Images"
    test_images.mkdir(parents=True)
    rows = [
        _sign(test_images / f"{k:05d}.ppm", 40, 36, label) for k, label in enumerate(TEST_LABELS)
    ]
    _write_csv(root / "GT-final_test.csv", rows)
    return root


def test_all_official_images_are_packed_with_names_and_ids(gtsrb_dir: Path, tmp_path: Path) -> None:
    result = run_ok(
        [
            "prepare",
            "gtsrb",
            f"--input_dir={gtsrb_dir}",
            f"--output_dir={tmp_path}",
            "--data_ratio=1,0,0,0",
            "--image_size=16",
        ]
    )
    assert "train_images: (11, 16, 16, 3)" in result.stdout
    with h5py.File(tmp_path / "train.h5") as file:
        assert list(file.attrs["class_names"]) == list(GTSRB_CLASSES)
        assert file["labels"].shape == (11, 43)
        labels = np.argmax(file["labels"][...], axis=1)
        ids = [v.decode() for v in file["image_ids"][...]]
        parts = [v.decode() for v in file["attribute_ids"][...]]
    by_id = dict(zip(ids, labels, strict=True))
    assert by_id["Final_Training/Images/00014/00000_00001.ppm"] == 14
    assert by_id["Final_Test/Images/00002.ppm"] == 42
    assert [part for part in parts if not part.startswith("train/")] == ["test"] * 4
    assert parts[ids.index("Final_Training/Images/00014/00000_00001.ppm")] == "train/00014_00000"


def test_central_square_or_roi_crop(gtsrb_dir: Path) -> None:
    """A 38x34 image: the central square keeps grey margin; the annotated ROI is all sign."""
    centre = GtsrbDataset(gtsrb_dir, GtsrbOptions(subset="train", equalize=False, image_size=34))
    roi = GtsrbDataset(
        gtsrb_dir, GtsrbOptions(subset="train", equalize=False, image_size=24, roi=True)
    )
    position = list(centre.index().image_ids).index("Final_Training/Images/00000/00000_00002.ppm")
    square = centre.load(np.array([position]))[0]
    sign = roi.load(np.array([position]))[0]
    grey = np.float32(90 / 255)
    assert np.allclose(square[0, 0], grey, atol=0.01)  # corner of the central square: margin
    assert np.allclose(square[17, 17], [200 / 255, 20 / 255, 30 / 255], atol=0.01)
    assert not np.any(np.all(np.isclose(sign, grey, atol=0.02), axis=-1))  # no margin left


def test_each_subset_reads_only_its_part(gtsrb_dir: Path) -> None:
    train = GtsrbDataset(gtsrb_dir, GtsrbOptions(subset="train")).index()
    test = GtsrbDataset(gtsrb_dir / "GTSRB", GtsrbOptions(subset="test")).index()
    assert sorted(train.labels) == [0, 0, 0, 14, 14, 42, 42]
    assert list(test.labels) == TEST_LABELS


def test_missing_parts_are_named(gtsrb_dir: Path, tmp_path: Path) -> None:
    """Each error names what is missing and the official zip it comes from."""
    (tmp_path / "Final_Test" / "Images").mkdir(parents=True)
    result = run_repair(["prepare", "gtsrb", f"--input_dir={tmp_path}", "--output_dir=out"])
    assert result.exit_code == 1 and "no class folders in" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_repair(["prepare", "gtsrb", f"--input_dir={empty}", "--output_dir=out"])
    assert result.exit_code == 1 and "no GTSRB files" in result.stderr
    result = run_repair(
        ["prepare", "gtsrb", f"--input_dir={tmp_path}", "--output_dir=out", "--subset=test"]
    )
    assert result.exit_code == 1 and "GTSRB_Final_Test_GT.zip" in result.stderr


def test_bad_subset_is_a_usage_error(gtsrb_dir: Path) -> None:
    result = run_repair(
        ["prepare", "gtsrb", f"--input_dir={gtsrb_dir}", "--output_dir=out", "--subset=val"]
    )
    assert result.exit_code == 2 and "--subset must be one of train, test, all" in result.stderr
