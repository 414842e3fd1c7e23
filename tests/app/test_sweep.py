"""`repair sweep`: the same units under every executor, a sweep without chunks, resume after a
kill, failing units, and a chained sweep equal to the tutorial loop's steps run by hand."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.app.sweeps import FAST, comparable, sweep_args
from tests.conftest import run_ok, run_repair


def test_serial_local_and_ray_give_the_same_units(
    digits_data_dir: Path, digits_model_dir: Path, chunks, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # Ray must leave the real home alone
    units = {}
    for executor in ("serial", "local", "ray"):
        out = tmp_path / executor
        extra = ["--chunks=0", "--seeds=0-1", "--executor", executor, "--workers=2"]
        args = sweep_args(digits_model_dir, digits_data_dir, chunks, out, *extra)
        report = json.loads(run_ok(args).stdout)
        assert (report["units"], report["ran"], report["errors"]) == (2, 2, 0)
        folders = sorted(p.parent for p in out.rglob("unit.json"))
        assert [f.relative_to(out).as_posix() for f in folders] == [
            f"label_{chunks[1]}/chunk_0/seed_0",
            f"label_{chunks[1]}/chunk_0/seed_1",
        ]
        units[executor] = [comparable(folder) for folder in folders]
    assert units["serial"][0]["status"] == "ok" and units["serial"][0]["summary"]["negatives"] > 0
    for executor in ("local", "ray"):
        for ours, theirs in zip(units["serial"], units[executor], strict=True):
            differ = {k: (ours.get(k), theirs.get(k)) for k in ours | theirs
                      if ours.get(k) != theirs.get(k)}  # fmt: skip
            assert not differ, f"serial vs {executor}: {differ}"
    import ray

    assert not ray.is_initialized()


def test_without_chunks_a_sweep_repairs_repair_h5_as_one_chunk_named_all(
    digits_data_dir: Path, digits_model_dir: Path, chunks, tmp_path: Path
) -> None:
    """A first sweep on a data folder where no chunks were made repairs repair.h5 whole."""
    from repair.core.data import inspect_split

    assert not (digits_data_dir / "repairsets").exists()
    out = tmp_path / "sweep"
    label = chunks[1]
    result = run_ok(["sweep", "--model_dir", digits_model_dir, "--data_dir", digits_data_dir,
                     "--labels", str(label), "--seeds=0-1", "--executor=serial",
                     "--output_dir", out, *FAST, "--json"])  # fmt: skip
    report = json.loads(result.stdout)
    assert (report["units"], report["ran"], report["errors"]) == (2, 2, 0)
    assert "repair.h5 as a whole, one chunk 'all'" in result.stderr
    folders = sorted(p.parent.relative_to(out).as_posix() for p in out.rglob("unit.json"))
    assert folders == [f"label_{label}/chunk_all/seed_0", f"label_{label}/chunk_all/seed_1"]
    rows = (out / "sweep.csv").read_text().splitlines()
    assert [row.split(",")[3] for row in rows[1:]] == ["all", "all"]
    unit = json.loads((out / folders[0] / "unit.json").read_text())
    whole = digits_data_dir / "repair.h5"
    assert unit["spec"]["chunk_file"] == str(whole.resolve())
    assert unit["status"] == "ok" and unit["negatives"] > 0
    all_negatives = inspect_split(out / folders[0] / "data" / "negative" / "repair.h5")
    assert all_negatives.num_samples + unit["positives"] == inspect_split(whole).num_samples
    assert [g["chunk"] for g in json.loads((out / "sweep.json").read_text())["groups"]] == ["all"]
    assert (out / "sweep.png").stat().st_size > 0


def test_without_chunks_or_repair_h5_a_sweep_says_what_it_needs(
    digits_data_dir: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(digits_data_dir / "test.h5", data / "test.h5")
    result = run_repair(["sweep", "--model_dir", digits_model_dir, "--data_dir", data,
                         "--labels", "3", "--output_dir", tmp_path / "out"])  # fmt: skip
    assert result.exit_code == 1
    message = result.stderr.strip().splitlines()[-1]
    assert "no chunks <c>/repair.h5" in message and f"no repair.h5 in {data}" in message


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("batch_size = -1", "--batch_size must be a positive integer; got -1"),
        ("batch_size = 0", "--batch_size must be a positive integer; got 0"),
        ("batch_size = nan", "--batch_size must be a positive integer; got nan"),
        ('device = "bogus"', "--device must be auto, cpu, gpu; got 'bogus'"),
        ('seeds = "4294967296"', "--seeds: '4294967296' goes past 4294967295"),
    ],
)
def test_a_bad_value_in_the_spec_is_a_usage_error_before_any_unit(
    digits_data_dir: Path, digits_model_dir: Path, tmp_path: Path, line: str, fragment: str
) -> None:
    """A TOML spec's settings are checked as the options are (today they failed every unit)."""
    spec = tmp_path / "sweep.toml"
    paths = f"model_dir = {json.dumps(str(digits_model_dir))}\n"
    paths += f"data_dir = {json.dumps(str(digits_data_dir))}\n"
    spec.write_text(f"{paths}labels = '3'\n{line}\n")
    result = run_repair(["sweep", "--spec", spec, "--output_dir", tmp_path / "out"])
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and fragment in last, last
    assert not (tmp_path / "out").exists()


