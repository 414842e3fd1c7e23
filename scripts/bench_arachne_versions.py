"""Quality of Arachne's versions on an under-trained digits CNN (not a test: prints a table).

Configurations: v1 (the paper's defaults), tosem (bidirectional localizer over every Dense and
Conv2D layer, DE, the journal's fitness), v1 with ``--protect=overall>=+0`` checked on val.h5,
and NeuRecover (from the last two training checkpoints; it repairs only the degraded inputs
among the negatives, so its repair rate is over all negatives given). Two protocols, each over
``--seeds`` seeds (mean and sample std):

- weakest label: repair every negative of the label with the lowest test accuracy;
- journal: the most frequent misclassification (true, predicted) of the repair set, split in
  two halves by the seed; repair one half, measure how much of the other half is fixed;
- all negatives (NeuRecover repairs the degraded inputs among them); "test label change" is
  then meaningless and printed as 0.

Measured on data the repair did not see: test.h5 accuracy (overall and the repaired label)
before and after; plus repair rate (negatives searched on), break rate (all positives) and the
held-out half's fix rate for the journal protocol, and the wall time of localize + optimize.

Usage: python scripts/bench_arachne_versions.py [--seeds 5] [--iterations 100] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from bench_arachne import prepare  # the same data and model, with its checkpoints

from repair.app.runner import localize, optimize
from repair.core.data import read_split, write_split
from repair.core.model import load_model, predict_scores
from repair.errors import RepairError
from repair.methods.arachne.config import LocalizeConfig, OptimizeConfig
from repair.methods.arachne.method import Arachne
from repair.methods.neurecover.config import NeuRecoverLocalizeConfig, NeuRecoverOptimizeConfig
from repair.methods.neurecover.method import NeuRecover

RATIOS = (0.3, 0.1, 0.3, 0.3)  # train, val, test, repair: a weak model, enough test data


def configurations(iterations: int, val: Path) -> dict[str, tuple]:
    """Per name: (method, localize options, optimize options)."""
    return {
        "v1": (Arachne, LocalizeConfig(), OptimizeConfig(num_iterations=iterations)),
        "tosem": (
            Arachne,
            LocalizeConfig(version="tosem"),
            OptimizeConfig(version="tosem", num_iterations=iterations),
        ),
        "v1 --protect": (
            Arachne,
            LocalizeConfig(),
            OptimizeConfig(
                num_iterations=iterations, protect="overall>=+0", validation_data=str(val)
            ),
        ),
        "neurecover": (
            NeuRecover,
            NeuRecoverLocalizeConfig(),
            NeuRecoverOptimizeConfig(num_iterations=iterations),
        ),
    }


def correct(model_dir: Path, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.argmax(predict_scores(load_model(model_dir), images), axis=1) == labels


def one_run(name, configs, model_dir, target, data, out, seed, test, label, held_out) -> dict:
    """One repair's row, or None when the method cannot run (NeuRecover: no regression)."""
    method, localize_options, optimize_options = configs[name]
    started = time.perf_counter()
    try:
        localize(
            method=method, model_dir=model_dir, target_data_dir=target, output_dir=out,
        options=localize_options, positive_inputs_dir=data / "positive", seed=seed,
        )  # fmt: skip
    except RepairError as error:
        print(f"{name}, seed {seed}: {error}")
        return None
    summary = optimize(
        method=method, model_dir=model_dir, target_data_dir=target,
        positive_inputs_dir=data / "positive", output_dir=out, options=optimize_options, seed=seed,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    before, after = correct(model_dir, *test), correct(out / "repair", *test)
    of_label = test[1] == label
    row = {
        "repair rate": summary["repair_rate"],
        "break rate": summary["break_rate"],
        "test overall change": 100.0 * (after.mean() - before.mean()),
        "test label change": (
            100.0 * (after[of_label].mean() - before[of_label].mean()) if of_label.any() else 0.0
        ),
        "time s": seconds,
    }
    if held_out is not None:
        row["held-out fixed %"] = 100.0 * correct(out / "repair", *held_out).mean()
    return row


def print_table(title: str, results: dict[str, list[dict]]) -> None:
    columns = list(next(row for rows in results.values() for row in rows if row is not None))
    print(f"\n## {title}\n")
    print("| configuration | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, found in results.items():
        rows = [row for row in found if row is not None]
        if not rows:
            print(f"| {name} | " + " | ".join("n/a" for _ in columns) + " |")
            continue
        cells = []
        for column in columns:
            values = [row[column] for row in rows]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.2f} ± {spread:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-versions-"))
    data, model_dir = prepare(workdir, RATIOS, args.epochs, batch_size=32)
    test_split = read_split(data / "test.h5")
    test = (test_split.images, test_split.labels)
    before = correct(model_dir, *test)
    per_label = [before[test[1] == k].mean() for k in range(10)]
    print(f"work dir: {workdir}; test accuracy {100 * before.mean():.2f}%, seeds {args.seeds}, "
          f"{args.iterations} iterations")  # fmt: skip
    configs = configurations(args.iterations, data / "val.h5")

    present = [k for k in range(10) if (data / "negative" / str(k) / "repair.h5").is_file()]
    weakest = min(present, key=lambda k: per_label[k])
    print(f"weakest label: {weakest} (test accuracy {100 * per_label[weakest]:.2f}%)")
    results: dict[str, list[dict]] = {name: [] for name in configs}
    for seed in range(args.seeds):
        for name in configs:
            out = workdir / "weakest" / name.replace(" ", "") / str(seed)
            target = data / "negative" / str(weakest)
            results[name].append(
                one_run(name, configs, model_dir, target, data, out, seed, test, weakest, None)
            )
    print_table(f"weakest label ({weakest}): all its negatives", results)

    negatives = read_split(data / "negative" / "repair.h5")
    pairs = Counter(
        zip(
            negatives.labels.tolist(),
            np.argmax(predict_scores(load_model(model_dir), negatives.images), axis=1).tolist(),
            strict=True,
        )
    )
    (true, predicted), count = pairs.most_common(1)[0]
    pair = read_split(data / "negative" / str(true) / str(predicted) / "repair.h5")
    print(f"\nmost frequent misclassification: {true} -> {predicted} ({count} inputs)")
    results = {name: [] for name in configs}
    for seed in range(args.seeds):
        order = np.random.default_rng(seed).permutation(len(pair))
        half, rest = order[: len(order) // 2], order[len(order) // 2 :]
        target = workdir / "journal" / f"half{seed}"
        write_split(target / "repair.h5", pair.images[half], pair.labels[half], num_classes=10)
        held_out = (pair.images[rest], pair.labels[rest])
        for name in configs:
            out = workdir / "journal" / name.replace(" ", "") / str(seed)
            results[name].append(
                one_run(name, configs, model_dir, target, data, out, seed, test, true, held_out)
            )
    print_table(f"journal protocol: half of {true} -> {predicted} repaired", results)

    results = {name: [] for name in configs}
    for seed in range(args.seeds):
        for name in configs:
            out = workdir / "all" / name.replace(" ", "") / str(seed)
            target = data / "negative"
            results[name].append(
                one_run(name, configs, model_dir, target, data, out, seed, test, -1, None)
            )
    print_table("all negatives (NeuRecover: the degraded ones among them)", results)


if __name__ == "__main__":
    main()
