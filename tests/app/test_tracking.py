"""`--mlflow`: each command is one MLflow run in a local file store, read back with the client."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import pytest

from repair.app.tracking import flat_params, numeric_leaves
from tests.app.sweeps import sweep_args
from tests.conftest import run_ok, run_repair
from tests.drift.conftest import weeks_dir  # noqa: F401  (the fixture)
from tests.methods.conftest import FAST


def _client(store: Path):
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=str(store))


def _runs(store: Path) -> list:
    client = _client(store)
    experiment = client.get_experiment_by_name("repair")
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])


def _artifacts(store: Path, run, path: str | None = None) -> list[str]:
    return sorted(a.path for a in _client(store).list_artifacts(run.info.run_id, path))


def _history(store: Path, run, key: str) -> list[tuple[int, float]]:
    metrics = _client(store).get_metric_history(run.info.run_id, key)
    return sorted((m.step, m.value) for m in metrics)


def test_numbers_and_settings_flatten() -> None:
    report = {"a": {"b": 1, "ok": True, "name": "x", "none": None}, "nan": float("nan"),
              "runs": [{"rate": 2.0, "inner": [{"x": 1}]}, {"rate": 3.0}], "pair": [1, 2],
              "car@fog 3": 4}  # fmt: skip
    assert sorted(numeric_leaves(report)) == [
        ("a.b", 1.0, 0), ("a.ok", 1.0, 0), ("car_fog 3", 4.0, 0),
        ("runs.rate", 2.0, 0), ("runs.rate", 3.0, 1),
    ]  # fmt: skip
    assert flat_params({"s": {"k": 3, "p": Path("a/b")}, "n": None}) == {
        "s.k": "3", "s.p": "a/b", "n": "None"
    }  # fmt: skip


def test_missing_extra_and_bad_store_are_one_line(
    digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    args = ["drift", "--model_dir", digits_model_dir, "--baseline", digits_data_dir / "train.h5",
            "--current", digits_data_dir / "test.h5", "--output_dir", tmp_path / "out"]  # fmt: skip
    result = run_repair([*args, "--mlflow", "sqlite:///" + str(tmp_path / "m.db")])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: --mlflow cannot use the tracking store")
    assert len(result.stderr.strip().splitlines()) == 1
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    result = run_repair([*args, "--mlflow", tmp_path / "mlruns"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: --mlflow needs the MLflow tracking client; install it with "
        "pip install 'repair[mlflow]'"
    )
    assert not (tmp_path / "out").exists() and not (tmp_path / "mlruns").exists()


def test_drift_is_one_run_with_its_numbers_and_files(
    digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path
) -> None:
    store, out = tmp_path / "mlruns", tmp_path / "drift"
    run_ok(["drift", "--model_dir", digits_model_dir, "--baseline", digits_data_dir / "train.h5",
            "--current", digits_data_dir / "test.h5", "--methods=prediction,mmd",
            "--permutations=20", "--output_dir", out, "--mlflow", store])  # fmt: skip
    [run] = _runs(store)
    written = json.loads((out / "drift.json").read_text())
    assert run.info.run_name == "drift" and run.info.status == "FINISHED"
    assert run.data.params["methods"] == "mmd,prediction"
    assert run.data.params["permutations"] == "20"
    for method in ("mmd", "prediction"):
        for key in ("score", "threshold", "p_value"):
            assert run.data.metrics[f"methods.{method}.{key}"] == written["methods"][method][key]
    assert run.data.metrics["drift"] == float(written["drift"])
    assert _artifacts(store, run) == ["drift.json", "drift.png", "drift_labels.csv"]


def test_drift_over_time_from_the_environment_is_one_step_per_set(
    digits_model_dir: Path,
    digits_data_dir: Path,
    weeks_dir: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch,
) -> None:
    store, out = tmp_path / "mlruns", tmp_path / "drift"
    monkeypatch.setenv("REPAIR_MLFLOW_URI", str(store))
    run_ok(["drift", "--model_dir", digits_model_dir, "--baseline", digits_data_dir / "train.h5",
            "--current", f"{weeks_dir / 'week3.h5'},{weeks_dir / 'week1.h5'}",
            "--methods=prediction", "--permutations=20", "--output_dir", out])  # fmt: skip
    [run] = _runs(store)
    with (out / "drift_over_time.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert _history(store, run, "sets.methods.prediction.score") == [
        (step, float(row["prediction_statistic"])) for step, row in enumerate(rows)
    ]
    assert "week3" in _artifacts(store, run) and "drift_over_time.csv" in _artifacts(store, run)
    assert _artifacts(store, run, "week1") == [
        "week1/drift.json", "week1/drift.png", "week1/drift_labels.csv"
    ]  # fmt: skip


def test_optimize_and_evaluate_log_their_rates_and_files(
    digits_model_dir: Path,
    target_dir: Path,
    tmp_path: Path,
) -> None:
    store, out = tmp_path / "mlruns", tmp_path / "opt"
    common = ["--model_dir", digits_model_dir, "--target_data_dir", target_dir / "negative",
              "--positive_inputs_dir", target_dir / "positive"]  # fmt: skip
    run_ok(["localize", "--method=Arachne", *common[:4], "--output_dir", out])
    summary = json.loads(run_ok(["optimize", "--method=Arachne", *common, "--output_dir", out,
                                 *FAST, "--random_state=5", "--json",
                                 "--mlflow", store]).stdout)  # fmt: skip
    run_ok(["evaluate", "--method=Arachne", *common, "--output_dir", tmp_path / "eval",
            "--num_runs=2", "--executor=serial", *FAST, "--mlflow", store])  # fmt: skip
    optimize, evaluate = _runs(store)
    assert optimize.info.run_name == "optimize" and optimize.data.params["seed"] == "5"
    assert optimize.data.params["settings.num_particles"] == "8"
    for key in ("repair_rate", "break_rate", "patched", "broken"):
        assert optimize.data.metrics[key] == summary[key]
    assert {"summary.json", "weights.csv", "history.csv", "repair"} <= set(
        _artifacts(store, optimize)
    )
    assert _artifacts(store, optimize, "repair") == ["repair/model.keras"]
    report = [json.loads((tmp_path / "eval" / f"run_{k}" / "summary.json").read_text())
              for k in range(2)]  # fmt: skip
    assert evaluate.info.run_name == "evaluate" and evaluate.data.params["num_runs"] == "2"
    assert _history(store, evaluate, "runs.repair_rate") == [
        (k, r["repair_rate"]) for k, r in enumerate(report)
    ]
    mean = sum(r["repair_rate"] for r in report) / 2
    assert evaluate.data.metrics["mean_std.repair_rate.mean"] == pytest.approx(mean)
    assert _artifacts(store, evaluate) == ["eval"]


def test_audit_and_variability(
    digits_model_dir: Path, perturbed_model_dir: Path, digits_data_dir: Path, tmp_path: Path
) -> None:
    store = tmp_path / "mlruns"
    models = f"{digits_model_dir},{perturbed_model_dir}"
    run_ok(["audit", "--model_dirs", models, "--data_dir", digits_data_dir, "--target_data",
            "test.h5", "--output_dir", tmp_path / "audit", "--mlflow", store])  # fmt: skip
    report = json.loads(run_ok(["variability", "--model_dirs", models, "--data_dir",
                                digits_data_dir, "--output_dir", tmp_path / "var", "--json",
                                "--mlflow", store]).stdout)  # fmt: skip
    audit, variability = _runs(store)
    assert audit.info.run_name == "audit" and "audit.csv" in _artifacts(store, audit)
    assert variability.data.metrics["overall.mean"] == report["overall"]["mean"]
    assert variability.data.params["model_dirs"] == models
    assert {"variability.json", "per_input.csv", "variability.png"} <= set(
        _artifacts(store, variability)
    )


def test_sweep_units_are_nested_runs(
    digits_model_dir: Path,
    digits_data_dir: Path,
    chunks,  # noqa: F811
    tmp_path: Path,
) -> None:
    store, out = tmp_path / "mlruns", tmp_path / "sweep"
    args = sweep_args(digits_model_dir, digits_data_dir, chunks, out, "--chunks=0",
                      "--seeds=0,1", "--executor=serial", "--mlflow", store)  # fmt: skip
    run_ok(args)
    runs = _runs(store)
    [parent] = [r for r in runs if r.info.run_name == "sweep"]
    units = [r for r in runs if r.info.run_name != "sweep"]
    assert len(units) == 2 and parent.data.params["seeds"] == "0,1"
    for unit in units:
        assert unit.data.tags["mlflow.parentRunId"] == parent.info.run_id
        record = json.loads((out / unit.info.run_name / "unit.json").read_text())
        assert unit.data.params["seed"] == str(record["spec"]["seed"])
        if record["repair_rate"] is not None:
            assert unit.data.metrics["repair_rate"] == record["repair_rate"]
        assert unit.data.metrics["test_accuracy"] == record["test_accuracy"]
    assert parent.data.metrics["units"] == 2.0
    assert {"sweep.csv", "sweep.json", "sweep.png"} <= set(_artifacts(store, parent))
