"""`repair utils compare --paired` on real models: counts, exact p-values, '!' requirements."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from tests.conftest import run_ok, run_repair


@pytest.fixture(scope="module")
def nudged_model(digits_model_dir: Path, tmp_path_factory) -> Path:
    """The shared digits model with its last kernel nudged slightly (seeded): a handful of
    test predictions change either way, a change within the noise."""
    from repair.core.model import load_model, save_model

    model = load_model(digits_model_dir)
    last = model.layers[-1]
    kernel, bias = last.get_weights()
    rng = np.random.default_rng(7)
    last.set_weights([kernel + rng.normal(0, 0.2 * kernel.std(), kernel.shape), bias])
    folder = tmp_path_factory.mktemp("nudged")
    save_model(model, folder)
    return folder


def predictions(model: Path, data: Path) -> tuple[np.ndarray, np.ndarray]:
    from repair.core.model import predict_file

    _, result = predict_file(model, data / "test.h5")
    return result.true, result.correct


def test_paired_counts_and_exact_p_values(digits_model_dir, nudged_model, digits_data_dir):
    args = ["utils", "compare", "--paired", "--model_dirs", f"{digits_model_dir},{nudged_model}",
            "--data_dir", digits_data_dir]  # fmt: skip
    report = json.loads(run_ok([*args, "--json"]).stdout)
    true, before = predictions(digits_model_dir, digits_data_dir)
    _, after = predictions(nudged_model, digits_data_dir)
    rows = {row["label"]: row for row in report["paired"]}
    assert set(rows) == {*range(10), "overall"}
    for label, row in rows.items():
        where = np.ones(len(true), bool) if label == "overall" else true == label
        fixed = int(np.sum(~before[where] & after[where]))
        broken = int(np.sum(before[where] & ~after[where]))
        assert (row["fixed"], row["broken"], row["n"]) == (fixed, broken, int(where.sum()))
        expected = binomtest(fixed, fixed + broken, 0.5).pvalue if fixed + broken else 1.0
        assert row["p_value"] == pytest.approx(expected)
        low, high = row["after"]["interval"]
        assert low <= row["after"]["accuracy"] <= high
    overall = rows["overall"]
    assert overall["fixed"] + overall["broken"] > 0, "the nudge changed nothing"
    assert overall["p_value"] > 0.05  # a change within the noise...
    result = run_repair([*args, "--require", "overall+!"])
    assert result.exit_code == 1  # ...fails a '!' requirement
    assert "FAIL overall rise significant at 0.05" in result.stdout
    assert f"p = {overall['p_value']:.3g}" in result.stdout
    assert "| overall |" in result.stdout and "[95% CI]" in result.stdout


def test_a_model_against_itself_changes_nothing(digits_model_dir, digits_data_dir):
    both = f"{digits_model_dir},{digits_model_dir}"
    args = ["utils", "compare", "--paired", "--model_dirs", both, "--data_dir", digits_data_dir]
    report = json.loads(run_ok([*args, "--json", "--require", "overall>=50!"]).stdout)
    assert all(
        row["fixed"] == row["broken"] == 0 and row["p_value"] == 1.0 for row in report["paired"]
    )
    assert report["passed"] and report["requirements"][0]["requirement"] == "overall>=50!"
    assert run_repair([*args, "--require", "overall+!"]).exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--paired"], "--paired needs --model_dirs"),
        (["--paired", "--model_dirs", "{m}"], "two models"),
        ([], "give --before and --after"),
        (["--paired", "--model_dirs", "{m},{m}", "--require", "car>=+1!"], "'!' goes with"),
    ],
)
def test_usage_errors(args, message, digits_model_dir, digits_data_dir):
    args = [a.replace("{m}", str(digits_model_dir)) for a in args]
    result = run_repair(["utils", "compare", "--data_dir", digits_data_dir, *args])
    assert result.exit_code == 2 and message in result.output


def test_rise_without_paired_is_a_usage_error(tmp_path):
    from repair.core.label_results import write_results
    from repair.core.results import LabelScore

    write_results(tmp_path / "a", [LabelScore(0, "cat", 5, 10)])
    write_results(tmp_path / "b", [LabelScore(0, "cat", 9, 10)])
    result = run_repair(["utils", "compare", "--before", tmp_path / "a", "--after", tmp_path / "b",
                         "--require", "cat+!"])  # fmt: skip
    assert result.exit_code == 2 and "--paired" in result.output
    ok = run_repair(["utils", "compare", "--before", tmp_path / "a", "--after", tmp_path / "b",
                     "--require", "cat>=60!"])  # fmt: skip
    # 9 of 10 is 90 %, but its interval [59.6, 98.2] does not rule out less than 60 %.
    assert ok.exit_code == 1 and "FAIL cat accuracy 95% interval lower end >= 60%" in ok.stdout
