"""Run ``repair ARGS`` and kill the commit of its staged file sets at seeded random steps.

``python -m tests.commit_killer SNAPSHOTS COMMITS SEED KILLS -- ARGS...``: at the n-th commit of
this process (n in the comma-separated COMMITS) the output folder is copied to
``SNAPSHOTS/<n>/before``; a forked child runs the commit and counts its file-system steps
(renames, unlinks, mkdir, rmdir); then for step 0 and KILLS more steps k drawn from SEED, a child
runs the commit and SIGKILLs itself right after its k-th step, its folder is copied to
``SNAPSHOTS/<n>/killed-<k>`` and the folder is put back. The commit then runs for real and the
result goes to ``SNAPSHOTS/<n>/after``. Children do nothing but file operations, so forking a
process that has TensorFlow loaded is safe here.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

import numpy as np

from repair.core import staging

STEPS = ("replace", "unlink", "mkdir", "rmdir")
CHILD_TIMEOUT_S = 60
COMMIT_ARGS: tuple = ()  # the commit a forked child runs
REAL_COMMIT: list = []  # staging._commit before it was replaced: what the children run


def _count_steps(kill_after: int | None, counter: Path) -> None:
    """In the child: count the steps (and die after the ``kill_after``-th)."""
    done = 0
    if kill_after == 0:
        os.kill(os.getpid(), signal.SIGKILL)

    def counted(function):  # noqa: ANN001, ANN202
        def step(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            nonlocal done
            result = function(*args, **kwargs)
            done += 1
            if done == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return step

    for name in STEPS:
        setattr(os, name, counted(getattr(os, name)))
    REAL_COMMIT[0](*COMMIT_ARGS)
    counter.write_text(str(done))


def _in_child(kill_after: int | None, counter: Path) -> None:
    pid = os.fork()
    if pid == 0:
        try:
            _count_steps(kill_after, counter)
        finally:
            os._exit(0)
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise RuntimeError(f"the commit child (kill after step {kill_after}) hung")
        time.sleep(0.01)


def _restore(saved: Path, folder: Path) -> None:
    shutil.rmtree(folder)
    shutil.copytree(saved, folder, symlinks=True)


def main(snapshots: Path, commits: set[int], seed: int, kills: int, args: list[str]) -> None:
    real_commit = staging._commit
    REAL_COMMIT.append(real_commit)
    rng = np.random.default_rng(seed)
    seen = 0

    def forking_commit(stage: Path, folder: Path, plan: staging.Plan) -> None:
        global COMMIT_ARGS  # noqa: PLW0603 (read by the forked child)
        nonlocal seen
        seen += 1
        if seen in commits:
            root = snapshots / str(seen)
            root.mkdir(parents=True)
            shutil.copytree(folder, root / "before", symlinks=True)
            COMMIT_ARGS = (stage, folder, plan)
            counter = root / "steps"
            _in_child(None, counter)
            total = int(counter.read_text())
            _restore(root / "before", folder)
            drawn = rng.choice(np.arange(1, total + 1), size=min(kills, total), replace=False)
            for k in [0, *sorted(int(k) for k in drawn)]:
                _in_child(k, root / "unused")
                shutil.copytree(folder, root / f"killed-{k}", symlinks=True)
                _restore(root / "before", folder)
        real_commit(stage, folder, plan)
        if seen in commits:
            shutil.copytree(folder, snapshots / str(seen) / "after", symlinks=True)

    staging._commit = forking_commit
    from repair.cli.main import main as repair_main

    sys.argv = ["repair", *args]
    repair_main()


if __name__ == "__main__":
    separator = sys.argv.index("--")
    snapshots_arg, commits_arg, seed_arg, kills_arg = sys.argv[1:separator]
    main(
        Path(snapshots_arg),
        {int(n) for n in commits_arg.split(",")},
        int(seed_arg),
        int(kills_arg),
        sys.argv[separator + 1 :],
    )
