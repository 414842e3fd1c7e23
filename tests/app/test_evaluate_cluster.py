"""`repair evaluate --executor ray --address` on a real Ray cluster of a head and two worker
nodes: the runs take their inputs from the object store (each file once), run on both nodes,
write no worker path, and give what a serial evaluate gives, held-out runs too; and with the
driver's inputs moved away once shipped, a DRWeightMerge run (a whole negative/ tree and a
settings file named by an option) still runs, so nothing reads the driver's disk; a worker node
killed mid-run costs a retry, not a run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from repair.app.shipping import folder_bytes
from tests.app.sweeps import finish, kill_node_mid_task, repair_process
from tests.conftest import run_ok
from tests.variability.test_runs import HOLDOUT, _without_times, evaluate_args

pytest.importorskip("ray")

RUN_ARGS = ["--num_runs=3", "--random_state=5"]


def _folders(out: Path) -> list[Path]:
    return sorted(out.glob("run_*"))


def _summary(folder: Path) -> dict:
    summary = json.loads((folder / "summary.json").read_text())
    return {k: v for k, v in summary.items() if not k.endswith(("_dir", "_s")) and
            k != "repaired_model"}  # fmt: skip


def _no_worker_path(out: Path) -> None:
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".csv", ".txt"):
            assert "repair-evaluate-run-" not in path.read_text(), path


def _assert_serial_runs(report: dict, out: Path, serial_runs: tuple[Path, dict]) -> None:
    """The runs of ``report`` (written under ``out``) give what the serial evaluate gave: rates,
    mean and std, each run's summary.json and weights.csv, a repaired model, driver paths."""
    serial_out, serial = serial_runs
    assert report["runs"] == serial["runs"]
    assert report["mean_std"] == serial["mean_std"]
    for ours, theirs in zip(_folders(out), _folders(serial_out), strict=True):
        assert _summary(ours) == _summary(theirs)
        assert (ours / "weights.csv").read_bytes() == (theirs / "weights.csv").read_bytes()
        assert (ours / "repair" / "model.keras").is_file()
        summary = json.loads((ours / "summary.json").read_text())
        assert summary["output_dir"] == str(ours.resolve())  # the driver's path, not the worker's


