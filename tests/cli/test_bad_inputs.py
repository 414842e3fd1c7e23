"""Bad input: one clear line on stderr, a non-zero exit, nothing half-written."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from repair.core.data import write_split
from tests.conftest import run_repair


def _assert_one_error_line(result, code: int, *fragments: str) -> None:  # noqa: ANN001
    assert result.exit_code == code, result.output
    # Progress bars may precede it (carriage returns); the error is one last line of its own.
    lines = result.stderr.replace("\r", "\n").strip().splitlines()
    errors = [line for line in lines if "error" in line.lower()]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert errors[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in errors[0]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_missing_data_folder(digits_model_dir: Path, tmp_path: Path) -> None:
    result = run_repair(["test", "--model_dir", digits_model_dir, "--data_dir", tmp_path / "nope"])
    _assert_one_error_line(result, 2, "--data_dir", "does not exist")


def test_missing_model(digits_data_dir: Path, tmp_path: Path) -> None:
    result = run_repair(["test", "--model_dir", tmp_path, "--data_dir", digits_data_dir])
    _assert_one_error_line(result, 1, "no model.keras in")


def test_legacy_savedmodel_folder_says_how_to_convert(digits_data_dir: Path, tmp_path: Path):
    (tmp_path / "saved_model.pb").write_bytes(b"\0")
    result = run_repair(["test", "--model_dir", tmp_path, "--data_dir", digits_data_dir])
    _assert_one_error_line(result, 1, "legacy TensorFlow SavedModel", "model.keras")


def test_corrupt_model_file(digits_data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "model.keras").write_bytes(b"not a zip")
    result = run_repair(["test", "--model_dir", tmp_path, "--data_dir", digits_data_dir])
    _assert_one_error_line(result, 1, "cannot load model")


def test_corrupt_h5(digits_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "test.h5").write_bytes(b"\x89HDF\r\n garbage")
    result = run_repair(["test", "--model_dir", digits_model_dir, "--data_dir", tmp_path])
    _assert_one_error_line(result, 1, "not a readable HDF5 file", "test.h5")


def test_wrong_image_shape(digits_model_dir: Path, tmp_path: Path) -> None:
    write_split(tmp_path / "repair.h5", np.zeros((4, 12, 12, 1)), np.arange(4) % 10, 10)
    before = _files(tmp_path)
    result = run_repair(["target", "--model_dir", digits_model_dir, "--data_dir", tmp_path])
    _assert_one_error_line(result, 1, "model expects images of shape (8, 8, 1)", "(12, 12, 1)")
    assert _files(tmp_path) == before


def test_wrong_class_count(digits_model_dir: Path, tmp_path: Path) -> None:
    write_split(tmp_path / "test.h5", np.zeros((4, 8, 8, 1)), np.arange(4) % 3, 3)
    result = run_repair(["test", "--model_dir", digits_model_dir, "--data_dir", tmp_path])
    _assert_one_error_line(result, 1, "model predicts 10 classes", "has 3")


def test_missing_labels_key(digits_model_dir: Path, tmp_path: Path) -> None:
    with h5py.File(tmp_path / "test.h5", "w") as file:
        file["images"] = np.zeros((2, 8, 8, 1), dtype=np.float32)
    result = run_repair(["test", "--model_dir", digits_model_dir, "--data_dir", tmp_path])
    _assert_one_error_line(result, 1, "has no 'labels' dataset")


@pytest.mark.parametrize(
    ("ratio", "fragment"),
    [("0.5,0.2,0.3", "needs 4"), ("0.5,0.5,0.5,0", "sum to 1"), ("a,b,c,d", "comma-separated")],
)
def test_bad_ratio_list_writes_nothing(tmp_path: Path, ratio: str, fragment: str) -> None:
    result = run_repair(
        ["prepare", "digits", "--output_dir", tmp_path / "out", f"--data_ratio={ratio}"]
    )
    _assert_one_error_line(result, 2, "--data_ratio", fragment)
    assert not (tmp_path / "out").exists()


def test_unknown_dataset_and_unknown_dataset_option(tmp_path: Path) -> None:
    _assert_one_error_line(run_repair(["prepare", "mnist"]), 2, "no dataset 'mnist'", "digits")
    result = run_repair(["prepare", "digits", "--output_dir", tmp_path, "--imagesize=4"])
    _assert_one_error_line(result, 2, "--imagesize", "--image_size")


def test_unknown_model_architecture(digits_data_dir: Path, tmp_path: Path) -> None:
    result = run_repair(
        ["train", "--model=resnet", "--data_dir", digits_data_dir, "--output_dir", tmp_path]
    )
    _assert_one_error_line(result, 2, "no model 'resnet'", "base", "vgg16")
    assert list(tmp_path.iterdir()) == []


def test_vgg16_on_too_small_images(digits_data_dir: Path, tmp_path: Path) -> None:
    result = run_repair(
        ["train", "--model=vgg16", "--data_dir", digits_data_dir, "--output_dir", tmp_path]
    )
    _assert_one_error_line(result, 1, "vgg16 needs images of at least 32x32")


def test_target_with_no_positive_is_an_error_and_keeps_old_outputs(
    digits_model_dir: Path, digits_workdir: Path
) -> None:
    from repair.core.data import read_split
    from repair.core.model import load_model, predict_scores

    data = read_split(digits_workdir / "repair.h5")
    predicted = np.argmax(predict_scores(load_model(digits_model_dir), data.images), axis=1)
    wrong = (predicted + 1) % 10
    write_split(digits_workdir / "repair.h5", data.images, wrong, 10)
    (digits_workdir / "positive").mkdir()
    (digits_workdir / "positive" / "repair.h5").write_text("from an earlier run")
    result = run_repair(["target", "--model_dir", digits_model_dir, "--data_dir", digits_workdir])
    _assert_one_error_line(result, 1, "no positive inputs")
    assert (digits_workdir / "positive" / "repair.h5").read_text() == "from an earlier run"
    assert not (digits_workdir / "negative").exists()
    shutil.rmtree(digits_workdir / "positive")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["prepare", "digits", "--random_state=-1"], "--random_state"),
        (["prepare", "gtsrb", "--input_dir=.", "--workers=-1"], "--workers must be 0"),
        (["train", "--data_dir=.", "--learning_rate=0"], "--learning_rate must be above 0"),
        (
            ["variability", "--data_dir=.", "--model_dirs=.,./"],
            "--model_dirs names a model twice",
        ),
    ],
)
def test_bad_values_are_usage_errors_before_any_work(
    args: list[str], fragment: str, tmp_path: Path
) -> None:
    result = run_repair([*args, f"--output_dir={tmp_path / 'out'}"])
    _assert_one_error_line(result, 2, fragment)
    assert not (tmp_path / "out").exists()


def test_empty_results_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("[]")
    result = run_repair(
        [
            "utils",
            "overlay_radar_charts",
            f"--input_dirs={tmp_path},{tmp_path}",
            f"--output_dir={tmp_path}",
        ]
    )
    _assert_one_error_line(result, 1, "non-empty JSON array")


def _digits(n: int, value: float = 0.5) -> np.ndarray:
    return np.full((n, 8, 8, 1), value, dtype=np.float32)


# Split defects `repair test` must name in one line (group, string labels and zero rows are
# checked through `repair train` in test_bad_split_files.py).
BAD_SPLITS = {
    "label beyond the class names": (
        {"images": _digits(2), "labels": np.array([0, 12]), "@class_names": list("0123456789")},
        "label 12 at row 1",
        "within the 10 class names",
    ),
    "NaN class index": (
        {"images": _digits(2), "labels": np.array([0, np.nan])},
        "label nan at row 1",
    ),
    "negative class index": (
        {"images": _digits(2), "labels": np.array([0, -1])},
        "label -1 at row 1",
    ),
    "labels not one-hot": (
        {"images": _digits(2), "labels": np.array([[0.7, 0.3] + [0] * 8, np.eye(10)[1]])},
        "must be one-hot rows",
        "row 0",
    ),
    "NaN pixels": (
        {"images": _digits(3).copy(), "labels": np.eye(10)[:3], "@nan_at": 2},
        "NaN or infinite pixels (first at row 2)",
    ),
    "pixels outside [0, 1]": (
        {"images": _digits(2, 3.0), "labels": np.eye(10)[:2]},
        "must lie in [0, 1]",
        "row 0 has values in [3, 3]",
    ),
    "image_ids shorter than images": (
        {"images": _digits(3), "labels": np.eye(10)[:3], "image_ids": np.array([b"a", b"b"])},
        "'image_ids' must hold one name per image",
        "got (2,)",
    ),
}


@pytest.mark.parametrize("defect", BAD_SPLITS)
def test_a_defective_split_is_one_error_line_naming_it(
    defect: str, digits_model_dir: Path, tmp_path: Path
) -> None:
    content, *fragments = BAD_SPLITS[defect]
    with h5py.File(tmp_path / "bad.h5", "w") as file:
        for key, value in content.items():
            if key == "@class_names":
                file.attrs["class_names"] = value
            elif key != "@nan_at":
                file[key] = value
        if "@nan_at" in content:
            file["images"][content["@nan_at"], 3, 3, 0] = np.nan
    args = ["test", "--model_dir", digits_model_dir, "--data_dir", tmp_path]
    result = run_repair([*args, "--target_data", "bad.h5"])
    _assert_one_error_line(result, 1, "bad.h5", *fragments)
    assert "Error:" not in result.stderr and "Traceback" not in result.stderr
