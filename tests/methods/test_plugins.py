"""A third-party repair method, installed only through an entry point, runs from the CLI.

The "package" is a module plus a ``*.dist-info`` folder declaring ``[repair.methods]`` in a
temporary folder put on ``sys.path`` (in-process) or ``PYTHONPATH`` (a real subprocess): exactly
what ``pip install`` leaves behind, and nothing in ``repair`` changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from repair.core.model import load_model
from tests.conftest import run_ok, run_repair
from tests.methods.test_contract import check_method_contract

MODULE = '''
"""A toy method: raise the output bias of the labels of the negatives."""
from dataclasses import dataclass, field

from repair.core.files import write_text_atomic
from repair.methods.base import LocalizeResult, OptimizeResult, RepairMethod


@dataclass(frozen=True)
class ShiftOptions:
    shift: float = field(default=0.5, metadata={"help": "Added to those labels' output bias."})

    def __post_init__(self):
        if self.shift < 0:
            raise ValueError(f"--shift must be >= 0; got {self.shift}")


class BiasShift(RepairMethod):
    name = "bias-shift"
    description = "Raise the output bias of the labels of the negatives."
    optimize_options = ShiftOptions

    def localize(self, task, options):
        labels = sorted(set(task.negatives.labels().tolist()))
        path = task.output_dir / "labels.txt"
        write_text_atomic(path, ",".join(map(str, labels)))
        return LocalizeResult(f"labels to raise: {labels}", (path,))

    def optimize(self, task, options):
        from repair.core.tf import keras

        labels = [int(x) for x in (task.output_dir / "labels.txt").read_text().split(",")]
        copy = keras.models.clone_model(task.model)
        copy.set_weights(task.model.get_weights())
        kernel, bias = copy.layers[-1].get_weights()
        bias[labels] += options.shift
        copy.layers[-1].set_weights([kernel, bias])
        return OptimizeResult(copy, {"labels": labels})
'''


def install_plugin(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "third_party_repair.py").write_text(MODULE)
    info = folder / "third_party_repair-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: third-party-repair\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[repair.methods]\nbias-shift = third_party_repair:BiasShift\n"
    )
    return folder


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = install_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    sys.modules.pop("third_party_repair", None)


def test_entry_point_method_runs_from_cli(
    plugin_dir: Path, digits_model_dir: Path, work_dir: Path
) -> None:
    assert "bias-shift: Raise the output bias" in run_ok(["optimize", "--help"]).stdout
    out = work_dir / "plugin"
    common = ["--model_dir", digits_model_dir, "--target_data_dir", work_dir / "negative",
              "--output_dir", out]  # fmt: skip
    assert "labels to raise" in run_ok(["localize", "--method=Bias-Shift", *common]).stdout
    args = ["optimize", "--method=bias-shift", *common,
            "--positive_inputs_dir", work_dir / "positive"]  # fmt: skip
    summary = json.loads(run_ok([*args, "--shift=2", "--json"]).stdout)
    assert summary["method"] == "bias-shift" and summary["settings"]["shift"] == 2.0
    labels = summary["details"]["labels"]
    original, repaired = load_model(digits_model_dir), load_model(out / "repair")
    delta = repaired.layers[-1].get_weights()[1] - original.layers[-1].get_weights()[1]
    np.testing.assert_allclose(delta[labels], 2.0)
    bad = run_repair([*args, "--shift=-1"])
    assert bad.exit_code == 2 and "--shift must be >= 0" in bad.stderr
    check_method_contract("bias-shift", digits_model_dir, work_dir)


def test_entry_point_method_in_a_fresh_process(
    tmp_path: Path, digits_model_dir: Path, work_dir: Path
) -> None:
    folder = install_plugin(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), os.getcwd()])}
    command = [sys.executable, "-m", "repair", "localize", "--method", "BIAS-SHIFT",
               "--model_dir", str(digits_model_dir),
               "--target_data_dir", str(work_dir / "negative")]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "labels to raise" in done.stdout
    assert (work_dir / "negative" / "labels.txt").is_file()
