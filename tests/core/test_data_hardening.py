"""Split files refuse bad numbers and forged headers, and are sized to their data (issue 9)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from repair.core.data import SplitReader, SplitWriter, inspect_split, read_split, write_split
from repair.errors import DataFormatError


def _write_raw(path: Path, **content: object) -> Path:
    with h5py.File(path, "w") as file:
        for key, value in content.items():
            if isinstance(value, dict):
                group = file.create_group(key)
                for name, item in value.items():
                    group[name] = item
            else:
                file[key] = value
    return path


def _images(n: int, value: float = 0.5) -> np.ndarray:
    return np.full((n, 4, 4, 1), value, dtype=np.float32)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"images": _images(3, np.nan), "labels": np.eye(3)}, "NaN or infinite pixels"),
        ({"images": _images(3, np.inf), "labels": np.eye(3)}, "NaN or infinite pixels"),
        ({"images": _images(3, 3.0), "labels": np.eye(3)}, "must lie in [0, 1]"),
        ({"images": _images(3, -0.5), "labels": np.eye(3)}, "must lie in [0, 1]"),
        ({"images": _images(2), "labels": np.array([[1, 1], [0, 1]])}, "must be one-hot"),
        ({"images": _images(2), "labels": np.array([[0.7, 0.3], [0, 1]])}, "must be one-hot"),
        ({"images": _images(2), "labels": np.array([0.0, 1.5])}, "is not a class index"),
        ({"images": _images(2), "labels": np.array([0.0, np.nan])}, "label nan at row 1"),
        ({"images": _images(2), "labels": np.array([0, -1])}, "label -1 at row 1"),
    ],
)
def test_bad_numbers_are_refused_when_read(tmp_path: Path, content: dict, message: str) -> None:
    path = _write_raw(tmp_path / "bad.h5", **content)
    with pytest.raises(DataFormatError, match="bad.h5") as error:
        read_split(path)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.vstack([np.eye(3), [[0.0, 0.0, 0.0]]]), "row 3 is [0.0, 0.0, 0.0]"),
        (np.vstack([np.eye(3), [[0.5, 0.5, 0.0]]]), "row 3 is [0.5, 0.5, 0.0]"),
        (np.array([0, 1, 2, -1]), "label -1 at row 3"),
    ],
)
def test_a_bad_label_is_refused_at_open_in_a_row_never_read(
    tmp_path: Path, labels: np.ndarray, message: str
) -> None:
    """Commands that read only the header (inspect_split) or a sample of the rows (sampled
    positives) still refuse the split: the label column is checked when the file is opened."""
    path = _write_raw(tmp_path / "bad.h5", images=_images(4), labels=labels)
    with pytest.raises(DataFormatError, match="bad.h5") as error:
        inspect_split(path)
    assert message in str(error.value)
    with pytest.raises(DataFormatError, match="bad.h5"):
        SplitReader(path).read(0, 1)


def test_label_beyond_the_class_names_is_refused(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "bad.h5", images=_images(2), labels=np.array([0, 5]))
    with h5py.File(path, "a") as file:
        file.attrs["class_names"] = ["a", "b"]
    with pytest.raises(DataFormatError, match="within the 2 class names"):
        read_split(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"images": {"x": np.zeros(2)}, "labels": np.eye(2)}, "is an HDF5 group"),
        ({"images": _images(2), "labels": np.array([b"car", b"bus"])}, "labels must be numbers"),
        (
            {"images": _images(3), "labels": np.eye(3), "image_ids": np.array([b"a", b"b"])},
            "'image_ids' must hold one name per image",
        ),
        ({"images": _images(0), "labels": np.zeros((0, 2))}, "holds no samples"),
    ],
)
def test_bad_layouts_are_refused_at_open(tmp_path: Path, content: dict, message: str) -> None:
    path = _write_raw(tmp_path / "bad.h5", **content)
    with pytest.raises(DataFormatError, match="bad.h5") as error:
        SplitReader(path)
    assert message in str(error.value)


def test_empty_split_opens_where_allowed(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "empty.h5", images=_images(0), labels=np.zeros((0, 2)))
    with SplitReader(path, allow_empty=True) as reader:
        assert len(reader) == 0


def test_header_declaring_more_rows_than_stored_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "forged.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset(
            "images", shape=(2**40, 8, 8, 1), dtype=np.float32, chunks=(1024, 8, 8, 1)
        )
        file["images"][:10] = 0.5
        file.create_dataset("labels", shape=(2**40, 10), dtype=np.float32, chunks=(1024, 10))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(DataFormatError, match="declares 1099511627776 rows"):
        SplitReader(path)


def test_split_file_is_chunked_to_its_data_and_compressed(tmp_path: Path) -> None:
    """22 images of 32x32x3 made a 12.7 MB file (1,024-row chunks, no compression); now the
    file is at most 1.2x its raw pixel bytes plus a small constant, even for pixels that do not
    compress (uniform noise)."""
    rng = np.random.default_rng(0)
    images = rng.random((22, 32, 32, 3), dtype=np.float32)
    path = write_split(tmp_path / "s.h5", images, rng.integers(0, 10, 22), num_classes=10)
    assert path.stat().st_size <= 1.2 * images.nbytes + 32 * 1024
    with h5py.File(path, "r") as file:
        assert file["images"].chunks[0] <= 22
        assert file["images"].compression == "gzip"
    np.testing.assert_array_equal(read_split(path).images, images)


def test_writer_chunks_never_exceed_the_written_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    with SplitWriter(path, (8, 8, 1), 3) as writer:
        writer.append(_images(2).repeat(2, axis=1).repeat(2, axis=2), [0, 1])
        writer.append(_images(1).repeat(2, axis=1).repeat(2, axis=2), [2])
    with h5py.File(path, "r") as file:
        assert file["images"].shape[0] == 3 and file["images"].chunks[0] == 3
    assert read_split(path).labels.tolist() == [0, 1, 2]
