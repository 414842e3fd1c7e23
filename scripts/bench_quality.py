"""Is Arachne's repair real? The held-out protocol over many seeds (not a test: prints figures).

An under-trained `base` CNN (2 epochs) on the built-in digits (40/10/15/35 % split, seed 0: a
large repair split, so that there are many more positives than the 200 Arachne samples);
its repair inputs are split with `repair target`'s code. The weakest label's negatives (the
label with the most misclassified repair inputs) are the target. For each seed 0..N-1,
`repair evaluate --holdout 0.5` holds out half of them (stratified by predicted label), repairs
on the other half with Arachne at its defaults, and measures the repair rate on the repair
half, the fixed share of the held-out half, the break rate on all positives and the test
accuracy change (overall and for the label). Then the same with --num_input_pos_sampled all;
the halves depend on the seed only, so the two settings are compared seed by seed (paired).

Usage: python scripts/bench_quality.py [--seeds 30] [--epochs 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_arachne import prepare  # noqa: E402

from repair.app.holdout_evaluation import evaluate_holdout  # noqa: E402
from repair.core.data import read_split  # noqa: E402
from repair.core.stats import spread  # noqa: E402
from repair.methods import load_method  # noqa: E402
from repair.methods.arachne.config import LocalizeConfig, OptimizeConfig  # noqa: E402
from repair.variability.holdout import METRICS, format_holdout  # noqa: E402

RATIOS = (0.4, 0.1, 0.15, 0.35)  # train, val, test, repair


def weakest_label(data: Path) -> int:
    negatives = read_split(data / "negative" / "repair.h5")
    return int(np.argmax(np.bincount(negatives.labels, minlength=10)))


def run(data: Path, model: Path, target: Path, out: Path, seeds: int, positives) -> dict:
    started = time.perf_counter()
    report = evaluate_holdout(
        method=load_method("Arachne"), model_dir=model, target_data_dir=target,
        positive_inputs_dir=data / "positive", output_dir=out, num_runs=seeds, fraction=0.5,
        localize_options=LocalizeConfig(),
        optimize_options=OptimizeConfig(num_input_pos_sampled=positives),
        test_data=data / "test.h5",
    )  # fmt: skip
    report["wall_time_s"] = time.perf_counter() - started
    return report


def paired_differences(first: dict, second: dict) -> str:
    """Per metric: mean of (second - first) over seeds with its 95 % interval."""
    lines = ["| metric | mean difference (all - 200) | 95% CI |", "|---|---|---|"]
    for key, title in METRICS:
        a = [run[key] for run in first["runs"]]
        b = [run[key] for run in second["runs"]]
        result = spread([y - x for x, y in zip(a, b, strict=True) if x is not None])
        if result is None:
            continue
        interval = "n/a" if result.low is None else f"[{result.low:+.2f}, {result.high:+.2f}]"
        lines.append(f"| {title} | {result.mean:+.2f} | {interval} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        data, model = prepare(workdir, RATIOS, epochs=args.epochs, batch_size=32)
        label = weakest_label(data)
        target = data / "negative" / str(label)
        test = read_split(data / "test.h5")
        negatives = len(read_split(target / "repair.h5"))
        positives_count = len(read_split(data / "positive" / "repair.h5"))
        of_label = int(np.sum(test.labels == label))
        print(f"model: base CNN, {args.epochs} epochs; target: label {label}, {negatives} "
              f"negatives; {positives_count} positives; test: {len(test)} inputs ({of_label} "
              f"of label {label})")  # fmt: skip
        reports = {}
        for positives in (200, "all"):
            report = run(data, model, target, workdir / f"runs_{positives}", args.seeds, positives)
            reports[positives] = report
            times = [r["wall_time_s"] for r in report["runs"]]
            print(f"\n## --num_input_pos_sampled {positives} (test accuracy before: "
                  f"{report['test_accuracy_before']:.2f}%)\n")  # fmt: skip
            print(format_holdout(report))
            print(f"\nwall time: {report['wall_time_s']:.1f} s for {args.seeds} runs "
                  f"(localize + optimize {np.mean(times):.2f} ± {np.std(times, ddof=1):.2f} s "
                  "per run)")  # fmt: skip
        print("\n## all positives against 200 sampled, seed by seed (same halves)\n")
        print(paired_differences(reports[200], reports["all"]))


if __name__ == "__main__":
    main()
