"""Options whose arrays cannot fit in memory are refused before anything is allocated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repair.core.resources import available_memory, check_fits, human_bytes
from repair.datasets.packing import fitting_chunk
from repair.errors import ConfigError
from tests.conftest import run_repair


def test_available_memory_is_positive_and_below_a_petabyte() -> None:
    assert 0 < available_memory() < 2**50


def test_check_fits_names_the_option_and_the_estimate() -> None:
    check_fits("--x=1", 10, available=1000)
    with pytest.raises(ConfigError, match=r"^--x=9 needs about 1.0 GB of memory; .* 1.0 KB"):
        check_fits("--x=9", 2**30, available=1024)
    assert human_bytes(1536) == "1.5 KB" and human_bytes(12) == "12 B"


def test_prepare_refuses_an_image_size_that_cannot_fit(tmp_path: Path) -> None:
    result = run_repair(
        ["prepare", "digits", "--image_size=100000", "--output_dir", tmp_path / "out"]
    )
    assert result.exit_code == 2
    assert "--image_size=100000 needs about " in result.stderr
    assert "of memory" in result.stderr and not (tmp_path / "out").exists()


def test_prepare_loads_fewer_large_images_at_once() -> None:
    small = np.zeros((1, 8, 8, 1), np.float32)
    large = np.zeros((1, 2048, 2048, 3), np.float32)
    assert fitting_chunk(small, 512) == 512
    assert 1 <= fitting_chunk(large, 512) <= 512 * 1024 * 1024 // (2 * large.nbytes)
