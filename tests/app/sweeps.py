"""Helpers of the sweep and cluster tests: the command line of a small sweep, a unit's files
without the times, paths and node that differ from one executor to another, `repair` as its own
process, and a worker node killed while it runs a task."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

FAST = ["--num_particles=8", "--num_iterations=4", "--num_input_pos_sampled=50"]
TIMES_AND_PATHS = {"wall_time_s", "kept_model", "start_model", "resumed", "folder", "node"}


def sweep_args(model: Path, data: Path, chunks: tuple[Path, int], out: Path, *extra) -> list:
    return ["sweep", "--model_dir", model, "--data_dir", data, "--chunks_dir", chunks[0],
            "--labels", str(chunks[1]), "--output_dir", out, *FAST, "--json", *extra]  # fmt: skip


def comparable(folder: Path) -> dict:
    """unit.json and summary.json of a unit without times and paths."""
    unit = {k: v for k, v in json.loads((folder / "unit.json").read_text()).items()
            if k not in TIMES_AND_PATHS}  # fmt: skip
    unit["spec"] = {k: v for k, v in unit["spec"].items() if k not in ("model", "chunk_file",
                    "test_data")}  # fmt: skip
    if (folder / "summary.json").is_file():
        summary = json.loads((folder / "summary.json").read_text())
        unit["summary"] = {k: v for k, v in summary.items() if not k.endswith(("_dir", "_s"))
                           and k != "repaired_model"}  # fmt: skip
    return unit


def repair_process(args: list, home: Path) -> subprocess.Popen:
    """`repair ARGS` in a process of its own, as a user's shell starts it (HOME: ``home``)."""
    env = {**os.environ, "HOME": str(home), "TQDM_DISABLE": "1"}
    command = [sys.executable, "-m", "repair", *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True)  # fmt: skip


def finish(process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout)


def running_tasks(raylet_pid: int) -> int:
    """Worker processes of that raylet running a sweep unit or an evaluate run now (Ray names
    them after the task)."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            continue
        parent = next(
            (line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), ""
        )
        count += parent == str(raylet_pid) and title.startswith("ray::_run_in_worker")
    return count


def kill_node_mid_task(cluster, victim, process: subprocess.Popen) -> None:
    """SIGKILL ``victim``'s raylet and workers once a task of ``process`` (a `repair` driver)
    has run on it for a second: past the attempt's first step, well before its end."""
    raylet = victim.all_processes["raylet"][0].process.pid
    deadline = time.monotonic() + 180
    while not running_tasks(raylet):  # wait until a task runs on the victim
        assert process.poll() is None and time.monotonic() < deadline, "no task on the victim"
        time.sleep(0.05)
    time.sleep(1.0)
    cluster.remove_node(victim, allow_graceful=False)
