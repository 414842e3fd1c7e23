"""prepare and target replace only what they wrote, swap a whole set in at once, and clean up
after a killed run (issue 9, data safety)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split, write_split
from repair.datasets.digits import DigitsDataset, DigitsOptions
from repair.datasets.packing import pack_dataset
from tests.conftest import run_ok

SPLIT_FILES = ("train.h5", "val.h5", "test.h5", "repair.h5")


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _manifest(folder: Path, command: str) -> list[str]:
    return json.loads((folder / f".repair-{command}.json").read_text())["files"]


def test_target_rerun_deletes_only_the_files_it_recorded(
    digits_workdir: Path, digits_model_dir: Path
) -> None:
    data = digits_workdir
    run_ok(["target", "--model_dir", digits_model_dir, "--data_dir", data])
    first = set(_manifest(data, "target"))
    assert "positive/repair.h5" in first and "negative/labels.json" in first
    assert first == {
        p.relative_to(data).as_posix()
        for p in data.rglob("*")
        if p.is_file() and p.parts[len(data.parts)] in ("positive", "negative")
    }
    users = data / "negative" / "12" / "repair.h5"
    chunk = data / "positive" / "10" / "repair.h5"
    source = read_split(data / "repair.h5")
    for path in (users, chunk):
        write_split(path, source.images[:3], source.labels[:3], num_classes=10)
    dead = _dead_pid()
    stale_staging = data / f".target-staging-{dead}"
    (stale_staging / "positive").mkdir(parents=True)
    (stale_staging / "positive" / "repair.h5").write_text("half-written")
    stale_tmp = data / f".repair.tmp-{dead}-0123abcd.h5"
    stale_tmp.write_text("half-written")
    own_hidden = data / ".my-notes.tmp"
    own_hidden.write_text("the user's")

    few = np.arange(40)
    write_split(data / "few.h5", source.images[few], source.labels[few], num_classes=10)
    run_ok(["target", "--model_dir", digits_model_dir, "--data_dir", data, "--target_data=few.h5"])

    second = set(_manifest(data, "target"))
    assert first - second, "the smaller set should drop some of the first run's files"
    for relative in first - second:
        assert not (data / relative).exists(), relative
    for relative in second:
        assert (data / relative).is_file(), relative
    assert len(read_split(users)) == len(read_split(chunk)) == 3
    assert not stale_staging.exists() and not stale_tmp.exists()
    assert own_hidden.read_text() == "the user's"
    assert not list(data.glob(".target-staging-*"))


def _prepare(folder: Path, ratio: str, *extra: str) -> None:
    run_ok(
        ["prepare", "digits", "--output_dir", folder, f"--data_ratio={ratio}", "--random_state=1"]
        + list(extra)
    )


def test_prepare_rerun_with_a_zero_ratio_removes_only_its_own_earlier_split(
    tmp_path: Path,
) -> None:
    out = tmp_path / "data"
    _prepare(out, "0.5,0.2,0.2,0.1")
    assert sorted(_manifest(out, "prepare")) == sorted(SPLIT_FILES)
    (out / "notes.h5").write_text("the user's")
    _prepare(out, "0.6,0.2,0.2,0")
    assert not (out / "repair.h5").exists()
    assert sorted(_manifest(out, "prepare")) == ["test.h5", "train.h5", "val.h5"]
    assert len(read_split(out / "train.h5")) == round(0.6 * 1797)
    assert (out / "notes.h5").read_text() == "the user's"

    other = tmp_path / "legacy"
    other.mkdir()
    (other / "repair.h5").write_text("not written by prepare: no record of it")
    _prepare(other, "0.6,0.2,0.2,0")
    assert (other / "repair.h5").read_text() == "not written by prepare: no record of it"


def test_prepare_failing_midway_leaves_the_previous_set_whole(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "data"
    _prepare(out, "0.6,0.1,0.15,0.15")
    before = _digests(out)
    calls = {"n": 0}
    load = DigitsDataset.load

    def failing_load(self: DigitsDataset, positions: np.ndarray) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 4:  # train.h5 (3 chunks of 512) is complete; val.h5 is being written
            raise KeyboardInterrupt
        return load(self, positions)

    monkeypatch.setattr(DigitsDataset, "load", failing_load)
    with pytest.raises(KeyboardInterrupt):
        pack_dataset(DigitsDataset(None, DigitsOptions()), out, [0.7, 0.1, 0.1, 0.1], seed=9)
    assert _digests(out) == before
    assert not list(out.glob(".*staging*"))


def test_prepare_killed_midway_mixes_no_splits_and_the_next_run_cleans_up(
    tmp_path: Path,
) -> None:
    out = tmp_path / "data"
    _prepare(out, "0.6,0.1,0.15,0.15")
    before = _digests(out)
    command = [sys.executable, "-m", "repair", "prepare", "digits", "--output_dir", str(out)]
    command += ["--data_ratio=0.7,0.1,0.1,0.1", "--random_state=5", "--image_size=48", "--rgb"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob(f".prepare-staging-{process.pid}-*/train.h5")):
        assert process.poll() is None, "prepare ended before it reached its second split"
        assert time.monotonic() < deadline, "prepare did not reach its second split"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    (staging,) = out.glob(f".prepare-staging-{process.pid}-*")
    assert staging.is_dir(), "killed while writing: its staging folder stays behind"
    assert {k: v for k, v in _digests(out).items() if not k.startswith(".prepare-")} == before

    _prepare(out, "0.5,0.5,0,0")
    assert not staging.exists()
    assert sorted(p.name for p in out.iterdir()) == [".repair-prepare.json", "train.h5", "val.h5"]


def test_commit_keeps_files_recorded_from_another_source(tmp_path: Path) -> None:
    """The tutorial prepares train/val/test from one folder and repair.h5 from another into the
    same data folder: the second run must not take the first one's splits for its own."""
    from repair.core.staging import read_manifest, staged

    out = tmp_path / "data"
    for source, names in (("a", ["train.h5", "val.h5"]), ("b", ["repair.h5"])):
        with staged(out, "prepare", source=source) as staging:
            for name in names:
                (staging / name).write_text(source)
    assert read_manifest(out, "prepare") == {"train.h5": "a", "val.h5": "a", "repair.h5": "b"}
    with staged(out, "prepare", source="a") as staging:
        (staging / "train.h5").write_text("a2")
    names = sorted(p.name for p in out.iterdir())
    assert names == [".repair-prepare.json", "repair.h5", "train.h5"]
    assert (out / "repair.h5").read_text() == "b" and (out / "train.h5").read_text() == "a2"
