"""scripts/repair_loop.sh end to end on the digits: chained models, table, charts, failures."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_ok
from tests.reports.conftest import check_png

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "repair_loop.sh"
ITERATIONS = 2


def run_loop(*args: object) -> subprocess.CompletedProcess:
    """Run the loop with this interpreter's ``repair`` first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", SCRIPT, *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )


def weakest_label(model_dir: Path, chunks: list[Path]) -> int:
    """The label with the most misclassified inputs over ``chunks``: repairs surely happen."""
    from repair.core.data import SplitReader
    from repair.core.model import load_model, predict_split

    model = load_model(model_dir)
    errors = np.zeros(10, dtype=int)
    for chunk in chunks:
        with SplitReader(chunk / "repair.h5") as reader:
            predictions = predict_split(model, reader)
        errors += np.bincount(predictions.true[~predictions.correct], minlength=10)
    return int(np.argmax(errors))


@pytest.fixture(scope="module")
def loop_run(digits_data_dir, digits_model_dir, tmp_path_factory):
    """The loop over two chunks of 100 repair inputs, with a small swarm."""
    data = tmp_path_factory.mktemp("loop-data")
    for name in ("test.h5", "repair.h5"):
        (data / name).write_bytes((digits_data_dir / name).read_bytes())
    run_ok(["utils", "split_dataset", "--input", data / "repair.h5", "--chunk_size=100"])
    label = weakest_label(digits_model_dir, [data / "repairsets" / str(k) for k in range(2)])
    out = tmp_path_factory.mktemp("loop-out")
    result = run_loop(
        "--data_dir",
        data,
        "--model-dir",
        digits_model_dir,
        f"--label={label}",
        "--iterations",
        ITERATIONS,
        "--particles=8",
        "--swarm_iterations=4",
        "--output_dir",
        out,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return data, out, label, result


def models_used(out: Path, start: Path) -> list[Path]:
    """The model measured at each iteration: the repaired one, or the previous when skipped."""
    models = [start]
    for k in range(1, ITERATIONS + 1):
        repaired = out / str(k) / "repair" / "model.keras"
        models.append(repaired if repaired.exists() else models[-1])
    return models


def test_each_iteration_starts_from_the_previous_repair(loop_run, digits_model_dir):
    _, out, _, _ = loop_run
    models = models_used(out, digits_model_dir)
    assert models[-1] != digits_model_dir, "no iteration repaired anything"
    for k in range(1, ITERATIONS + 1):
        summary = out / str(k) / "summary.json"
        if summary.exists():
            assert Path(json.loads(summary.read_text())["model_dir"]) == models[k - 1]


def test_table_equals_what_repair_test_reports(loop_run, digits_model_dir):
    data, out, label, result = loop_run
    with (out / "iterations.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [int(row["iteration"]) for row in rows] == list(range(ITERATIONS + 1))
    for row, model in zip(rows, models_used(out, digits_model_dir), strict=True):
        tested = json.loads(
            run_ok(["test", "--model_dir", model, "--data_dir", data, "--json"]).stdout
        )
        [scores] = [s for s in tested["labels"] if s["label"] == label]
        assert int(row["correct"]) == scores["correct"]
        assert int(row["incorrect"]) == scores["total"] - scores["correct"]
        assert float(row[f"accuracy_{label}"]) == pytest.approx(scores["accuracy"], abs=1e-3)
        assert float(row["overall_accuracy"]) == pytest.approx(tested["accuracy"], abs=1e-3)
    markdown = (out / "iterations.md").read_text().splitlines()
    assert markdown[0].startswith("| iteration | correct | incorrect |")
    for line in markdown:  # printed as the loop goes
        assert line in result.stdout
    for k, row in enumerate(rows[1:], start=1):
        summary = out / str(k) / "summary.json"
        if summary.exists():
            counts = json.loads(summary.read_text())
            assert int(row["patched"]) == counts["patched"]
            assert int(row["negatives"]) == counts["negatives"]
        else:
            assert row["patched"] == ""


def test_charts_exist(loop_run):
    _, out, _, result = loop_run
    for k in range(ITERATIONS + 1):
        check_png(out / str(k) / "radar.png", (800, 800))
    check_png(out / "iterations.png", (900, 560))
    check_png(out / "radar_overlay.png", (800, 800))
    assert f"final model: {out}" in result.stdout


def test_requirements_stop_the_loop_once_met(loop_run, digits_model_dir, tmp_path):
    data, _, label, _ = loop_run
    result = run_loop(
        "--data_dir",
        data,
        "--model_dir",
        digits_model_dir,
        "--label",
        label,
        "--particles",
        4,
        "--swarm_iterations",
        2,
        "--output_dir",
        tmp_path,
        "--require",
        "overall>=-100",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "requirements 'overall>=-100' met at iteration 1; stopping" in result.stdout
    assert not (tmp_path / "2").exists()
    assert len((tmp_path / "iterations.csv").read_text().splitlines()) == 3  # header, 0, 1


def test_a_failing_step_stops_the_loop_with_a_clear_message(loop_run, tmp_path):
    data, _, _, _ = loop_run
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.keras").write_text("not a model")
    result = run_loop("--data_dir", data, "--model_dir", broken, "--output_dir", tmp_path / "o")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("repair_loop: measuring the starting model failed (exit status 1); stopping.")
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--particles=0"], "--particles must be a positive integer; got 0"),
        (["--iterations", "9"], "--iterations 9, but"),
        (["--bogus", "1"], "unknown option --bogus"),
        (["--label"], "--label needs a value"),
    ],
)
def test_bad_flags(loop_run, args, message):
    data, _, _, _ = loop_run
    result = run_loop("--data_dir", data, *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_help():
    result = run_loop("--help")
    assert result.returncode == 0 and "--swarm_iterations N" in result.stdout


def test_each_iteration_is_compared_with_the_start(loop_run):
    _, out, label, result = loop_run
    with (out / "iterations.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert rows[0]["p_vs_start"] == ""
    for k in range(1, ITERATIONS + 1):
        paired = json.loads((out / str(k) / "paired.json").read_text())
        [row] = [row for row in paired["paired"] if row["label"] == label]
        assert float(rows[k]["p_vs_start"]) == pytest.approx(row["p_value"])
        assert int(rows[k]["correct"]) == row["after"]["correct"]
        low, high = row["after"]["interval"]
        assert float(rows[k][f"accuracy_{label}_low"]) == pytest.approx(low, abs=1e-3)
        assert float(rows[k][f"accuracy_{label}_high"]) == pytest.approx(high, abs=1e-3)
    assert "best iteration: " in result.stdout