@pytest.fixture(scope="module")
def serial_runs(digits_model_dir, target_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial-evaluate")
    args = [*evaluate_args(digits_model_dir, target_dir, out), *RUN_ARGS, "--executor=serial"]
    return out, json.loads(run_ok(args).stdout)


def test_runs_ship_their_inputs_once_use_both_nodes_and_equal_serial(
    cluster,
    serial_runs,
    digits_model_dir,
    target_dir,
    tmp_path,
) -> None:
    head, workers, home = cluster
    out = tmp_path / "ray"
    args = [*evaluate_args(digits_model_dir, target_dir, out), *RUN_ARGS]
    report = finish(repair_process([*args, "--executor=ray", "--address", head.address], home))
    _assert_serial_runs(report, out, serial_runs)
    assert set(report["nodes"]) == {w.node_id for w in workers}  # 3 runs, two 1-CPU nodes
    assert report["retried"] == 0
    # each input once for the 3 runs: the model, the negative/ tree, the positives' split, test
    sent = len(folder_bytes(digits_model_dir, ("model.keras",)))
    sent += len(folder_bytes(target_dir / "negative", None))
    sent += len(folder_bytes(target_dir / "positive", ("repair.h5",)))
    sent += (target_dir / "test.h5").stat().st_size
    assert report["object_store_bytes"] == sent
    assert json.loads((out / "evaluate.json").read_text()) == report
    _no_worker_path(out)


def test_held_out_runs_on_the_cluster_equal_serial(
    cluster,
    holdout_runs,
    digits_model_dir,
    target_dir,
    tmp_path,
) -> None:
    head, _, home = cluster
    _, serial = holdout_runs
    out = tmp_path / "holdout"
    args = [*evaluate_args(digits_model_dir, target_dir, out), *HOLDOUT]
    report = finish(repair_process([*args, "--executor=ray", "--address", head.address], home))
    assert _without_times(report["runs"]) == _without_times(serial["runs"])
    for run in report["runs"]:  # the halves were drawn on the worker, written here
        assert (out / f"run_{run['run']}" / "data" / "heldout" / "repair.h5").is_file()
    _no_worker_path(out)


def _dr_spec(method, model, data: Path, run_dir: Path, settings: str):
    from repair.app.evaluation import RunSpec

    swarm = {"num_particles": 12, "num_iterations": 6}
    return RunSpec(
        run=0, method=method, model_dir=model, target_data_dir=data / "negative",
        positive_inputs_dir=data / "positive", run_dir=run_dir,
        localize_options=method.localize_options(weight_path=settings),
        optimize_options=method.optimize_options(**swarm), batch_size=32, seed=2, device="cpu",
        reference=None,
    )  # fmt: skip


def test_nothing_reads_the_drivers_disk_once_the_inputs_are_shipped(
    cluster,
    digits_model_dir,
    target_dir,
    tmp_path,
    monkeypatch,
) -> None:
    """DRWeightMerge over every type of negative/ (its whole tree), with its settings file
    given relative to the current folder: shipped, then the driver's inputs are moved away."""
    from repair.app.evaluation import evaluate_run
    from repair.app.evaluation_remote import run_shipped_runs, ship_runs
    from repair.app.sweep import unit_executor
    from repair.registry import METHODS, load

    head, _, home = cluster
    method = load(METHODS, "DRWeightMerge")
    inputs = tmp_path / "inputs"
    shutil.copytree(target_dir, inputs / "data")
    shutil.copytree(digits_model_dir, inputs / "model")
    types = sorted(p.parent.relative_to(inputs / "data" / "negative").as_posix()
                   for p in (inputs / "data" / "negative").glob("*/*/repair.h5"))[:2]  # fmt: skip
    targets: dict[str, list[str]] = {}
    for t in types:
        true, predicted = t.split("/")
        targets.setdefault(true, []).append(predicted)
    settings = {
        "target_misclassifications": targets,
        "general_misclassifications": [],
        "weights_precisions": {str(k): 1 for k in range(10)},
        "weights_misclassifications": {t.replace("/", ","): 1 for t in types},
    }
    monkeypatch.chdir(tmp_path)
    Path("dr.json").write_text(json.dumps(settings), encoding="utf-8")
    spec = _dr_spec(
        method, inputs / "model", inputs / "data", tmp_path / "ray" / "run_0", "dr.json"
    )
    expected = evaluate_run(
        _dr_spec(method, inputs / "model", inputs / "data", tmp_path / "serial", "dr.json")
    )
    facts: dict = {}
    monkeypatch.setenv("HOME", str(home))
    with unit_executor("ray", 1, ray_address=head.address) as pool:
        items = ship_runs(pool, evaluate_run, [spec])
        inputs.rename(tmp_path / "gone")  # the driver's model and data are no longer there
        Path("dr.json").rename("dr.gone")
        try:
            (outcome,) = list(run_shipped_runs(pool, items, facts))
        finally:
            (tmp_path / "gone").rename(inputs)
            Path("dr.gone").rename("dr.json")
    assert outcome.error is None, outcome.error
    assert outcome.value == expected
    ours, theirs = tmp_path / "ray" / "run_0", tmp_path / "serial"
    assert _summary(ours) == _summary(theirs)
    assert (ours / "dr_types.json").read_bytes() == (theirs / "dr_types.json").read_bytes()
    types_run = json.loads((ours / "dr_types.json").read_text())["types"]
    assert len(types_run) == 2
    assert facts["retried"] == 0 and facts["nodes"][0] is not None
    _no_worker_path(tmp_path / "ray")


def test_a_worker_node_killed_mid_run_costs_a_retry_not_a_run(
    cluster, serial_runs, digits_model_dir, target_dir, tmp_path
) -> None:
    """Last in the module: it takes a node away (a spare joins first, so two remain)."""
    head, workers, home = cluster
    spare = head.add_node(num_cpus=1)
    head.wait_for_nodes()
    victim = workers[1]
    out = tmp_path / "ray"
    args = [*evaluate_args(digits_model_dir, target_dir, out), *RUN_ARGS]
    process = repair_process([*args, "--executor=ray", "--address", head.address], home)
    kill_node_mid_task(head, victim, process)
    workers[1] = spare
    report = finish(process)
    assert report["retried"] >= 1 and victim.node_id not in report["nodes"]
    assert json.loads((out / "evaluate.json").read_text())["retried"] == report["retried"]
    _assert_serial_runs(report, out, serial_runs)
    _no_worker_path(out)
