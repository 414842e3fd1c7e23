"""Shared, session-scoped test data: the built-in digits dataset and a small model trained on it.

Both are made through the real CLI, once per session. Treat them as read-only; a test that
writes next to the data (``repair target`` does) takes ``digits_workdir``, a fresh copy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from repair.cli.main import app

SPLITS = ("train.h5", "val.h5", "test.h5", "repair.h5")
_REAL_HOME = os.environ.get("HOME")
_HOME_KEY = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Give the session a temporary HOME before any test module is imported: Keras
    (~/.keras), matplotlib (~/.cache, ~/.config) and the Adversarial Robustness Toolbox (~/.art)
    create folders in the home on import, and tests never leave files in the user's home."""
    home = tempfile.mkdtemp(prefix="repair-tests-home-")
    config.stash[_HOME_KEY] = home
    os.environ["HOME"] = home


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(_HOME_KEY, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)
        if _REAL_HOME is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = _REAL_HOME


def run_repair(args: Sequence[str]) -> Result:
    """Run ``repair ARGS`` in-process through the real entry point; stdout and stderr apart."""
    return CliRunner().invoke(app, [str(a) for a in args])


def run_ok(args: Sequence[str]) -> Result:
    """Run ``repair ARGS`` and fail the test, showing its stderr, unless it exits 0."""
    result = run_repair(args)
    assert result.exit_code == 0, f"repair {' '.join(map(str, args))}\n{result.output}"
    return result


@pytest.fixture(scope="session")
def cli() -> Callable[[Sequence[str]], Result]:
    return run_repair


@pytest.fixture(scope="session")
def digits_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/val/test/repair.h5 of the 1,797 8x8 digits (60/10/15/15 %)."""
    folder = tmp_path_factory.mktemp("digits-data")
    run_ok(
        [
            "prepare",
            "digits",
            "--output_dir",
            folder,
            "--data_ratio=0.6,0.1,0.15,0.15",
            "--random_state=0",
        ]
    )
    return folder


@pytest.fixture(scope="session")
def digits_model_dir(digits_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding model.keras: the `base` CNN trained 4 epochs on the digits (~90 %)."""
    folder = tmp_path_factory.mktemp("digits-model")
    run_ok(
        [
            "train",
            "--model=base",
            "--data_dir",
            digits_data_dir,
            "--output_dir",
            folder,
            "--epochs=4",
            "--batch_size=32",
            "--random_state=0",
        ]
    )
    return folder


@pytest.fixture
def digits_workdir(digits_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the digits splits, for commands that write beside their data."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in SPLITS:
        shutil.copy(digits_data_dir / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def campaign(
    digits_data_dir: Path, digits_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A small digits campaign's folders (tests/campaign.py), made once per session."""
    from tests.campaign import build_campaign

    return build_campaign(tmp_path_factory.mktemp("campaign"), digits_data_dir, digits_model_dir)


@pytest.fixture(scope="session")
def campaign_report(campaign: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder of the campaign (index.html, inputs/), made once per session."""
    folder = tmp_path_factory.mktemp("campaign-report")
    inputs = ",".join(str(path) for name, path in campaign.items() if name not in ("data", "model"))
    run_ok(["report", "--input_dirs", inputs, "--output_dir", folder, "--max_inputs", "12"])
    return folder
