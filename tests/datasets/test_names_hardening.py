"""Names read from data files or given as name options never lead outside the output folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PIL import Image

from repair.core.files import check_plain_name, is_plain_name
from repair.datasets.bdd.synthetic import draw_frame
from repair.datasets.gtsrb import read_annotations
from repair.errors import DataFormatError
from tests.conftest import run_ok, run_repair

UNSAFE = ["../../../x", "/tmp/abs", "a/b", "a\\b", "", ".", "..", "nul\0byte"]


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_names_are_refused(name: str) -> None:
    assert not is_plain_name(name)
    with pytest.raises(DataFormatError, match="unsafe file name"):
        check_plain_name(name, "labels.json")


def test_plain_names_pass() -> None:
    assert check_plain_name("b1c66a42-6f7d68ca.jpg", "x") == "b1c66a42-6f7d68ca.jpg"
    assert is_plain_name("..hidden") and is_plain_name("car 1.jpg")


def _box() -> dict:
    return {"x1": 10, "y1": 10, "x2": 40, "y2": 40}


def test_create_category_dir_skips_unsafe_ids_and_frame_names(tmp_path: Path) -> None:
    images = tmp_path / "work" / "images"
    images.mkdir(parents=True)
    ids = ["../../../escaped", "/tmp/abs-escape", "sub/dir", "", "good"]
    labels = [{"id": i, "category": "car", "box2d": _box()} for i in ids]
    draw_frame(labels, 64, 64).save(images / "f.jpg")
    draw_frame(labels, 64, 64).save(tmp_path / "work" / "outside.jpg")
    frames = [
        {"name": "f.jpg", "labels": labels},
        {"name": "../outside.jpg", "labels": [{"id": "o", "category": "car", "box2d": _box()}]},
    ]
    label_file = tmp_path / "work" / "det.json"
    label_file.write_text(json.dumps(frames))
    out = tmp_path / "work" / "a" / "b" / "out"
    result = run_ok(
        [
            "create_category_dir",
            f"--input_dir={images}",
            f"--label_file={label_file}",
            f"--output_dir={out}",
            "--workers=1",
        ]
    )
    assert [p.name for p in (out / "car").iterdir()] == ["good_f.jpg"]
    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {
        images / "f.jpg",
        tmp_path / "work" / "outside.jpg",
        label_file,
        out / "car" / "good_f.jpg",
        out / "image_info.json",
        out / "summary.json",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert summary["skipped"]["unsafe object id"] == 4
    assert summary["skipped"]["unsafe frame name"] == 1
    assert "skipped (unsafe object id): 4" in result.stdout


def test_prepare_bdd_objects_refuses_an_unsafe_name_in_image_info(tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "secret.jpg")
    (flat / "image_info.json").write_text(
        json.dumps({"images": [{"name": "../secret.jpg", "label": "car"}]})
    )
    result = run_repair(
        [
            "prepare",
            "bdd-objects",
            f"--input_dir={flat}",
            "--single_dir=True",
            f"--output_dir={tmp_path / 'out'}",
            "--data_ratio=1,0,0,0",
        ]
    )
    assert result.exit_code == 1
    assert "unsafe file name '../secret.jpg'" in result.stderr
    assert not (tmp_path / "out" / "train.h5").exists()


def _gtsrb_csv(path: Path, row: list) -> Path:
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2"])
        writer.writerow(row)
    text = path.read_text().splitlines()
    path.write_text(f"{text[0]};ClassId\n{text[1]};3\n")
    return path


def test_gtsrb_csv_with_an_unsafe_file_name_or_inverted_box_is_refused(tmp_path: Path) -> None:
    bad_name = _gtsrb_csv(tmp_path / "a.csv", ["../../x.ppm", 30, 30, 5, 5, 20, 20])
    with pytest.raises(DataFormatError, match=r"unsafe file name '../../x.ppm' in .*a.csv"):
        read_annotations(bad_name, tmp_path, "train")
    inverted = _gtsrb_csv(tmp_path / "b.csv", ["1.ppm", 30, 30, 20, 5, 5, 20])
    with pytest.raises(DataFormatError, match="sign box of 1.ppm is inverted"):
        read_annotations(inverted, tmp_path, "train")


@pytest.fixture
def cats(tmp_path: Path) -> Path:
    (tmp_path / "cats" / "car").mkdir(parents=True)
    for k in range(3):
        Image.new("RGB", (8, 8)).save(tmp_path / "cats" / "car" / f"{k}.jpg")
    return tmp_path / "cats"


def _subset(cats: Path, out: Path, *extra: str):
    return run_repair(
        ["create_image_subset", f"--category_dir={cats}", f"--output_dir={out}", "--num=3", *extra]
    )


@pytest.mark.parametrize("name", ["../info.json", "/tmp/info.json", "sub/info.json", ""])
def test_info_file_must_be_a_plain_name(cats: Path, tmp_path: Path, name: str) -> None:
    result = _subset(cats, tmp_path / "out", f"--info_file={name}")
    assert result.exit_code == 2
    assert "--info" in result.stderr and "plain file name" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "info.json").exists()


def test_output_dir_anywhere_inside_the_category_folder_is_refused(cats: Path) -> None:
    for inside in (cats, cats / "car", cats / "car" / "sub", cats / "new" / "deep"):
        result = _subset(cats, inside)
        assert result.exit_code == 2, inside  # a bad --output_dir value: a usage error
        assert "--output_dir must not be --category_dir or in it" in result.stderr
    assert sorted(p.name for p in (cats / "car").iterdir()) == ["0.jpg", "1.jpg", "2.jpg"]


def test_corrupt_crop_during_resize_is_named(cats: Path, tmp_path: Path) -> None:
    (cats / "car" / "1.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    result = _subset(cats, tmp_path / "out", "--resize_to=4")
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot read image ") and "1.jpg" in last


@pytest.mark.parametrize("name", ["../escape.png", "/tmp/escape.png", "a/b.png"])
def test_chart_filename_must_be_a_plain_name(tmp_path: Path, name: str) -> None:
    results = tmp_path / "results.json"
    results.write_text("[]")
    result = run_repair(
        ["utils", "overlay_radar_charts", f"--input_dirs={results}", f"--filename={name}"]
    )
    assert result.exit_code == 2, result.output
    assert "plain file name" in result.stderr
