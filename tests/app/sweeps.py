"""Helpers of the sweep tests: the command line of a small sweep, and a unit's files without
the times, paths and node that differ from one executor to another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
