"""Extra per-image keys in split files: written, read back, selected, and kept by target."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from repair.core.data import SplitReader, SplitWriter, read_split, write_split
from repair.errors import DataFormatError


def _images(n: int) -> np.ndarray:
    return np.random.default_rng(0).random((n, 4, 4, 3), dtype=np.float32)


def test_extras_round_trip_with_their_types(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    kinds = {"corruption": str, "intensity": np.int64, "eps": np.float32}
    with SplitWriter(path, (4, 4, 3), 3, extras=kinds) as writer:
        for part in range(3):
            writer.append(
                _images(4),
                np.full(4, part),
                extras={
                    "corruption": ["fog"] * 4,
                    "intensity": np.full(4, part + 1),
                    "eps": np.full(4, 0.03),
                },
            )
    with SplitReader(path) as reader:
        assert reader.info.extras == ("corruption", "eps", "intensity")
        assert list(reader.extra("corruption")) == ["fog"] * 12
        np.testing.assert_array_equal(reader.extra("intensity"), np.repeat([1, 2, 3], 4))
        assert reader.extra("intensity").dtype == np.int64
        assert reader.extra_dtypes()["eps"] == np.float32
        assert set(reader.extras()) == {"corruption", "eps", "intensity"}
        batch = reader.read_indices([9, 0])
        np.testing.assert_array_equal(batch.extras["intensity"], [3, 1])
        with pytest.raises(DataFormatError, match="no per-image key 'attack'"):
            reader.extra("attack")
    with h5py.File(path) as file:
        assert file["intensity"].shape == (12,)


def test_write_split_takes_extras_and_select_keeps_them(tmp_path: Path) -> None:
    path = write_split(
        tmp_path / "s.h5",
        _images(5),
        np.arange(5) % 2,
        2,
        extras={"source_index": np.arange(10, 15), "attack": np.array(["fgm"] * 5)},
    )
    batch = read_split(path)
    np.testing.assert_array_equal(batch.extras["source_index"], np.arange(10, 15))
    picked = batch.select(batch.labels == 1)
    np.testing.assert_array_equal(picked.extras["source_index"], [11, 13])
    assert list(picked.extras["attack"]) == ["fgm", "fgm"]


def test_a_split_without_extras_reads_an_empty_mapping(tmp_path: Path) -> None:
    batch = read_split(write_split(tmp_path / "s.h5", _images(2), [0, 1], 2))
    assert batch.extras == {}


@pytest.mark.parametrize("name", ["labels", "bad name", "../x", ""])
def test_extra_names_must_be_plain_identifiers(tmp_path: Path, name: str) -> None:
    with pytest.raises(DataFormatError, match="must be an identifier"):
        SplitWriter(tmp_path / "s.h5", (4, 4, 3), 2, extras={name: np.int64})


def test_append_must_give_every_declared_extra_per_image(tmp_path: Path) -> None:
    with SplitWriter(tmp_path / "s.h5", (4, 4, 3), 2, extras={"intensity": int}) as writer:
        with pytest.raises(DataFormatError, match=r"must be \['intensity'\]"):
            writer.append(_images(2), [0, 1])
        with pytest.raises(DataFormatError, match="one value per image"):
            writer.append(_images(2), [0, 1], extras={"intensity": [1, 2, 3]})
        writer.append(_images(2), [0, 1], extras={"intensity": [1, 2]})


def test_target_keeps_the_extra_keys_of_its_source(
    digits_data_dir: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    from repair.core.model import load_model
    from repair.core.split import split_positive_negative

    source = read_split(digits_data_dir / "test.h5")
    n = len(source)
    data_dir = tmp_path / "fog"
    data_dir.mkdir()
    write_split(
        data_dir / "repair.h5",
        source.images,
        source.labels,
        10,
        image_ids=source.image_ids,
        attribute_ids=source.attribute_ids,
        extras={
            "corruption": np.array(["fog"] * n),
            "intensity": np.full(n, 3),
            "source_index": np.arange(n),
        },
    )
    split_positive_negative(load_model(digits_model_dir), data_dir / "repair.h5", data_dir)
    positives = read_split(data_dir / "positive/repair.h5")
    negatives = read_split(data_dir / "negative/repair.h5")
    for part in (positives, negatives):
        assert set(part.extras["corruption"]) == {"fog"}
        np.testing.assert_array_equal(part.extras["intensity"], 3)
        # source_index still points at the same image of the source file
        np.testing.assert_array_equal(source.image_ids[part.extras["source_index"]], part.image_ids)
    merged = np.sort(
        np.concatenate([positives.extras["source_index"], negatives.extras["source_index"]])
    )
    np.testing.assert_array_equal(merged, np.arange(n))
    label = negatives.labels[0]
    per_label = read_split(data_dir / f"negative/{label}/repair.h5")
    assert set(per_label.extras) == {"corruption", "intensity", "source_index"}
