"""The same sweep on a Ray cluster of 1 and of 2 worker nodes (not a test: prints figures).

A real Ray cluster is started on this machine for each size (``ray.cluster_utils.Cluster``: a
head without CPUs, N worker nodes of one CPU each) and ``repair sweep --executor ray --address``
runs as a separate process against it: `--units` units (seeds of one label on chunk 0, the data
and model of scripts/bench_sweep.py). Printed: wall time, the bytes the driver put into the
object store, the nodes the units ran on, and the speed-up of 2 nodes over 1. Simulated nodes
share this machine's cores, so the speed-up is bounded by them (2 cores here: at most 2x).

Usage: python scripts/bench_sweep_cluster.py [--workdir DIR] [--units 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sweep import REPAIR, prepare  # noqa: E402

FAST = ["--num_particles=20", "--num_iterations=10", "--num_input_pos_sampled=100"]


def on_cluster(nodes: int, args: list, home: Path) -> tuple[float, dict, set[str]]:
    from ray.cluster_utils import Cluster

    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "include_dashboard": False, "temp_dir": temp},
    )
    try:
        for _ in range(nodes):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        env = {**os.environ, "HOME": str(home), "TQDM_DISABLE": "1"}
        command = [*REPAIR, *map(str, args), "--address", cluster.address]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"sweep on {nodes} nodes failed:\n{result.stderr[-2000:]}")
    finally:
        cluster.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    out = Path(args[args.index("--output_dir") + 1])
    used = {json.loads(p.read_text())["node"] for p in out.rglob("unit.json")}
    return seconds, json.loads(result.stdout), used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--units", type=int, default=30)
    options = parser.parse_args()
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="bench-sweep-cluster-"))
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "home"  # Ray writes into HOME: keep it out of the user's
    home.mkdir(exist_ok=True)
    os.environ["HOME"] = str(home)
    data, model, label = prepare(workdir, chunk_size=200)
    times = {}
    for nodes in (1, 2):
        out = workdir / f"nodes{nodes}"
        shutil.rmtree(out, ignore_errors=True)
        args = ["sweep", "--model_dir", model, "--data_dir", data, "--labels", label,
                "--chunks=0", f"--seeds=0-{options.units - 1}", "--executor=ray",
                "--output_dir", out, "--json", *FAST]  # fmt: skip
        seconds, report, used = on_cluster(nodes, args, home)
        assert report["units"] == options.units and report["errors"] == 0, report
        times[nodes] = seconds
        print(f"{nodes} worker node(s): {options.units} units in {seconds:.1f} s; "
              f"{report['object_store_bytes']:,} bytes through the object store; units ran on "
              f"{len(used)} node(s); retried {report['retried']}")  # fmt: skip
    print(f"speed-up of 2 nodes over 1: {times[1] / times[2]:.2f}x (bounded by the cores)")


if __name__ == "__main__":
    main()
