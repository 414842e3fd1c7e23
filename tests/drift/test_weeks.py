"""The three-week monitoring scenario, false alarms, and a label shift, on the digits model."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import inspect_split, read_split, write_split
from repair.core.model import load_model
from repair.drift.embeddings import embed_split, embedding_layer
from repair.drift.mmd import mmd_drift
from tests.conftest import run_ok, run_repair
from tests.reports.conftest import check_png

PERMUTATIONS = 100


@pytest.fixture(scope="module")
def weeks(digits_model_dir: Path, digits_data_dir: Path, weeks_dir: Path, tmp_path_factory):
    """drift.json of each week against train.h5, through the real command."""
    out = tmp_path_factory.mktemp("drift-out")
    results = {}
    for week in ("week1", "week2", "week3"):
        args = [
            "drift",
            "--model_dir",
            digits_model_dir,
            "--baseline",
            digits_data_dir / "train.h5",
            "--current",
            weeks_dir / f"{week}.h5",
            f"--permutations={PERMUTATIONS}",
            "--output_dir",
            out / week,
            "--json",
        ]
        printed = json.loads(run_ok(args).stdout)
        written = json.loads((out / week / "drift.json").read_text())
        assert {k: v for k, v in printed.items() if k != "files"} == written
        results[week] = written
    return results


def test_three_weeks(weeks: dict) -> None:
    cluster = {week: result["methods"]["cluster"]["score"] for week, result in weeks.items()}
    auc = {week: result["methods"]["classifier"]["score"] for week, result in weeks.items()}
    assert cluster["week2"] > cluster["week1"] and cluster["week3"] > cluster["week1"]
    assert auc["week1"] <= 0.55 < auc["week3"]
    assert weeks["week3"]["drift"] and not weeks["week1"]["drift"]
    assert weeks["week1"]["drifted_methods"] == []
    for method in ("cluster", "classifier", "mmd"):
        assert weeks["week2"]["methods"][method]["drift"], method
        assert weeks["week3"]["methods"][method]["drift"], method
    settings = weeks["week1"]["methods"]["mmd"]["settings"]
    assert settings["permutations"] == PERMUTATIONS and settings["random_state"] == 0
    assert weeks["week1"]["layer"]["default"] and weeks["week1"]["layer"]["dimensions"] == 64


def test_mmd_false_alarms_on_halvings(digits_model_dir: Path, digits_data_dir: Path) -> None:
    """Halves of one split come from one distribution: p < 0.05 at most 2 times in 20.

    Each halving alarms with probability about 0.05 (6.3 % measured over 300 halvings of this
    split), so 20 halvings alarm 3 times or more for about 1 seed in 13; this seed gives 0.
    """
    model = load_model(digits_model_dir)
    split = embed_split(model, digits_data_dir / "test.h5", embedding_layer(model, None), 256, "")
    rng = np.random.default_rng(4)
    alarms = 0
    for seed in range(20):
        order = rng.permutation(len(split.true))
        half = len(order) // 2
        a, b = split.features[order[:half]], split.features[order[half:]]
        alarms += mmd_drift(a, b, permutations=PERMUTATIONS, seed=seed).p_value < 0.05
    assert alarms <= 2


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_label_shift_shows_the_missing_label(
    digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path
) -> None:
    source = read_split(digits_data_dir / "test.h5")
    info = inspect_split(digits_data_dir / "test.h5")
    kept = source.labels != 4
    write_split(tmp_path / "no4.h5", source.images[kept], source.labels[kept], 10, info.class_names)
    run_ok(
        [
            "drift",
            "--model_dir",
            digits_model_dir,
            "--baseline",
            digits_data_dir / "train.h5",
            "--current",
            tmp_path / "no4.h5",
            "--methods=prediction",
            "--permutations=50",
            "--output_dir",
            tmp_path / "out",
        ]
    )
    rows = _read_rows(tmp_path / "out" / "drift_labels.csv")
    assert len(rows) == 10
    largest = max(rows, key=lambda row: abs(float(row["share_change"])))
    assert largest["label"] == "4" and largest["current_count"] == "0"
    assert largest["current_accuracy"] == "" and largest["drift_p_value"] == ""
    assert float(largest["baseline_accuracy"]) > 0.5
    assert not (tmp_path / "out" / "drift_clusters.csv").exists()  # the cluster method did not run
    check_png(tmp_path / "out" / "drift.png", (1100, 900))


def test_drift_over_time_rows_equal_three_one_set_runs(
    weeks: dict, digits_model_dir: Path, digits_data_dir: Path, weeks_dir: Path, tmp_path: Path
) -> None:
    """One command over the three weeks (a glob, so in natural order) gives per week the numbers
    of a one-set run, one CSV row each, the one-set files per week and the chart."""
    out = tmp_path / "over-time"
    args = ["drift", "--model_dir", digits_model_dir, "--baseline", digits_data_dir / "train.h5",
            "--current", str(weeks_dir / "week*.h5"), f"--permutations={PERMUTATIONS}",
            "--output_dir", out, "--json"]  # fmt: skip
    printed = json.loads(run_ok(args).stdout)
    rows = _read_rows(out / "drift_over_time.csv")
    methods = ("cluster", "classifier", "mmd", "prediction")
    assert list(rows[0]) == ["set", "path", "n"] + [
        f"{m}_{f}" for m in methods for f in ("statistic", "threshold", "p_value", "drift")
    ] + ["drift"]
    assert [row["set"] for row in rows] == ["week1", "week2", "week3"]
    for row, (week, alone) in zip(rows, weeks.items(), strict=True):
        assert (
            row["path"] == alone["current"]["path"] and int(row["n"]) == alone["current"]["inputs"]
        )
        for method in methods:
            test = alone["methods"][method]
            assert float(row[f"{method}_statistic"]) == test["score"], (week, method)
            assert float(row[f"{method}_threshold"]) == test["threshold"], (week, method)
            assert float(row[f"{method}_p_value"]) == test["p_value"], (week, method)
            assert row[f"{method}_drift"] == ("yes" if test["drift"] else "no")
        assert row["drift"] == ("yes" if alone["drift"] else "no")
        written = json.loads((out / week / "drift.json").read_text())
        assert {k: v for k, v in written.items() if k != "seconds"} == {
            k: v for k, v in alone.items() if k != "seconds"
        }
        assert (out / week / "drift_labels.csv").is_file()
    assert [s["set"] for s in printed["sets"]] == ["week1", "week2", "week3"]
    assert printed["rows"][2]["drift"] and not printed["rows"][0]["drift"]
    check_png(out / "drift_over_time.png", (1100, 4 * 260 + 90))


def test_drift_over_time_keeps_the_order_given_and_refuses_what_needs_one_set(
    digits_model_dir: Path, digits_data_dir: Path, weeks_dir: Path, tmp_path: Path
) -> None:
    base = ["drift", "--model_dir", digits_model_dir, "--baseline", digits_data_dir / "train.h5",
            "--methods=prediction", "--permutations=20",
            "--output_dir", tmp_path / "out"]  # fmt: skip
    listed = f"{weeks_dir / 'week3.h5'},{weeks_dir / 'week1.h5'}"
    result = run_ok([*base, "--current", listed])
    assert "| week3 |" in result.stdout.splitlines()[2]
    assert [r["set"] for r in _read_rows(tmp_path / "out" / "drift_over_time.csv")] == [
        "week3", "week1"
    ]  # fmt: skip
    check_png(tmp_path / "out" / "drift_over_time.png", (1100, 260 + 90))
    for extra, code, fragment in (
        (["--current", str(tmp_path / "none*.h5")], 2, "matches no file"),
        (["--current", listed, "--suggest"], 2, "take one --current set"),
        (["--current", f"{listed},{tmp_path / 'gone.h5'}"], 1, "data file not found"),
    ):
        failed = run_repair([*base, *extra])
        assert failed.exit_code == code and fragment in failed.stderr, failed.output
