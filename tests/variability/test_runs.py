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


HOLDOUT = ["--num_runs=2", "--holdout=0.5"]


@pytest.fixture(scope="module")
def holdout_runs(digits_model_dir, target_dir, tmp_path_factory):  # noqa: F811
    """Two held-out runs in this process (--executor serial): the folder and the --json report."""
    out = tmp_path_factory.mktemp("holdout") / "holdout"
    args = evaluate_args(digits_model_dir, target_dir, out)
    report = json.loads(run_ok([*args, *HOLDOUT, "--executor=serial"]).stdout)
    return out, report


def test_holdout_protocol(holdout_runs, target_dir):  # noqa: F811
    out, report = holdout_runs
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


def _without_times(runs: list[dict]) -> list[dict]:
    return [{k: v for k, v in run.items() if k != "wall_time_s"} for run in runs]


def test_holdout_runs_on_the_pool_like_serial(
    holdout_runs,
    digits_model_dir,
    target_dir,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    from repair.executors.local import LocalExecutor

    pools, enter = [], LocalExecutor.__enter__

    def spy(self: LocalExecutor) -> LocalExecutor:
        pools.append(self.workers)
        return enter(self)

    monkeypatch.setattr(LocalExecutor, "__enter__", spy)
    out = tmp_path / "pool"
    args = [*evaluate_args(digits_model_dir, target_dir, out), *HOLDOUT]
    report = json.loads(run_ok([*args, "--executor=local", "--workers=2"]).stdout)
    assert pools == [2], "evaluate --holdout did not run on the local pool of 2 workers"
    serial = holdout_runs[1]
    assert _without_times(report["runs"]) == _without_times(serial["runs"])
    assert report["summary"]["heldout_fixed"] == serial["summary"]["heldout_fixed"]
    # evaluate.json keeps what --json printed, with the split the runs were scored on.
    assert json.loads((out / "evaluate.json").read_text()) == report
    assert Path(report["scored_split"]) == (target_dir / "repair.h5").resolve()


def test_variability_over_a_holdout_folder_measures_the_scored_split(
    holdout_runs,
    target_dir,  # noqa: F811
    tmp_path,
):
    out, evaluated = holdout_runs
    result = run_ok(["variability", "--runs_dir", out, "--data_dir", target_dir,
                     "--output_dir", tmp_path, "--json"])  # fmt: skip
    report = json.loads(result.stdout)
    assert Path(report["split"]) == target_dir / "repair.h5"
    assert "scored on" in report["split_reason"]
    part = report["runs"]
    negatives = read_split(target_dir / "negative" / "repair.h5")
    positives = read_split(target_dir / "positive" / "repair.h5")
    assert (part["negatives"], part["positives"]) == (len(negatives), len(positives))
    for run, repair, broken in zip(evaluated["runs"], part["repair_rates"], part["break_rates"],
                                   strict=True):  # fmt: skip
        # Both halves together are every negative; the positives are the runs' own.
        fixed = run["repair_rate"] * run["repair_size"] + run["heldout_fixed"] * run["heldout_size"]
        assert repair == pytest.approx(fixed / len(negatives), abs=1e-3)
        assert broken == pytest.approx(run["break_rate"], abs=1e-3)
    text = run_ok(["variability", "--runs_dir", out, "--data_dir", target_dir,
                   "--output_dir", tmp_path]).stdout  # fmt: skip
    assert f"split measured: {target_dir / 'repair.h5'} (the split the runs were scored on" in text
    given = run_ok(["variability", "--runs_dir", out, "--data_dir", target_dir, "--output_dir",
                    tmp_path, "--target_data", "test.h5", "--json"]).stdout  # fmt: skip
    assert json.loads(given)["split"] == str(target_dir / "test.h5")
