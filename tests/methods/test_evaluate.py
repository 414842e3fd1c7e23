"""`repair evaluate`: several seeded runs, per-run and mean ± std rates, result.txt and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_ok
from tests.methods.conftest import FAST


def test_evaluate_runs_with_test_data(digits_model_dir: Path, target_dir: Path, tmp_path) -> None:
    out = tmp_path / "evaluate"
    args = ["evaluate", "--method=Arachne", "--model_dir", digits_model_dir,
            "--target_data_dir", target_dir / "negative",
            "--positive_inputs_dir", target_dir / "positive", "--output_dir", out,
            "--num_runs=2", "--random_state=3", "--num_grad=30", *FAST]  # fmt: skip
    report = json.loads(run_ok([*args, "--test_data", target_dir / "test.h5", "--json"]).stdout)
    assert [run["seed"] for run in report["runs"]] == [3, 4]
    for run in report["runs"]:
        summary = json.loads((out / f"run_{run['run']}" / "summary.json").read_text())
        assert run["repair_rate"] == summary["repair_rate"]
        assert run["break_rate"] == summary["break_rate"]
        assert 0.0 <= run["test_break_rate"] <= 100.0 and run["test_accuracy"] > 50.0
        assert (out / f"run_{run['run']}" / "repair" / "model.keras").is_file()
    rates = [run["repair_rate"] for run in report["runs"]]
    mean, std = report["mean_std"]["repair_rate"]
    # A sample standard deviation (n - 1): for two runs, |a - b| / sqrt(2).
    assert mean == pytest.approx(sum(rates) / 2) and std == pytest.approx(
        abs(rates[0] - rates[1]) / 2**0.5
    )
    text = (out / "result.txt").read_text()
    assert (
        "0: seed 3, RR" in text
        and "1: seed 4, RR" in text
        and "Mean ± sample std (n - 1) over 2 runs: RR" in text
    )
    assert "Test: RR" in text and "accuracy before" in text

    plain = run_ok([*args, "--num_runs=1"]).stdout  # without test data, as a table
    assert "over 1 run: RR" in plain and "Test:" not in plain and "result.txt" in plain


def test_ray_address_without_the_ray_executor_is_refused(
    digits_model_dir: Path, target_dir: Path, tmp_path
) -> None:
    from tests.conftest import run_repair

    result = run_repair(["evaluate", "--model_dir", digits_model_dir,
                         "--target_data_dir", target_dir / "negative",
                         "--positive_inputs_dir", target_dir / "positive",
                         "--output_dir", tmp_path, "--holdout=0.5", "--executor=local",
                         "--ray_address=ray://nowhere:10001"])  # fmt: skip
    assert result.exit_code == 2 and "--address needs --executor ray" in result.stderr
    assert not list(tmp_path.iterdir())
