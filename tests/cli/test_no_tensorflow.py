"""Commands that need no model never import TensorFlow (nor Keras): each runs, on small real
inputs, in a fresh interpreter that reports what it imported."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.model_free import COMMANDS, make_inputs, probe_command


@pytest.fixture(scope="module")
def inputs(digits_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_inputs(tmp_path_factory.mktemp("model-free"), digits_data_dir)


def run_probe(args: list[str], cwd: Path, preamble: str = "") -> dict:
    done = subprocess.run(
        probe_command(args, preamble), cwd=cwd, capture_output=True, text=True, timeout=300
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("probe: ")]
    assert done.returncode == 0 and lines, f"repair {' '.join(args)}\n{done.stdout}{done.stderr}"
    return json.loads(lines[-1].removeprefix("probe: ")) | {"output": done.stdout + done.stderr}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_that_needs_no_model_never_imports_tensorflow(name: str, inputs: Path) -> None:
    args, writes = COMMANDS[name]
    report = run_probe(args, inputs)
    assert report["code"] == 0, report["output"]
    assert report["heavy"] == [], f"repair {name} imported {report['heavy']}"
    if writes is not None:
        assert (inputs / writes).is_file(), report["output"]


def test_the_probe_reports_tensorflow_once_something_imports_it(inputs: Path) -> None:
    """So that the test above can fail."""
    report = run_probe(["--help"], inputs, preamble="import repair.core.tf")
    assert report["code"] == 0 and report["heavy"] == ["keras", "tensorflow"]
