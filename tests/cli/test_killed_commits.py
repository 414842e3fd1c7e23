"""Every command that writes a set of files, SIGKILLed at seeded random steps of its commit:
after the recovery that the next run (or reader) does first, the folder holds the whole old
set or the whole new one, and nothing of the killed run is left (issue 21)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from repair.core import run_files
from repair.core.data import read_split, write_split
from repair.core.staging import TEMPORARY, manifest_path, recover, staging_prefix
from tests.conftest import run_ok

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the commit killer forks")
KILLS = 6  # steps drawn per commit, besides step 0 (killed before the commit mark)
FAST = ["--num_particles=8", "--num_iterations=3", "--num_input_pos_sampled=40"]


def _state(folder: Path) -> dict[str, str]:
    """Digest of every file under ``folder``, hidden manifests included."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _is_leftover(name: str, command: str) -> bool:
    """A staging folder of ``command`` or a temporary file (what recovery removes)."""
    return name.startswith(staging_prefix(command)) or TEMPORARY.match(name) is not None


def _without_leftovers(state: dict[str, str], command: str) -> dict[str, str]:
    return {
        name: digest
        for name, digest in state.items()
        if not _is_leftover(name.split("/")[0], command)
    }


def _kill_commits(
    tmp_path: Path, args: list[str], commits: str = "1", seed: int = 0
) -> dict[int, Path]:
    snapshots = tmp_path / "snapshots"
    command = [sys.executable, "-m", "tests.commit_killer", str(snapshots), commits, str(seed)]
    command += [str(KILLS), "--", *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return {int(n): snapshots / n for n in commits.split(",")}


def _check_each_kill(root: Path, command: str, read=None) -> None:  # noqa: ANN001
    """Recover every killed copy (or ``read`` it, a reader that recovers) and compare."""
    old = _without_leftovers(_state(root / "before"), command)
    new = _state(root / "after")
    assert old != new, "the new set must differ from the old one, or the test proves nothing"
    recorded = json.loads(manifest_path(root / "after", command).read_text())["files"]
    assert all((root / "after" / name).is_file() for name in recorded)
    killed = sorted(root.glob("killed-*"), key=lambda p: int(p.name.split("-")[1]))
    assert len(killed) == KILLS + 1, "the commit has too few steps to draw from"
    for folder in killed:
        step = int(folder.name.split("-")[1])
        (read or (lambda f: recover(f, command)))(folder)
        leftovers = [p for p in folder.rglob("*") if _is_leftover(p.name, command)]
        assert not leftovers, f"killed after step {step}: {leftovers} left"
        # Step 1 is the rename of the commit mark: before it the old set stays, from it on the
        # new one is finished.
        assert _state(folder) == (old if step == 0 else new), f"killed after step {step}"


def test_prepare_killed_in_its_commit(tmp_path: Path) -> None:
    out = tmp_path / "data"
    run_ok(["prepare", "digits", "--output_dir", out, "--data_ratio=0.5,0.2,0.2,0.1"])
    roots = _kill_commits(
        tmp_path, ["prepare", "digits", "--output_dir", out, "--data_ratio=0.6,0.2,0.2,0"]
    )
    assert "repair.h5" in _state(roots[1] / "before")
    assert "repair.h5" not in _state(roots[1] / "after")  # dropped: the ratio 0 split
    _check_each_kill(roots[1], "prepare")


def test_target_killed_in_its_commit(
    digits_workdir: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    data = digits_workdir
    run_ok(["target", "--model_dir", digits_model_dir, "--data_dir", data])
    source = read_split(data / "repair.h5")
    write_split(data / "few.h5", source.images[:40], source.labels[:40], num_classes=10)
    roots = _kill_commits(
        tmp_path,
        ["target", "--model_dir", digits_model_dir, "--data_dir", data, "--target_data=few.h5"],
    )
    _check_each_kill(roots[1], "target")


def test_optimize_killed_in_its_commit_is_finished_by_the_next_reader(
    digits_workdir: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    data = digits_workdir
    run_ok(["target", "--model_dir", digits_model_dir, "--data_dir", data])
    negatives = max(
        (p for p in (data / "negative").iterdir() if p.is_dir()),
        key=lambda p: len(read_split(p / "repair.h5")),
    )
    out = tmp_path / "run"
    common = ["--model_dir", digits_model_dir, "--target_data_dir", negatives]
    common += ["--output_dir", out, "--positive_inputs_dir", data / "positive", *FAST]
    run_ok(["localize", *common[:6]])
    run_ok(["optimize", *common, "--random_state=1"])
    roots = _kill_commits(tmp_path, ["optimize", *common, "--random_state=2"])
    _check_each_kill(roots[1], "optimize", read=run_files.read_summary)


def test_drift_killed_in_its_commit(
    digits_data_dir: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    source = read_split(digits_data_dir / "test.h5")
    write_split(tmp_path / "now.h5", np.clip(source.images * 0.6, 0, 1), source.labels, 10)
    out = tmp_path / "drift"
    args = ["drift", "--model_dir", digits_model_dir, "--baseline", digits_data_dir / "val.h5"]
    args += ["--current", tmp_path / "now.h5", "--permutations=20", "--output_dir", out]
    run_ok([*args, "--methods=prediction,cluster"])
    assert (out / "drift_clusters.csv").is_file()
    roots = _kill_commits(tmp_path, [*args, "--methods=prediction"])
    assert "drift_clusters.csv" not in _state(roots[1] / "after")  # dropped: no cluster method
    _check_each_kill(roots[1], "drift")


def test_train_checkpoints_killed_in_their_commits(digits_data_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    train = read_split(digits_data_dir / "train.h5")
    write_split(data / "train.h5", train.images[:64], train.labels[:64], num_classes=10)
    out = tmp_path / "model"
    base = ["train", "--data_dir", data, "--output_dir", out, "--batch_size=32", "--epochs=3"]
    run_ok([*base, "--checkpoints=every", "--random_state=1"])
    # The first commit replaces the last run's three checkpoints, the third drops epoch 1, the
    # fourth is the model and its training log.
    roots = _kill_commits(tmp_path, [*base, "--checkpoints=last", "--random_state=2"], "1,3,4")
    assert sorted(_state(roots[3] / "after")) == [
        ".repair-train-checkpoints.json", ".repair-train.json", "checkpoints/epoch_002.keras",
        "checkpoints/epoch_003.keras", "model.keras", "training_log.csv",
    ]  # fmt: skip
    for commit, command in ((1, "train-checkpoints"), (3, "train-checkpoints"), (4, "train")):
        _check_each_kill(roots[commit], command)
