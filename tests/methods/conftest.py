"""Repair-method fixtures: the `repair target` layout of the digits repair set, made once.

The shared digits model (tests/conftest.py) misclassifies a few dozen of the 270 repair inputs,
over several labels and unevenly: the unbalanced multi-label negatives Arachne must handle.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split
from tests.conftest import run_ok

# Few particles and iterations: the tests check behaviour, the benchmark checks speed.
FAST = ["--num_particles=8", "--num_iterations=4", "--num_input_pos_sampled=50"]


@pytest.fixture(scope="session")
def target_dir(
    digits_data_dir: Path, digits_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A data folder with repair.h5, test.h5 and the positive/ and negative/ folders."""
    folder = tmp_path_factory.mktemp("digits-target")
    for name in ("repair.h5", "test.h5"):
        shutil.copy(digits_data_dir / name, folder / name)
    run_ok(["target", "--model_dir", digits_model_dir, "--data_dir", folder])
    negatives = read_split(folder / "negative" / "repair.h5")
    counts = np.bincount(negatives.labels)
    assert len(negatives) >= 5 and np.count_nonzero(counts) >= 2, counts
    return folder


@pytest.fixture
def work_dir(target_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the target layout, for commands that write beside the data."""
    folder = tmp_path / "data"
    shutil.copytree(target_dir, folder)
    return folder


def localize_and_optimize(model_dir: Path, data: Path, out: Path, *extra: str) -> dict:
    """Run `repair localize` and `repair optimize --json` on data/negative; the summary."""
    import json

    common = ["--model_dir", model_dir, "--target_data_dir", data / "negative", "--output_dir", out]
    run_ok(["localize", "--method=Arachne", *common])
    result = run_ok(
        ["optimize", "--method=arachne", *common, "--positive_inputs_dir", data / "positive"]
        + [*FAST, "--json", *extra]
    )
    return json.loads(result.stdout)
