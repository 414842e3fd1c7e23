"""create_category_dir -> create_image_subset -> prepare bdd-objects, through the real CLI."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from repair.datasets.bdd import BDD_CLASSES
from repair.datasets.bdd.subset import sample_counts
from tests.conftest import run_ok, run_repair
from tests.datasets.conftest import EDGE_OBJECTS


@pytest.fixture(scope="module")
def categories(bdd_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("categories")
    run_ok(
        [
            "create_category_dir",
            f"--input_dir={bdd_root / 'images/val'}",
            f"--label_file={bdd_root / 'labels/det_20/det_val.json'}",
            f"--output_dir={out}",
            "--workers=2",
        ]
    )
    return out


def test_crops_are_square_named_by_id_and_frame(categories: Path) -> None:
    wide = Image.open(categories / "truck" / "wide_edge-cases.jpg")
    assert wide.size == (290, 290)
    edge = Image.open(categories / "car" / "edge_edge-cases.jpg")
    assert edge.size == (30, 30)
    for path in categories.glob("*/*.jpg"):
        width, height = Image.open(path).size
        assert width == height


def test_summary_counts_every_problem_without_failing(categories: Path) -> None:
    summary = json.loads((categories / "summary.json").read_text())
    assert summary["frames"] == 15
    assert summary["skipped"] == {
        "box of zero area": 1,
        "box outside the frame": 1,
        "frame without labels": 2,
        "missing frame file": 1,
        "object without box2d": 1,
        "unknown category": 1,
        "unreadable JPEG": 1,
    }
    crops_on_disk = list(categories.glob("*/*.jpg"))
    assert summary["crops"] == len(crops_on_disk) == 10 * 12 + 3
    assert sum(summary["categories"].values()) == summary["crops"]


def test_image_info_describes_each_crop(categories: Path) -> None:
    info = json.loads((categories / "image_info.json").read_text())
    by_name = {record["name"]: record for record in info}
    tiny = by_name["tiny_edge-cases.jpg"]
    assert tiny["label"] == "pedestrian" and tiny["area"] == 16.0
    assert tiny["frame"] == "edge-cases.jpg"
    assert all(0 <= record["brightness"] <= 255 for record in info)
    assert len(info) == len(list(categories.glob("*/*.jpg")))


def test_rerun_resumes_without_rewriting(categories: Path, bdd_root: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in categories.glob("*/*.jpg")}
    info_before = (categories / "image_info.json").read_text()
    result = run_ok(
        [
            "create_category_dir",
            f"--image_dir={bdd_root / 'images/val'}",
            f"--label_file={bdd_root / 'labels/det_20/det_val.json'}",
            f"--output_dir={categories}",
            "--workers=1",
        ]
    )
    assert "(0 new)" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in categories.glob("*/*.jpg")} == before
    assert (categories / "image_info.json").read_text() == info_before


def test_filters_drop_small_and_occluded_objects(bdd_root: Path, tmp_path: Path) -> None:
    run_ok(
        [
            "create_category_dir",
            f"--input_dir={bdd_root / 'images/val'}",
            f"--label_file={bdd_root / 'labels/det_20/det_val.json'}",
            f"--output_dir={tmp_path}",
            "--min_area=20",
            "--remove_occluded=True",
            "--workers=1",
        ]
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    labels = json.loads((bdd_root / "labels/det_20/det_val.json").read_text())
    occluded = sum(
        obj.get("attributes", {}).get("occluded", False)
        for frame in labels[:10]
        for obj in frame["labels"]
    )
    assert summary["skipped"]["filtered out"] == occluded + 1  # + the 4x4 "tiny" box
    assert not (tmp_path / "pedestrian" / "tiny_edge-cases.jpg").exists()


def test_bad_label_file_is_one_clear_error(bdd_root: Path, tmp_path: Path) -> None:
    bad = tmp_path / "det.json"
    bad.write_text('{"not": "a list"')
    result = run_repair(
        [
            "create_category_dir",
            f"--input_dir={bdd_root / 'images/val'}",
            f"--label_file={bad}",
            f"--output_dir={tmp_path / 'out'}",
        ]
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "not a BDD100K detection label file" in result.stderr
    missing = run_repair(
        [
            "create_category_dir",
            f"--input_dir={bdd_root / 'images/val'}",
            f"--label_file={tmp_path / 'nope.json'}",
            "--output_dir=out",
        ]
    )
    assert missing.exit_code == 1 and "label file not found" in missing.stderr


def test_sample_counts_are_proportional_and_bounded() -> None:
    counts = sample_counts({"car": 800, "bus": 150, "train": 50}, 100, category_min=10)
    assert counts == {"car": 80, "bus": 15, "train": 10}
    assert sample_counts({"car": 800, "train": 5}, 100, category_min=10)["train"] == 5


def test_subset_is_reproducible_and_honours_exclusions(categories: Path, tmp_path: Path) -> None:
    args = [
        f"--category_dir={categories}",
        "--num=40",
        "--category_min=2",
        "--excluded_labels=train, bus",
        "--random_state=3",
    ]
    first = run_ok(["create_image_subset", *args, f"--output_dir={tmp_path / 'a'}"])
    run_ok(["create_image_dir", *args, f"--output_dir={tmp_path / 'b'}"])
    info_a = json.loads((tmp_path / "a" / "image_info.json").read_text())
    info_b = json.loads((tmp_path / "b" / "image_info.json").read_text())
    assert info_a["images"] == info_b["images"]
    assert {"bus", "train"}.isdisjoint(info_a["results"])
    assert info_a["args"]["num"] == 40
    assert len(list((tmp_path / "a").glob("*.jpg"))) == sum(info_a["results"].values())
    assert "| total |" in first.stdout and first.stdout.startswith("| label | num |")
    assert all(n >= 2 for n in info_a["results"].values())


def test_unknown_excluded_label_lists_the_valid_ones(categories: Path, tmp_path: Path) -> None:
    result = run_repair(
        [
            "create_image_subset",
            f"--category_dir={categories}",
            f"--output_dir={tmp_path}",
            "--excluded_labels=cars",
        ]
    )
    assert result.exit_code == 2  # a bad --excluded_labels value: a usage error
    assert "unknown label 'cars'" in result.stderr and "traffic light" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_prepare_packs_crops_with_ids_and_class_names(categories: Path, tmp_path: Path) -> None:
    subset = tmp_path / "subset"
    run_ok(
        [
            "create_image_subset",
            f"--category_dir={categories}",
            f"--output_dir={subset}",
            "--num=1000",
        ]
    )
    result = run_ok(
        [
            "prepare",
            "bdd-objects",
            f"--input_dir={subset}",
            f"--output_dir={tmp_path}",
            "--single_dir=True",
            "--data_ratio=0.5,0.2,0.3,0",
            "--random_state=3",
            "--image_size=16",
        ]
    )
    assert "train_images: (" in result.stdout and ", 16, 16, 3)" in result.stdout
    info = json.loads((subset / "image_info.json").read_text())
    label_of = {item["name"]: item["label"] for item in info["images"]}
    seen = []
    for split in ("train", "val", "test"):
        with h5py.File(tmp_path / f"{split}.h5") as file:
            assert list(file.attrs["class_names"]) == list(BDD_CLASSES)
            ids = [v.decode() for v in file["image_ids"][...]]
            frames = [v.decode() for v in file["attribute_ids"][...]]
            labels = np.argmax(file["labels"][...], axis=1)
            images = file["images"][...]
        assert images.dtype == np.float32 and images.min() >= 0 and images.max() <= 1
        assert [BDD_CLASSES[k] for k in labels] == [label_of[name] for name in ids]
        assert all(name.split("_", 1)[1] == frame for name, frame in zip(ids, frames, strict=True))
        seen += ids
    assert sorted(seen) == sorted(label_of)
    assert not (tmp_path / "repair.h5").exists()


def test_equalisation_spreads_the_value_channel(categories: Path, tmp_path: Path) -> None:
    common = [
        "prepare",
        "bdd-objects",
        f"--input_dir={categories}",
        "--data_ratio=1,0,0,0",
        "--image_size=16",
    ]
    run_ok([*common, f"--output_dir={tmp_path / 'eq'}"])
    run_ok([*common, f"--output_dir={tmp_path / 'raw'}", "--equalize=False"])
    with h5py.File(tmp_path / "eq/train.h5") as eq, h5py.File(tmp_path / "raw/train.h5") as raw:
        equalised, plain = eq["images"][...], raw["images"][...]
    assert equalised.shape == plain.shape
    value_range = lambda images: np.ptp(images.max(axis=-1).reshape(len(images), -1), axis=1)  # noqa: E731
    assert np.mean(value_range(equalised)) > np.mean(value_range(plain))


TUTORIAL = """
repair create_category_dir --input_dir=datasets/bdd100k/images/val --label_file=datasets/bdd100k/labels/det_20/det_val.json --output_dir=docs/tutorial/categories/val
repair create_image_dir --category_dir=docs/tutorial/categories/val --output_dir=docs/tutorial/data/images/val --num=70000 --excluded_labels='other vehicle,other person,trailer,train,bicycle,motorcycle,bus,rider'
repair prepare bdd-objects --input_dir=docs/tutorial/data/images/val --output_dir=docs/tutorial/data --single_dir=True --data_ratio=0.5,0.2,0.3,0 --random_state=3
repair prepare bdd-objects --input_dir=docs/tutorial/data/images/train --output_dir=docs/tutorial/data --single_dir=True --data_ratio=0,0,0,1
"""  # noqa: E501 - verbatim from the tutorial


def test_the_tutorial_commands_run_verbatim(
    bdd_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(bdd_root, tmp_path / "datasets" / "bdd100k")
    monkeypatch.chdir(tmp_path)
    # The tutorial makes the train subset the same way before its last command.
    run_ok(
        [
            "create_category_dir",
            "--input_dir=datasets/bdd100k/images/train",
            "--label_file=datasets/bdd100k/labels/det_20/det_train.json",
            "--output_dir=docs/tutorial/categories/train",
        ]
    )
    run_ok(
        [
            "create_image_dir",
            "--category_dir=docs/tutorial/categories/train",
            "--output_dir=docs/tutorial/data/images/train",
            "--num=70000",
        ]
    )
    for line in TUTORIAL.strip().splitlines():
        run_ok(shlex.split(line)[1:])
    data = tmp_path / "docs/tutorial/data"
    kept = {"car", "pedestrian", "traffic light", "traffic sign", "truck"}
    counts = {}
    for split in ("train", "val", "test", "repair"):
        with h5py.File(data / f"{split}.h5") as file:
            counts[split] = len(file["labels"])
            labels = {BDD_CLASSES[k] for k in np.argmax(file["labels"][...], axis=1)}
            assert file["images"].shape[1:] == (32, 32, 3)
        if split != "repair":
            assert labels <= kept
    val_subset = json.loads((data / "images/val/image_info.json").read_text())
    assert counts["train"] + counts["val"] + counts["test"] == len(val_subset["images"])
    assert counts["repair"] == len(list((data / "images/train").glob("*.jpg")))
    assert EDGE_OBJECTS["wide"][0] in kept


def test_subset_refuses_the_same_file_name_in_two_categories(tmp_path: Path) -> None:
    for category in ("car", "bus"):
        (tmp_path / "cats" / category).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "cats" / category / "001.jpg")
    result = run_repair(
        [
            "create_image_subset",
            f"--category_dir={tmp_path / 'cats'}",
            f"--output_dir={tmp_path / 'out'}",
            "--num=10",
        ]
    )
    assert result.exit_code == 1
    assert "'001.jpg' is in both" in result.stderr
    assert not (tmp_path / "out" / "image_info.json").exists()


def test_prepare_names_a_corrupt_or_missing_crop(tmp_path: Path) -> None:
    (tmp_path / "cats" / "car").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(tmp_path / "cats" / "car" / "1_a.jpg")
    (tmp_path / "cats" / "car" / "2_a.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    result = run_repair(
        [
            "prepare",
            "bdd-objects",
            f"--input_dir={tmp_path / 'cats'}",
            f"--output_dir={tmp_path / 'out'}",
            "--data_ratio=1,0,0,0",
        ]
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot read image ")
    assert "2_a.jpg" in result.stderr and not (tmp_path / "out" / "train.h5").exists()

    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "image_info.json").write_text(
        json.dumps({"images": [{"name": "9_b.jpg", "label": "car"}]})
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
    assert result.exit_code == 1 and "error: missing image" in result.stderr


def _frame_attributes(bdd_root: Path) -> dict[str, dict[str, str]]:
    """Frame name -> weather, timeofday, scene as the label JSON says (``undefined`` if not)."""
    frames = json.loads((bdd_root / "labels/det_20/det_val.json").read_text())
    keys = ("weather", "timeofday", "scene")
    return {
        f["name"]: {k: (f.get("attributes") or {}).get(k) or "undefined" for k in keys}
        for f in frames
    }


@pytest.mark.parametrize("single_dir", [True, False])
def test_prepare_stores_the_frame_attributes_per_image(
    categories: Path, bdd_root: Path, tmp_path: Path, single_dir: bool
) -> None:
    source = categories
    if single_dir:
        source = tmp_path / "subset"
        run_ok(
            ["create_image_subset", f"--category_dir={categories}", f"--output_dir={source}"]
            + ["--num=1000"]
        )
    out = tmp_path / "out"
    run_ok(
        ["prepare", "bdd-objects", f"--input_dir={source}", f"--output_dir={out}"]
        + [f"--single_dir={single_dir}", "--data_ratio=0.5,0,0,0.5", "--image_size=8"]
    )
    expected = _frame_attributes(bdd_root)
    seen: dict[str, set[str]] = {"weather": set(), "timeofday": set(), "scene": set()}
    for split in ("train", "repair"):
        with h5py.File(out / f"{split}.h5") as file:
            frames = [v.decode() for v in file["attribute_ids"][...]]
            for key, values in seen.items():
                stored = [v.decode() for v in file[key][...]]
                assert stored == [expected[frame][key] for frame in frames]
                values.update(stored)
    # The generator varies the conditions; the hand-made frames have none.
    assert len(seen["weather"]) > 1 and len(seen["timeofday"]) > 1
    assert "undefined" in seen["weather"]


def test_a_category_folder_without_image_info_stores_undefined(tmp_path: Path) -> None:
    folder = tmp_path / "cats" / "car"
    folder.mkdir(parents=True)
    Image.new("RGB", (8, 8), (90, 20, 20)).save(folder / "1_f.jpg")
    Image.new("RGB", (8, 8), (20, 90, 20)).save(folder / "2_f.jpg")
    out = tmp_path / "out"
    run_ok(
        ["prepare", "bdd-objects", f"--input_dir={tmp_path / 'cats'}", f"--output_dir={out}"]
        + ["--data_ratio=1,0,0,0", "--image_size=8"]
    )
    with h5py.File(out / "train.h5") as file:
        assert [v.decode() for v in file["timeofday"][...]] == ["undefined"] * 2
