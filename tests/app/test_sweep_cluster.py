"""`repair sweep --executor ray --address` on a real Ray cluster of a head and two worker nodes
(started here, on loopback): units run on both nodes and take their inputs from the object
store, no worker path reaches a unit's files, the results equal a serial run, a rerun resumes,
a worker node killed mid-sweep costs a retry, not a unit, and after the driver is killed a rerun
runs only the missing units (a unit failing on every try is an error, the others finish)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from repair.app.shipping import folder_bytes
from tests.app.sweeps import comparable, finish, kill_node_mid_task, repair_process, sweep_args
from tests.conftest import run_ok

pytest.importorskip("ray")

SEEDS = "--seeds=0-3"


@pytest.fixture(scope="module")
def serial_units(digits_data_dir, digits_model_dir, chunks, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial-sweep")
    extra = ["--chunks=0", SEEDS, "--executor=serial"]
    run_ok(sweep_args(digits_model_dir, digits_data_dir, chunks, out, *extra))
    return [comparable(f) for f in sorted(p.parent for p in out.rglob("unit.json"))]


def _units(out: Path) -> list[Path]:
    return sorted(p.parent for p in out.rglob("unit.json"))


def test_units_run_on_both_nodes_from_the_object_store_and_equal_a_serial_run(
    cluster, serial_units, digits_data_dir, digits_model_dir, chunks, tmp_path
) -> None:
    head, workers, home = cluster
    out = tmp_path / "ray"
    extra = ["--chunks=0", SEEDS, "--executor=ray", "--address", head.address]
    args = sweep_args(digits_model_dir, digits_data_dir, chunks, out, *extra)
    report = finish(repair_process(args, home))
    assert (report["units"], report["ran"], report["errors"], report["retried"]) == (4, 4, 0, 0)
    # each once: the model (its folder's model.keras), the chunk and the test split
    model = len(folder_bytes(digits_model_dir, ("model.keras",)))
    files = [chunks[0] / "0" / "repair.h5", digits_data_dir / "test.h5"]
    assert report["object_store_bytes"] == model + sum(p.stat().st_size for p in files)
    nodes = {json.loads((f / "unit.json").read_text())["node"] for f in _units(out)}
    assert nodes == {w.node_id for w in workers}
    assert [comparable(f) for f in _units(out)] == serial_units
    for path in out.rglob("*"):  # no worker path in any file of any unit
        if path.is_file() and path.suffix in (".json", ".csv"):
            assert "repair-sweep-unit-" not in path.read_text(), path
    assert json.loads((out / "sweep.json").read_text())["retried"] == 0
    again = finish(repair_process(args, home))  # the driver's rerun resumes: nothing runs
    assert (again["ran"], again["resumed"], again["object_store_bytes"]) == (0, 4, 0)


def test_a_worker_node_killed_mid_sweep_costs_a_retry_not_a_unit(
    cluster, serial_units, digits_data_dir, digits_model_dir, chunks, tmp_path
) -> None:
    head, workers, home = cluster
    spare = head.add_node(num_cpus=1)  # the sweep keeps two nodes after one is lost
    head.wait_for_nodes()
    victim = workers[1]
    out = tmp_path / "ray"
    extra = ["--chunks=0", SEEDS, "--executor=ray", "--address", head.address]
    process = repair_process(
        sweep_args(digits_model_dir, digits_data_dir, chunks, out, *extra), home
    )
    kill_node_mid_task(head, victim, process)
    workers[1] = spare
    report = finish(process)
    assert (report["units"], report["errors"]) == (4, 0) and report["retried"] >= 1
    assert json.loads((out / "sweep.json").read_text())["retried"] == report["retried"]
    assert [comparable(f) for f in _units(out)] == serial_units
    nodes = {json.loads((f / "unit.json").read_text())["node"] for f in _units(out)}
    assert victim.node_id not in nodes


def test_a_killed_driver_resumes_on_the_cluster_and_a_failing_unit_is_an_error(
    cluster, digits_data_dir, digits_model_dir, chunks, tmp_path
) -> None:
    head, _, home = cluster
    broken = tmp_path / "chunks"
    shutil.copytree(chunks[0], broken)
    (broken / "1" / "repair.h5").write_bytes(b"not an HDF5 file")
    out = tmp_path / "ray"
    extra = ["--chunks=0-1", "--seeds=0-2", "--executor=ray", "--address", head.address]
    args = sweep_args(digits_model_dir, digits_data_dir, (broken, chunks[1]), out, *extra)
    process = repair_process(args, home)
    deadline = time.monotonic() + 180
    while not list(out.glob("label_*/chunk_*/seed_*/unit.json")):
        assert process.poll() is None and time.monotonic() < deadline, "no unit came back"
        time.sleep(0.05)
    process.kill()  # the driver, SIGKILLed; the cluster goes on
    process.communicate()
    records = [json.loads(p.read_text()) for p in out.glob("label_*/chunk_*/seed_*/unit.json")]
    done = sum(r["status"] in ("ok", "skipped") for r in records)
    assert len(records) < 6, "the kill came too late to leave missing units"
    rerun = repair_process(args, home)
    stdout, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 1, stderr[-2000:]
    report = json.loads(stdout)
    assert (report["units"], report["resumed"], report["errors"]) == (6, done, 3)
    assert report["ran"] == 6 - done
    for path in out.glob("label_*/chunk_1/seed_*/unit.json"):
        record = json.loads(path.read_text())
        assert record["status"] == "error" and str(broken / "1" / "repair.h5") in record["message"]
        assert "repair-sweep-unit-" not in path.read_text()
