"""The iteration table's interval columns and the best significant iteration."""

from __future__ import annotations

import csv
import json

import pytest

from repair.core.iterations import best_iteration, iteration_rows
from repair.core.label_results import write_results
from repair.core.results import LabelScore
from repair.core.stats import wilson_interval
from tests.conftest import run_ok

# The tutorial's pedestrian accuracies on 1,530 images, and the p-values of each change.
CORRECT = [1132, 1149, 1143, 1167, 1158, 1173]
P_VALUES = [None, 0.21, 0.33, 0.03, 0.08, 0.004]


@pytest.fixture
def run_dir(tmp_path):
    for k, (correct, p) in enumerate(zip(CORRECT, P_VALUES, strict=True)):
        folder = tmp_path / str(k)
        write_results(
            folder, [LabelScore(6, "pedestrian", correct, 1530), LabelScore(2, "car", 90, 100)]
        )
        if p is not None:
            rows = [{"label": 6, "p_value": p}, {"label": 2, "p_value": 1.0}]
            (folder / "paired.json").write_text(json.dumps({"paired": rows}))
    return tmp_path


def test_rows_carry_intervals_and_p_values(run_dir):
    name, rows = iteration_rows(run_dir, "pedestrian")
    assert name == "pedestrian" and [r.p_value for r in rows] == P_VALUES
    for row, correct in zip(rows, CORRECT, strict=True):
        assert (row.low, row.high) == pytest.approx(wilson_interval(correct, 1530))
    assert best_iteration(rows).iteration == 5
    assert best_iteration(rows[:5]).iteration == 3  # 4 is higher than 1-2 but not significant
    assert best_iteration(rows[:3]) is None


def test_iteration_table_command(run_dir):
    result = run_ok(["utils", "iteration_table", "--run_dir", run_dir, "--label", "pedestrian",
                     "--iterations", "4"])  # fmt: skip
    assert "best iteration: 3 (76.27%, p = 0.03)" in result.stdout
    assert "| 3 | 1167 | 363 | 76.27 [74.08, 78.34] | " in result.stdout
    with (run_dir / "iterations.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert float(rows[3]["accuracy_pedestrian_low"]) == pytest.approx(
        wilson_interval(1167, 1530)[0]
    )
    assert rows[0]["p_vs_start"] == "" and float(rows[4]["p_vs_start"]) == 0.08
    none = run_ok(["utils", "iteration_table", "--run_dir", run_dir, "--label", "6",
                   "--iterations", "2"])  # fmt: skip
    assert "best iteration: none (no gain over the start is significant at 0.05)" in none.stdout
