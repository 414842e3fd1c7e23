"""HDF5 splits: round trips, chunked writes, validation and atomicity."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from repair.core.data import SplitReader, SplitWriter, read_split, write_split
from repair.errors import DataFormatError, InputNotFoundError


def _images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 4, 4, 3), dtype=np.float32)


def test_round_trip_keeps_images_labels_ids_and_class_names(tmp_path: Path) -> None:
    images, labels = _images(10), np.arange(10) % 3
    ids = [f"crop_{k}.jpg" for k in range(10)]
    frames = [f"frame_{k // 2}.jpg" for k in range(10)]
    path = write_split(tmp_path / "s.h5", images, labels, 3, ["car", "bus", "truck"], ids, frames)
    batch = read_split(path)
    np.testing.assert_array_equal(batch.images, images)
    np.testing.assert_array_equal(batch.labels, labels)
    assert list(batch.image_ids) == ids and list(batch.attribute_ids) == frames
    with h5py.File(path) as file:
        assert file["labels"].shape == (10, 3)
        np.testing.assert_array_equal(file["labels"][...].sum(axis=1), 1)
    with SplitReader(path) as reader:
        assert reader.info.class_names == ("car", "bus", "truck")
        assert reader.info.class_name(2) == "truck"


def test_writer_appends_in_chunks_and_batches_cover_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    with SplitWriter(path, (4, 4, 3), 5, chunk_size=7) as writer:
        for part in range(4):
            writer.append(_images(9, part), np.full(9, part))
    with SplitReader(path) as reader:
        assert len(reader) == 36
        sizes = [len(b) for b in reader.batches(10)]
        assert sizes == [10, 10, 10, 6]
        np.testing.assert_array_equal(reader.labels(), np.repeat(np.arange(4), 9))


def test_read_indices_returns_samples_in_the_order_asked(tmp_path: Path) -> None:
    images = _images(8)
    path = write_split(tmp_path / "s.h5", images, np.arange(8), 8)
    with SplitReader(path) as reader:
        batch = reader.read_indices([5, 1, 5, 0])
    np.testing.assert_array_equal(batch.labels, [5, 1, 5, 0])
    np.testing.assert_array_equal(batch.images[0], images[5])


def test_uint8_and_float64_images_are_read_as_float32_in_unit_range(tmp_path: Path) -> None:
    path = tmp_path / "u8.h5"
    with h5py.File(path, "w") as file:
        file["images"] = np.full((2, 2, 2, 1), 255, dtype=np.uint8)
        file["labels"] = np.eye(2, dtype=np.uint8)
    batch = read_split(path)
    assert batch.images.dtype == np.float32 and batch.images.max() == 1.0


def test_interrupted_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    with pytest.raises(KeyboardInterrupt), SplitWriter(path, (4, 4, 3), 2) as writer:
        writer.append(_images(3), [0, 1, 0])
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"images": np.zeros((2, 4, 4, 3))}, "has no 'labels' dataset"),
        ({"images": np.zeros((2, 4, 4)), "labels": np.eye(2)}, "must have shape (N, height"),
        ({"images": np.zeros((3, 4, 4, 3)), "labels": np.eye(2)}, "labels must have shape (3"),
    ],
)
def test_bad_files_raise_a_message_naming_the_file(
    tmp_path: Path, content: dict, message: str
) -> None:
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as file:
        for key, value in content.items():
            file[key] = value
    with pytest.raises(DataFormatError, match="bad.h5") as error:
        SplitReader(path)
    assert message in str(error.value)


def test_not_hdf5_and_missing_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(DataFormatError, match="not a readable HDF5 file"):
        SplitReader(text)
    with pytest.raises(InputNotFoundError, match="data file not found"):
        SplitReader(tmp_path / "missing.h5")


def test_writer_rejects_images_of_another_shape(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="images must have shape"):  # noqa: SIM117
        with SplitWriter(tmp_path / "s.h5", (4, 4, 3), 2) as writer:
            writer.append(np.zeros((1, 5, 5, 3)), [0])
    assert not (tmp_path / "s.h5").exists()


def test_temporary_names_are_unique_per_write(tmp_path: Path) -> None:
    from repair.core.files import temporary_sibling

    target = tmp_path / "001.jpg"
    assert temporary_sibling(target) != temporary_sibling(target)
    assert temporary_sibling(target).suffix == ".jpg"
