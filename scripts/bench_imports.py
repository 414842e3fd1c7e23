"""Start-up cost of the commands that need no model (not a test: prints figures).

Each command of tests/cli/model_free.py (the one list tests/cli/test_no_tensorflow.py checks)
runs as `python -m repair ...` on the same small real inputs, --runs times; the table gives
its median wall time beside `repair --help`'s, and, for scale, the median time of importing
TensorFlow and Keras alone (what each of these commands would pay if it imported them).

Usage: python scripts/bench_imports.py [--runs 5]
Pin to two cores with `taskset -c 0,1 python scripts/bench_imports.py`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.cli.model_free import COMMANDS, make_inputs  # noqa: E402


def median_seconds(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        digits = Path(scratch) / "digits"
        repair = [sys.executable, "-m", "repair"]
        prepare = [*repair, "prepare", "digits", f"--output_dir={digits}"]
        subprocess.run(prepare, check=True, capture_output=True)
        inputs = make_inputs(Path(scratch) / "inputs", digits)
        help_time = median_seconds([*repair, "--help"], inputs, args.runs)
        tf_code = "import repair.core.tf"
        tf_time = median_seconds([sys.executable, "-c", tf_code], inputs, args.runs)
        print(f"median of {args.runs} runs; `repair --help`: {help_time:.2f} s")
        print(f"importing TensorFlow and Keras alone: {tf_time:.2f} s\n")
        print(f"| {'command':<28} | median (s) | minus --help (s) |")
        print(f"|{'-' * 30}|-----------:|-----------------:|")
        for name, (command, _) in COMMANDS.items():
            seconds = median_seconds([*repair, *command], inputs, args.runs)
            print(f"| {name:<28} | {seconds:10.2f} | {seconds - help_time:16.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
