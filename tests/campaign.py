"""A small repair campaign on the digits, through the real CLI, for the report's tests.

Before/after per-label results (radar charts), one Arachne repair, and the variability of the
original and the repaired model on the test split: the evidence a reviewer is shown.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import run_ok

FAST = ["--num_particles=8", "--num_iterations=4", "--num_input_pos_sampled=50"]


def build_campaign(root: Path, data_dir: Path, model_dir: Path) -> dict[str, Path]:
    """The campaign's folders under ``root``: data, before, run, after, variability."""
    data = root / "data"
    data.mkdir(parents=True)
    for name in ("repair.h5", "test.h5"):
        shutil.copy(data_dir / name, data / name)
    run_ok(["target", "--model_dir", model_dir, "--data_dir", data])
    folders = {name: root / name for name in ("before", "run", "after", "variability")}
    radar = ["utils", "draw_radar_chart", "--data_dir", data, "--target_data", "test.h5"]
    run_ok([*radar, "--model_dir", model_dir, "--output_dir", folders["before"]])
    common = ["--model_dir", model_dir, "--target_data_dir", data / "negative"]
    run_ok(["localize", "--method=Arachne", *common, "--output_dir", folders["run"]])
    run_ok(
        ["optimize", "--method=Arachne", *common, "--positive_inputs_dir", data / "positive"]
        + ["--output_dir", folders["run"], *FAST]
    )
    repaired = folders["run"] / "repair"
    run_ok([*radar, "--model_dir", repaired, "--output_dir", folders["after"]])
    run_ok(
        ["variability", "--model_dirs", f"{model_dir},{repaired}", "--data_dir", data]
        + ["--output_dir", folders["variability"]]
    )
    folders.update(_assurance(root, data, model_dir, repaired))
    return {"data": data, "model": model_dir, **folders}


def _assurance(root: Path, data: Path, model_dir: Path, repaired: Path) -> dict[str, Path]:
    """An audit of both models, drift (one set, and two sets over time), repeated repairs and a
    two-seed sweep: the other kinds of evidence."""
    folders = {name: root / name for name in ("audit", "drift", "drift_time", "evaluate", "sweep")}
    run_ok(["audit", "--model_dirs", f"{model_dir},{repaired}", "--data_dir", data]
           + ["--target_data", "test.h5", "--output_dir", folders["audit"]])  # fmt: skip
    drift = ["drift", "--model_dir", model_dir, "--baseline", data / "repair.h5"]
    run_ok([*drift, "--current", data / "test.h5", "--output_dir", folders["drift"]])
    weeks = f"{data / 'test.h5'},{data / 'negative' / 'repair.h5'}"
    run_ok([*drift, "--current", weeks, "--output_dir", folders["drift_time"]])
    run_ok(["evaluate", "--method=Arachne", "--model_dir", model_dir, "--target_data_dir",
            data / "negative", "--positive_inputs_dir", data / "positive", "--num_runs=2",
            "--test_data", data / "test.h5", "--output_dir", folders["evaluate"],
            *FAST])  # fmt: skip
    run_ok(["sweep", "--model_dir", model_dir, "--data_dir", data, "--chunks_dir", data,
            "--labels=9", "--seeds=0-1", "--output_dir", folders["sweep"], *FAST])  # fmt: skip
    return folders
