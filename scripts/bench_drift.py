"""The three-week drift scenario on the demo's digits model, and the time on 10,000 inputs.

    python scripts/bench_drift.py [--output_dir bench-drift] [--size 10000] [--epochs 8]

Prepares the digits and trains the demo's model (as scripts/demo.sh does), writes week 1 (the
test split), week 2 (blurred) and week 3 (darker) beside the splits, runs ``repair drift`` of
each week against train.h5 and prints the figures; then times one run on ``--size`` inputs in
each set (train and week-3 images drawn with replacement, seeded).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from repair.app.drift import run_drift
from repair.core.data import inspect_split, read_split, write_split
from repair.drift.report import DriftSettings
from repair.drift.scenario import scale_brightness, three_weeks


def repair(*args: object) -> None:
    subprocess.run([sys.executable, "-m", "repair", *map(str, args)], check=True)


def prepare(out: Path, epochs: int, seed: int) -> tuple[Path, Path]:
    data, model = out / "data", out / "model"
    if not (data / "train.h5").is_file():
        repair("prepare", "digits", f"--output_dir={data}", "--data_ratio=0.6,0.1,0.15,0.15",
               f"--random_state={seed}")  # fmt: skip
    if not (model / "model.keras").is_file():
        repair("train", "--model=base", f"--data_dir={data}", f"--output_dir={model}",
               f"--epochs={epochs}", f"--random_state={seed}")  # fmt: skip
    return data, model


def write_weeks(data: Path, seed: int) -> list[Path]:
    source = read_split(data / "test.h5")
    info = inspect_split(data / "test.h5")
    paths = []
    for name, images in three_weeks(source.images, seed).items():
        path = data / "weeks" / f"{name}.h5"
        write_split(path, images, source.labels, info.num_classes, info.class_names)
        paths.append(path)
    return paths


def resampled(data: Path, size: int, seed: int) -> tuple[Path, Path]:
    """``size`` train images and ``size`` darker test images, drawn with replacement."""
    rng = np.random.default_rng(seed)
    info = inspect_split(data / "train.h5")
    train, test = read_split(data / "train.h5"), read_split(data / "test.h5")
    pick_a, pick_b = (
        rng.integers(len(train.labels), size=size),
        rng.integers(len(test.labels), size=size),
    )
    darker = scale_brightness(test.images[pick_b], rng.uniform(0.4, 0.6, size=size))
    a, b = data / "big" / "baseline.h5", data / "big" / "current.h5"
    write_split(a, train.images[pick_a], train.labels[pick_a], info.num_classes, info.class_names)
    write_split(b, darker, test.labels[pick_b], info.num_classes, info.class_names)
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output_dir", type=Path, default=Path("bench-drift"))
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--permutations", type=int, default=500)
    parser.add_argument("--random_state", type=int, default=0)
    args = parser.parse_args()
    seed, out = args.random_state, args.output_dir
    data, model = prepare(out, args.epochs, seed)
    settings = DriftSettings(permutations=args.permutations, random_state=seed)
    print("| week | cluster JSD (thr.) | classifier AUC (thr.) | MMD^2 (p) | prediction JSD (thr.) "
          "| drift | labels drifted | repair next |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for path in write_weeks(data, seed):
        run = run_drift(model_dir=model, baseline=data / "train.h5", current=path,
                        settings=settings, output_dir=out / "drift" / path.stem)  # fmt: skip
        t = run.report.tests
        top = run.report.suggestions()
        print(
            f"| {path.stem} | {t['cluster'].score:.3f} ({t['cluster'].threshold:.3f}) "
            f"| {t['classifier'].score:.3f} ({t['classifier'].threshold:.3f}) "
            f"| {t['mmd'].score:.4f} ({t['mmd'].p_value:.3f}) "
            f"| {t['prediction'].score:.3f} ({t['prediction'].threshold:.3f}) "
            f"| {'yes' if run.report.drift else 'no'} | {len(run.report.drifted_labels)} "
            f"| {top[0].label if top else '-'} |"
        )
    baseline, current = resampled(data, args.size, seed)
    start = time.perf_counter()
    run = run_drift(model_dir=model, baseline=baseline, current=current, settings=settings,
                    output_dir=out / "drift" / "big")  # fmt: skip
    total = time.perf_counter() - start
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in run.report.timings.items())
    print(f"{args.size:,} + {args.size:,} inputs: {total:.1f} s in all ({stages})")


if __name__ == "__main__":
    main()
