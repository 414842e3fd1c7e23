"""A bad split file is one clear line naming the file (exit 1), never a raw exception."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.conftest import run_repair


def _images(n: int, value: float = 0.5) -> np.ndarray:
    return np.full((n, 8, 8, 1), value, dtype=np.float32)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"images": _images(0), "labels": np.zeros((0, 10))}, "holds no samples"),
        ({"images": {"x": np.zeros(3)}, "labels": np.eye(3)}, "is an HDF5 group"),
        ({"images": _images(2), "labels": np.array([b"3", b"4"])}, "labels must be numbers"),
    ],
)
def test_train_names_the_bad_split(tmp_path: Path, content: dict, words: str) -> None:
    with h5py.File(tmp_path / "train.h5", "w") as file:
        for key, value in content.items():
            if isinstance(value, dict):
                file.create_group(key)["x"] = value["x"]
            else:
                file[key] = value
    result = run_repair(["train", "--data_dir", tmp_path, "--output_dir", tmp_path / "m"])
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and words in last and "train.h5" in last
    assert "Error:" not in last  # no raw exception name


@pytest.mark.parametrize(
    ("labels", "words"),
    [
        (np.vstack([np.eye(10)[[3, 4]], np.full((1, 10), 0.1)]), "must be one-hot rows"),
        (np.array([3, 4, 12]), "label 12 at row 2"),
    ],
)
def test_a_command_reading_only_the_header_still_refuses_bad_labels(
    tmp_path: Path, labels: np.ndarray, words: str
) -> None:
    """`utils label_index` reads no rows; a split with a bad label is still refused (exit 1)."""
    with h5py.File(tmp_path / "test.h5", "w") as file:
        file["images"] = _images(3)
        file["labels"] = labels
        file.attrs["class_names"] = [str(k) for k in range(10)]
    result = run_repair(["utils", "label_index", "--data_dir", tmp_path, "--label", "3"])
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and words in last and "test.h5" in last
