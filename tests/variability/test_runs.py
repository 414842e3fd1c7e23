"""`repair variability --runs_dir` on a real `repair evaluate` folder, and `evaluate --holdout`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split
from tests.conftest import run_ok
from tests.methods.conftest import target_dir  # noqa: F401 - a session fixture

SWARM = ["--num_particles=12", "--num_iterations=8", "--num_input_pos_sampled=50", "--num_grad=40"]


def evaluate_args(model: Path, data: Path, out: Path) -> list[object]:
    return ["evaluate", "--method=Arachne", "--model_dir", model,
            "--target_data_dir", data / "negative", "--positive_inputs_dir", data / "positive",
            "--output_dir", out, "--test_data", data / "test.h5", "--json", *SWARM]  # fmt: skip


@pytest.fixture(scope="module")
def runs(digits_model_dir, target_dir, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("runs")
    args = evaluate_args(digits_model_dir, target_dir, out)
    report = json.loads(run_ok([*args, "--num_runs=4", "--random_state=1"]).stdout)
    return out, report


def test_invariants_on_a_runs_folder(runs, target_dir, tmp_path):  # noqa: F811
    out, evaluated = runs
    result = run_ok(["variability", "--runs_dir", out, "--data_dir", target_dir,
                     "--output_dir", tmp_path, "--json"])  # fmt: skip
    report = json.loads(result.stdout)
    assert report["K"] == 4 and report["models"][0].endswith("run_0/repair/model.keras")
    part = report["runs"]
    assert part["fixed_in_all"] <= part["mean_repair_rate"] <= part["fixed_in_any"]
    assert part["broken_in_any"] >= part["mean_break_rate"]
    # The same rates `repair evaluate` measured on the test data, run by run.
    for run, repair, broken in zip(evaluated["runs"], part["repair_rates"], part["break_rates"],
                                   strict=True):  # fmt: skip
        assert repair == pytest.approx(run["test_repair_rate"], abs=1e-3)
        assert broken == pytest.approx(run["test_break_rate"], abs=1e-3)
    assert part["fixed_in_any"] > 0, "no run repaired anything: the invariants say little"
    assert part["original_accuracy"] == pytest.approx(evaluated["test_accuracy_before"], abs=1e-3)


def test_holdout_protocol(digits_model_dir, target_dir, tmp_path):  # noqa: F811
    out = tmp_path / "holdout"
    args = evaluate_args(digits_model_dir, target_dir, out)
    report = json.loads(run_ok([*args, "--num_runs=2", "--holdout=0.5"]).stdout)
    negatives = read_split(target_dir / "negative" / "repair.h5")
    assert report["protocol"] == "holdout" and report["negatives"] == len(negatives)
    halves = []
    for run in report["runs"]:
        folder = out / f"run_{run['run']}"
        repair = read_split(folder / "data" / "negative" / "repair.h5")
        held = read_split(folder / "data" / "heldout" / "repair.h5")
        assert len(repair) + len(held) == len(negatives) and abs(len(repair) - len(held)) <= 5
        assert not set(repair.image_ids) & set(held.image_ids)
        halves.append(sorted(held.image_ids))
        summary = json.loads((folder / "summary.json").read_text())
        assert run["repair_rate"] == summary["repair_rate"] and summary["negatives"] == len(repair)
        assert run["break_rate"] == summary["break_rate"]
        from repair.core.model import predict_file

        _, predicted = predict_file(folder / "repair", folder / "data" / "heldout" / "repair.h5")
        assert run["heldout_fixed"] == pytest.approx(100 * np.mean(predicted.correct))
        assert run["test_change"] is not None
    assert halves[0] != halves[1]  # each seed draws its own halves
    summary = report["summary"]["repair_rate"]
    rates = [run["repair_rate"] for run in report["runs"]]
    assert summary["mean"] == pytest.approx(np.mean(rates), abs=1e-3)
    assert summary["std"] == pytest.approx(np.std(rates, ddof=1), abs=1e-3)
    text = (out / "result.txt").read_text()
    assert "| mean |" in text and "| 95% CI |" in text


def test_all_positives_guard_the_search(digits_model_dir, target_dir, tmp_path):  # noqa: F811
    from tests.methods.conftest import localize_and_optimize

    summary = localize_and_optimize(
        digits_model_dir, target_dir, tmp_path, "--num_input_pos_sampled", "all"
    )
    positives = read_split(target_dir / "positive" / "repair.h5")
    assert summary["settings"]["num_input_pos_sampled"] == "all"
    assert summary["details"]["search_positives"] == len(positives)
