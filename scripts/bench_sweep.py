"""How much `repair sweep` saves over one command per repair (not a test: prints figures).

Data: the built-in digits, the `base` CNN trained briefly, the repair set cut into chunks of
`--chunk_size` by `repair utils split_dataset`; the label with the most misclassified inputs in
chunk 0 is repaired. Every timing is a whole command run as a subprocess, start-up included.

1. 30 seeds of one label: `repair sweep --seeds 0-29` (target, localize, optimize and test per
   unit) against `repair localize` once and 30 `repair optimize --random_state s` one after the
   other, as a bash loop runs them (goal: sweep >= 5x faster).
2. 8 heavier units (a chunk of 500 inputs, `--heavy_particles` x `--heavy_iterations`, no early
   stop; goal: >= 10 s each): `--workers 2` against `--workers 1` (goal: >= 1.7x).
3. The same 8 units on Ray with 2 CPUs against the local pool of 2 (goal: within 1.3x).

The figures depend on the machine being idle: other work on the cores distorts the ratios.

Usage: python scripts/bench_sweep.py [--workdir DIR] [--seeds 30] [--heavy_units 8] ...
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

REPAIR = [sys.executable, "-m", "repair"]
BIG_CHUNKS = "repairsets_big"  # one chunk of 500 inputs: the heavier units of parts 2 and 3


def run(args: list, **kwargs) -> subprocess.CompletedProcess:
    """Run ``repair ARGS``; stop the benchmark with its stderr if it fails."""
    result = subprocess.run(
        [*REPAIR, *map(str, args)], capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode != 0:
        sys.exit(f"repair {' '.join(map(str, args))} failed:\n{result.stderr[-2000:]}")
    return result


def timed(args: list) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = run(args)
    return time.perf_counter() - started, result


def prepare(workdir: Path, chunk_size: int) -> tuple[Path, Path, int]:
    """Data folder with chunks, the model, and the label to repair."""
    data, model = workdir / "data", workdir / "model"
    if not (model / "model.keras").is_file():
        run(["prepare", "digits", "--output_dir", data, "--data_ratio=0.5,0.1,0.1,0.3"])
        run(["train", "--data_dir", data, "--output_dir", model, "--epochs=2"])
        run(["utils", "split_dataset", "--input", data / "repair.h5",
             f"--chunk_size={chunk_size}", "--num_chunks=2"])  # fmt: skip
        run(["utils", "split_dataset", "--input", data / "repair.h5", "--chunk_size=500",
             "--num_chunks=1", "--output_dir", data / BIG_CHUNKS])  # fmt: skip
    probe = workdir / "probe"
    shutil.rmtree(probe, ignore_errors=True)
    probe.mkdir()
    shutil.copy(data / "repairsets" / "0" / "repair.h5", probe / "repair.h5")
    counts = json.loads(run(["target", "--model_dir", model, "--data_dir", probe, "--json"]).stdout)
    label = max(counts["labels"], key=lambda row: row["negative"])
    print(f"data: {data}; model: {model}; label {label['label']} has {label['negative']} "
          f"misclassified inputs in chunk 0 ({counts['total']} inputs)")  # fmt: skip
    return data, model, int(label["label"])


def sweep(data: Path, model: Path, label: int, out: Path, *extra) -> tuple[float, dict]:
    shutil.rmtree(out, ignore_errors=True)
    seconds, result = timed(["sweep", "--model_dir", model, "--data_dir", data,
                             "--labels", label, "--chunks=0", "--output_dir", out, "--json",
                             *extra])  # fmt: skip
    return seconds, json.loads(result.stdout)


def unit_times(out: Path) -> list[float]:
    return [json.loads(p.read_text())["wall_time_s"] for p in out.rglob("unit.json")]


def seeds_vs_commands(workdir: Path, data, model, label, seeds: int, options: list) -> None:
    print(f"\n# 1. {seeds} seeds of label {label}: one sweep vs {seeds} optimize commands")
    loop = workdir / "loop"
    shutil.rmtree(loop, ignore_errors=True)
    (loop / "data").mkdir(parents=True)
    shutil.copy(data / "repairsets" / "0" / "repair.h5", loop / "data" / "repair.h5")
    run(["target", "--model_dir", model, "--data_dir", loop / "data"])
    common = ["--model_dir", model, "--target_data_dir", loop / "data" / "negative" / str(label),
              "--output_dir", loop]  # fmt: skip
    run(["localize", *common])
    started = time.perf_counter()
    for seed in range(seeds):
        run(["optimize", *common, "--positive_inputs_dir", loop / "data" / "positive",
             f"--random_state={seed}", *options])  # fmt: skip
    loop_s = time.perf_counter() - started
    sweep_s, report = sweep(data, model, label, workdir / "seeds", f"--seeds=0-{seeds - 1}",
                            *options)  # fmt: skip
    assert report["units"] == seeds and report["errors"] == 0, report
    print(f"{seeds} `repair optimize` commands, one after the other: {loop_s:.1f} s "
          f"({loop_s / seeds:.2f} s each)")  # fmt: skip
    print(f"`repair sweep --seeds 0-{seeds - 1}` (local pool, target+localize+optimize+test per "
          f"unit): {sweep_s:.1f} s")  # fmt: skip
    print(f"speed-up: {loop_s / sweep_s:.1f}x (goal: >= 5x)")


def workers_and_ray(workdir: Path, data, model, label, units: int, heavy: list) -> None:
    seeds = f"--seeds=0-{units - 1}"
    heavy = [*heavy, "--chunks_dir", data / BIG_CHUNKS]
    print(f"\n# 2. {units} heavier units ({' '.join(map(str, heavy))}): --workers 2 vs 1")
    one_s, _ = sweep(data, model, label, workdir / "w1", seeds, "--workers=1", *heavy)
    per_unit = unit_times(workdir / "w1")
    two_s, _ = sweep(data, model, label, workdir / "w2", seeds, "--workers=2", *heavy)
    print(f"units with one worker: {min(per_unit):.1f} to {max(per_unit):.1f} s each "
          f"(goal: >= 10 s)")  # fmt: skip
    print(f"--workers 1: {one_s:.1f} s; --workers 2: {two_s:.1f} s; "
          f"speed-up {one_s / two_s:.2f}x (goal: >= 1.7x)")  # fmt: skip
    print(f"\n# 3. the same {units} units on Ray with 2 CPUs vs the local pool of 2")
    home = Path(tempfile.mkdtemp(prefix="bench-ray-home-"))
    os.environ["HOME"] = str(home)  # Ray keeps its token in ~/.ray: not the user's home
    ray_s, _ = sweep(data, model, label, workdir / "ray", seeds, "--workers=2",
                     "--executor=ray", *heavy)  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)
    print(f"ray: {ray_s:.1f} s; local: {two_s:.1f} s; ratio {ray_s / two_s:.2f} "
          f"(goal: <= 1.3)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--chunk_size", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--particles", type=int, default=20, help="part 1's swarm size")
    parser.add_argument("--iterations", type=int, default=20, help="part 1's swarm iterations")
    parser.add_argument("--heavy_units", type=int, default=8)
    parser.add_argument("--heavy_particles", type=int, default=100)
    parser.add_argument("--heavy_iterations", type=int, default=2000)
    parser.add_argument("--skip", default="", help="parts to skip, e.g. 1 or 2,3")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    print(f"work dir: {workdir}; cores: {len(os.sched_getaffinity(0))}; "
          f"load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
    data, model, label = prepare(workdir, args.chunk_size)
    skip = set(args.skip.split(","))
    options = [f"--num_particles={args.particles}", f"--num_iterations={args.iterations}"]
    if "1" not in skip:
        seeds_vs_commands(workdir, data, model, label, args.seeds, options)
    heavy = [f"--num_particles={args.heavy_particles}",
             f"--num_iterations={args.heavy_iterations}",
             f"--min_iteration_range={args.heavy_iterations}"]  # fmt: skip
    if "2" not in skip:
        workers_and_ray(workdir, data, model, label, args.heavy_units, heavy)
    print(f"\nload average after: {os.getloadavg()[0]:.1f} (2 or more on 2 cores: the machine "
          "was shared and the ratios are distorted)")  # fmt: skip


if __name__ == "__main__":
    main()
