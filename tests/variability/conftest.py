"""Variability fixtures: the digits with label 0 mostly held out of training, and five small
models trained on it with different seeds (made once per session, through the real CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_ok

SEEDS = 5


@pytest.fixture(scope="session")
def holdout_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The digits splits with 80 % of label 0 removed from train.h5 (and scenario.json)."""
    folder = tmp_path_factory.mktemp("digits-holdout0")
    run_ok(["prepare", "digits", "--output_dir", folder, "--data_ratio=0.6,0.1,0.15,0.15",
            "--random_state=0", "--scenario", "holdout:0:0.8"])  # fmt: skip
    return folder


@pytest.fixture(scope="session")
def seed_models(holdout_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Five `base` models, seeds 0-4, three epochs each (under-trained on purpose: fast)."""
    folders = []
    for seed in range(SEEDS):
        folder = tmp_path_factory.mktemp(f"seed-model-{seed}")
        run_ok(["train", "--data_dir", holdout_data_dir, "--output_dir", folder, "--epochs=3",
                f"--random_state={seed}"])  # fmt: skip
        folders.append(folder)
    return folders
