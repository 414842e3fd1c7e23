"""Cutting a split into repairsets/<k>/repair.h5 chunks."""

from __future__ import annotations

import numpy as np
import pytest

from repair.core.chunking import plan_chunks, split_into_chunks, stale_chunks
from repair.core.data import read_split, write_split
from repair.errors import ConfigError

NAMES = ("cat", "dog", "fish")


@pytest.fixture
def source(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.random((250, 4, 4, 3), dtype=np.float32)
    labels = rng.integers(0, 3, 250)
    ids = [f"img{i}.jpg" for i in range(250)]
    frames = [f"frame{i // 10}" for i in range(250)]
    return write_split(tmp_path / "repair.h5", images, labels, 3, NAMES, ids, frames)


def test_plan():
    assert plan_chunks(250, 100, None) == [(0, 100), (100, 200), (200, 250)]
    assert plan_chunks(250, 100, 2) == [(0, 100), (100, 200)]
    assert plan_chunks(250, 100, 10) == [(0, 100), (100, 200), (200, 250)]
    assert plan_chunks(0, 100, 10) == []
    with pytest.raises(ConfigError, match="--chunk_size must be a positive integer; got 0"):
        plan_chunks(10, 0, None)
    with pytest.raises(ConfigError, match="--num_chunks"):
        plan_chunks(10, 5, 0)


def test_chunks_keep_order_ids_and_class_names(source, tmp_path):
    out = tmp_path / "repairsets"
    chunks = split_into_chunks(source, out, chunk_size=100, num_chunks=10)
    assert [(c.index, c.start, c.stop) for c in chunks] == [
        (0, 0, 100),
        (1, 100, 200),
        (2, 200, 250),
    ]
    whole = read_split(source)
    for chunk in chunks:
        assert chunk.path == out / str(chunk.index) / "repair.h5"
        part = read_split(chunk.path)
        np.testing.assert_array_equal(part.images, whole.images[chunk.start : chunk.stop])
        np.testing.assert_array_equal(part.labels, whole.labels[chunk.start : chunk.stop])
        assert list(part.image_ids) == list(whole.image_ids[chunk.start : chunk.stop])
        assert list(part.attribute_ids) == list(whole.attribute_ids[chunk.start : chunk.stop])
    from repair.core.data import inspect_split

    info = inspect_split(chunks[0].path)
    assert info.class_names == NAMES and info.num_classes == 3
    assert sorted(p.name for p in (out / "0").iterdir()) == ["repair.h5"]  # nothing half-written


def test_stale_chunks_from_a_longer_split_are_reported(source, tmp_path):
    out = tmp_path / "repairsets"
    split_into_chunks(source, out, chunk_size=50)
    assert len(list(out.iterdir())) == 5
    chunks = split_into_chunks(source, out, chunk_size=100, num_chunks=2)
    assert [p.name for p in stale_chunks(out, len(chunks))] == ["2", "3", "4"]
    assert stale_chunks(tmp_path / "none", 0) == []
