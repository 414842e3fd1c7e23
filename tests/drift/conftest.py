"""The three-week scenario on the digits test split, written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from repair.core.data import inspect_split, read_split, write_split
from repair.drift.scenario import three_weeks


@pytest.fixture(scope="session")
def weeks_dir(digits_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """week1.h5 (the test split), week2.h5 (blurred) and week3.h5 (darker), seed 0."""
    folder = tmp_path_factory.mktemp("drift-weeks")
    source = read_split(digits_data_dir / "test.h5")
    info = inspect_split(digits_data_dir / "test.h5")
    for name, images in three_weeks(source.images, seed=0).items():
        write_split(
            folder / f"{name}.h5", images, source.labels, info.num_classes, info.class_names
        )
    return folder