def test_a_grid_axis_of_more_values_than_a_sweep_can_hold_is_refused() -> None:
    from repair.app.sweep_spec import MAX_VALUES, parse_int_set
    from repair.errors import ConfigError

    assert len(parse_int_set("--seeds", f"0-{MAX_VALUES - 1}")) == MAX_VALUES
    with pytest.raises(ConfigError, match="--seeds: '0-100000' names more than 100,000 values"):
        parse_int_set("--seeds", f"0-{MAX_VALUES}")


UNIT_FILES = "label_*/chunk_*/seed_*/unit.json"


def test_resume_after_a_kill_runs_only_the_missing_units(
    digits_data_dir: Path, digits_model_dir: Path, chunks, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    extra = ["--chunks=0-1", "--seeds=0-1", "--executor=serial"]
    args = [str(a) for a in sweep_args(digits_model_dir, digits_data_dir, chunks, out, *extra)]
    process = subprocess.Popen(
        [sys.executable, "-m", "repair", *args], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        # Only the unit folders are listed: the hidden staging folders come and go while
        # the sweep writes, and a walk into them can find one gone.
        while not list(out.glob(UNIT_FILES)) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    done = list(out.glob(UNIT_FILES))
    assert 1 <= len(done) < 4, "the kill came too late to leave missing units"
    report = json.loads(run_ok(args).stdout)
    assert (report["units"], report["resumed"], report["ran"]) == (4, len(done), 4 - len(done))
    again = json.loads(run_ok(args).stdout)
    assert (again["resumed"], again["ran"]) == (4, 0)
    # A different method option is a different spec: every unit runs again.
    changed = [a for a in args if a != "--num_iterations=4"] + ["--num_iterations=3"]
    assert json.loads(run_ok(changed).stdout)["ran"] == 4


def test_a_failing_unit_leaves_the_others_complete_and_exits_1(
    digits_data_dir: Path, digits_model_dir: Path, chunks, tmp_path: Path
) -> None:
    broken = tmp_path / "chunks"
    shutil.copytree(chunks[0], broken)
    (broken / "1" / "repair.h5").write_bytes(b"not an HDF5 file")
    out = tmp_path / "sweep"
    args = sweep_args(digits_model_dir, digits_data_dir, (broken, chunks[1]), out,
                      "--chunks=0-1", "--seeds=0", "--executor=serial")  # fmt: skip
    result = run_repair(args)
    assert result.exit_code == 1
    last_line = result.stderr.strip().splitlines()[-1].split("\r")[-1]  # after the bar
    assert last_line.startswith("error: 1 of 2 units failed")
    report = json.loads(result.stdout)
    assert (report["units"], report["errors"]) == (2, 1)
    rows = (out / "sweep.csv").read_text().splitlines()
    assert rows[0].startswith("unit,variant,label,chunk,seed,status,negatives,patched,repair_rate")
    statuses = {row.split(",")[0]: row.split(",")[5] for row in rows[1:]}
    assert statuses[f"label_{chunks[1]}/chunk_0/seed_0"] in ("ok", "skipped")
    assert statuses[f"label_{chunks[1]}/chunk_1/seed_0"] == "error"
    assert "repair.h5" in rows[2]
    summary = json.loads((out / "sweep.json").read_text())
    assert [g["error"] for g in summary["groups"]] == [0, 1]
    assert (out / "sweep.png").stat().st_size > 0


def test_chained_sweep_equals_the_loop_steps_run_by_hand(
    digits_data_dir: Path, digits_model_dir: Path, chunks, tmp_path: Path
) -> None:
    from repair.core.model import load_model

    chunks_dir, label = chunks
    out = tmp_path / "sweep"
    args = sweep_args(digits_model_dir, digits_data_dir, chunks, out, "--chunks=0-2",
                      "--seeds=5", "--chain=chunk", "--executor=serial")  # fmt: skip
    report = json.loads(run_ok(args).stdout)
    assert (report["units"], report["ran"], report["errors"]) == (3, 3, 0)

    model = digits_model_dir  # the bash loop's steps, by hand
    for chunk in range(3):
        work = tmp_path / "by_hand" / str(chunk)
        (work / "data").mkdir(parents=True)
        shutil.copy(chunks_dir / str(chunk) / "repair.h5", work / "data" / "repair.h5")
        run_ok(["target", "--model_dir", model, "--data_dir", work / "data"])
        negatives = work / "data" / "negative" / str(label)
        unit = out / f"label_{label}" / f"chunk_{chunk}" / "seed_5"
        record = json.loads((unit / "unit.json").read_text())
        if not (negatives / "repair.h5").is_file():
            assert record["status"] == "skipped"
            continue
        common = ["--model_dir", model, "--target_data_dir", negatives, "--output_dir", work]
        run_ok(["localize", *common])
        run_ok(["optimize", *common, "--positive_inputs_dir", work / "data" / "positive",
                "--random_state=5", *FAST])  # fmt: skip
        model = work / "repair" / "model.keras"
        assert record["status"] == "ok"
        assert (unit / "weights.csv").read_text() == (work / "weights.csv").read_text()
        ours = load_model(unit / "repair").get_weights()
        theirs = load_model(model).get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))
    assert any((tmp_path / "by_hand" / str(c) / "repair").is_dir() for c in range(3))
