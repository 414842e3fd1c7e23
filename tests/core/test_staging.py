"""The one staging mechanism: what a commit records, keeps and drops, and what recovery touches.
The kill tests of every command are in tests/cli/test_killed_commits.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from repair.core.staging import (
    COMMITTED_MARK,
    manifest_path,
    read_manifest,
    recover,
    staged,
    staging_prefix,
)
from repair.errors import DataFormatError, InputNotFoundError

DEAD_PID = 999_999_999  # above Linux's pid_max: no such process


def _write(stage: Path, *names: str) -> None:
    for name in names:
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_text(name)


def test_retained_files_stay_recorded_and_the_rest_of_the_last_run_goes(tmp_path: Path) -> None:
    with staged(tmp_path, "train-checkpoints") as stage:
        _write(stage, "c/epoch_001.keras", "c/epoch_002.keras", "c/epoch_003.keras")
    (tmp_path / "c" / "mine.keras").write_text("the user's")
    with staged(tmp_path, "train-checkpoints") as stage:  # a new run's first epoch
        _write(stage, "c/epoch_001.keras")
    with staged(tmp_path, "train-checkpoints", retain=["c/epoch_001.keras"]) as stage:
        _write(stage, "c/epoch_002.keras")
    assert sorted(read_manifest(tmp_path, "train-checkpoints")) == [
        "c/epoch_001.keras",
        "c/epoch_002.keras",
    ]
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        "epoch_001.keras",
        "epoch_002.keras",
        "mine.keras",
    ]
    with staged(tmp_path, "train-checkpoints"):  # an empty set: nothing recorded is left
        pass
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["mine.keras"]
    assert not manifest_path(tmp_path, "train-checkpoints").exists()


def test_a_borrowed_file_is_moved_but_never_recorded_nor_dropped(tmp_path: Path) -> None:
    (tmp_path / "weights.csv").write_text("localize's")
    with staged(tmp_path, "optimize", link_inputs=True, borrowed=["weights.csv"]) as stage:
        assert (stage / "weights.csv").read_text() == "localize's"
        (stage / "weights.csv").unlink()  # an atomic rewrite replaces the link
        _write(stage, "weights.csv", "summary.json")
    assert (tmp_path / "weights.csv").read_text() == "weights.csv"
    assert read_manifest(tmp_path, "optimize") == {"summary.json": ""}
    with staged(tmp_path, "optimize", link_inputs=True, borrowed=["weights.csv"]):
        pass
    assert (tmp_path / "weights.csv").is_file() and not (tmp_path / "summary.json").exists()


def test_a_failing_block_leaves_the_old_set_and_names_the_users_folder(tmp_path: Path) -> None:
    with staged(tmp_path, "drift") as stage:
        _write(stage, "drift.json")
    with pytest.raises(InputNotFoundError) as caught, staged(tmp_path, "drift") as stage:
        _write(stage, "drift_labels.csv")
        raise InputNotFoundError(f"{stage / 'x.h5'} not found")
    assert str(caught.value) == f"{tmp_path / 'x.h5'} not found"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".repair-drift.json", "drift.json"]


def test_recovery_touches_only_what_dead_processes_of_the_command_left(tmp_path: Path) -> None:
    dead = tmp_path / f"{staging_prefix('target')}{DEAD_PID}-0123abcd"
    alive = tmp_path / f"{staging_prefix('target')}{os.getpid()}-0123abcd"
    other = tmp_path / f"{staging_prefix('prepare')}{DEAD_PID}-0123abcd"
    for stage in (dead, alive, other):
        _write(stage, "positive/repair.h5")
    dead_tmp = tmp_path / f".repair.tmp-{DEAD_PID}-0123abcd.h5"
    live_tmp = tmp_path / f".repair.tmp-{os.getpid()}-0123abcd.h5"
    users = tmp_path / ".notes.tmp-1-x"
    for path in (dead_tmp, live_tmp, users):
        path.write_text("x")
    recover(tmp_path, "target")
    assert not dead.exists() and not dead_tmp.exists()
    assert alive.is_dir() and other.is_dir() and live_tmp.is_file() and users.is_file()
    assert not (tmp_path / "positive").exists()  # an unmarked stage never reaches the folder


def test_a_marked_stage_is_finished_and_a_foreign_mark_refused(tmp_path: Path) -> None:
    stage = tmp_path / f"{staging_prefix('prepare')}{DEAD_PID}-0123abcd"
    _write(stage, "train.h5")
    (tmp_path / "old.h5").write_text("recorded, dropped by the mark")
    mark = {"version": 1, "command": "prepare", "moves": ["train.h5"], "drops": ["old.h5"]}
    (stage / COMMITTED_MARK).write_text(json.dumps({**mark, "manifest": {"train.h5": "a"}}))
    recover(tmp_path, "prepare")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".repair-prepare.json", "train.h5"]
    assert read_manifest(tmp_path, "prepare") == {"train.h5": "a"}

    _write(stage, "x.h5")
    (stage / COMMITTED_MARK).write_text(
        json.dumps({**mark, "drops": ["../elsewhere"], "manifest": None})
    )
    with pytest.raises(DataFormatError, match="outside"):
        recover(tmp_path, "prepare")
