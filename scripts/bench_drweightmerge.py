"""DRWeightMerge against Arachne on two misclassification types (not a test: prints a table).

An under-trained digits `base` CNN (the data of scripts/bench_arachne_versions.py, 30 % train;
4 epochs, about 76 % test accuracy: at 2 epochs both methods fix every type). Its two most
frequent misclassifications on the repair set, A = (true, predicted) and B, are repaired:

- DRWeightMerge, A and B at once, weights 1:1, 3:1 (A heavier) and 1:3 (B heavier); every
  label's accuracy weighed 1;
- Arachne on A, then Arachne on B starting from that repaired model (each type in turn, the
  way to repair both with Arachne); the row after the first step is Arachne on A alone.

Measured on test.h5, which no repair reads: the share of the test inputs the original model
misclassifies as A (and as B) that the repaired model classifies correctly, and the change in
test accuracy; plus the share fixed of A's and B's repair negatives, and the wall time. Mean and
sample std over ``--seeds`` seeds; localisation is deterministic, so it runs once per setting.

Usage: python scripts/bench_drweightmerge.py [--seeds 10] [--particles 20] [--iterations 20]
[--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from bench_arachne import prepare  # the same data and model
from bench_arachne_versions import print_table

from repair.app.runner import localize, optimize
from repair.core.data import read_split
from repair.core.model import load_model, predict_scores
from repair.methods.arachne.config import LocalizeConfig, OptimizeConfig
from repair.methods.arachne.method import Arachne
from repair.methods.drweightmerge.config import DRLocalizeConfig, DROptimizeConfig
from repair.methods.drweightmerge.method import DRWeightMerge

RATIOS = (0.3, 0.1, 0.3, 0.3)  # train, val, test, repair: a weak model, enough test data


def predicted(model_dir: Path, images: np.ndarray) -> np.ndarray:
    return np.argmax(predict_scores(load_model(model_dir), images), axis=1)


def two_types(model_dir: Path, data: Path) -> list[tuple[int, int]]:
    negatives = read_split(data / "negative" / "repair.h5")
    found = predicted(model_dir, negatives.images)
    pairs = Counter(zip(negatives.labels.tolist(), found.tolist(), strict=True))
    return [pair for pair, _ in pairs.most_common(2)]


def write_settings(path: Path, types: list[tuple[int, int]], weights: tuple[int, int]) -> Path:
    (a_true, a_pred), (b_true, b_pred) = types
    targets: dict[str, list[str]] = {}
    for true, pred in types:
        targets.setdefault(str(true), []).append(str(pred))
    settings = {
        "target_misclassifications": targets,
        "general_misclassifications": [],
        "weights_precisions": {str(k): 1 for k in range(10)},
        "weights_misclassifications": {
            f"{a_true},{a_pred}": weights[0],
            f"{b_true},{b_pred}": weights[1],
        },
    }
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


class Measure:
    """The figures of one repaired model against the original's mistakes."""

    def __init__(self, model_dir: Path, data: Path, types: list[tuple[int, int]]) -> None:
        test = read_split(data / "test.h5")
        self.images, self.labels = test.images, test.labels
        before = predicted(model_dir, self.images)
        self.accuracy = float(np.mean(before == self.labels))
        self.test_masks = [(self.labels == t) & (before == p) for t, p in types]
        self.repair_sets = [
            read_split(data / "negative" / str(t) / str(p) / "repair.h5") for t, p in types
        ]

    def row(self, model_dir: Path, seconds: float) -> dict:
        after = predicted(model_dir, self.images)
        right = after == self.labels
        row = {}
        for name, mask, split in zip("AB", self.test_masks, self.repair_sets, strict=True):
            fixed = predicted(model_dir, split.images) == split.labels
            row[f"repair {name} fixed %"] = 100.0 * fixed.mean()
            row[f"test {name} fixed %"] = 100.0 * right[mask].mean()
        row["test accuracy change"] = 100.0 * (right.mean() - self.accuracy)
        row["time s"] = seconds
        return row


def run(method, model_dir, target, data, out, options, seed) -> None:  # noqa: ANN001
    optimize(
        method=method, model_dir=model_dir, target_data_dir=target,
        positive_inputs_dir=data / "positive", output_dir=out, options=options, seed=seed,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--particles", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-drwm-"))
    data, model_dir = prepare(workdir, RATIOS, args.epochs, batch_size=32)
    types = two_types(model_dir, data)
    measure = Measure(model_dir, data, types)
    print(
        f"work dir: {workdir}; test accuracy {100 * measure.accuracy:.2f}%; A = {types[0]} "
        f"({len(measure.repair_sets[0])} repair, {measure.test_masks[0].sum()} test), B = "
        f"{types[1]} ({len(measure.repair_sets[1])} repair, {measure.test_masks[1].sum()} test); "
        f"{args.seeds} seeds, {args.particles} particles, {args.iterations} iterations"
    )
    common = {"num_particles": args.particles, "num_iterations": args.iterations}
    dr_options = DROptimizeConfig(**common)
    arachne_options = OptimizeConfig(**common)
    negative = data / "negative"
    folders = {name: negative / str(t) / str(p) for name, (t, p) in zip("AB", types, strict=True)}
    located = {}
    for weights in ((1, 1), (3, 1), (1, 3)):  # localisation does not depend on the seed: once each
        name = f"drweightmerge {weights[0]}:{weights[1]}"
        located[name] = workdir / "localized" / name.replace(" ", "_").replace(":", "-")
        settings = write_settings(workdir / f"dr_{weights[0]}{weights[1]}.json", types, weights)
        localize(
            method=DRWeightMerge, model_dir=model_dir, target_data_dir=negative,
            output_dir=located[name], options=DRLocalizeConfig(weight_path=str(settings)),
        )  # fmt: skip
    located["arachne A"] = workdir / "localized" / "arachne_A"
    localize(
        method=Arachne, model_dir=model_dir, target_data_dir=folders["A"],
        output_dir=located["arachne A"], options=LocalizeConfig(),
    )  # fmt: skip
    names = [*[n for n in located if n.startswith("dr")], "arachne A", "arachne A then B"]
    results: dict[str, list[dict]] = {name: [] for name in names}
    started = time.perf_counter()
    for seed in range(args.seeds):
        for name, folder in located.items():
            out = workdir / "runs" / folder.name / str(seed)
            shutil.copytree(folder, out, dirs_exist_ok=True)
            begun = time.perf_counter()
            method, options = (
                (DRWeightMerge, dr_options) if name.startswith("dr") else (Arachne, arachne_options)
            )
            target = negative if name.startswith("dr") else folders["A"]
            run(method, model_dir, target, data, out, options, seed)
            seconds = time.perf_counter() - begun
            results[name].append(measure.row(out / "repair", seconds))
            if name != "arachne A":
                continue
            then = workdir / "runs" / "arachne_B" / str(seed)  # B, on the model repaired for A
            begun = time.perf_counter()
            localize(
                method=Arachne, model_dir=out / "repair", target_data_dir=folders["B"],
                output_dir=then, options=LocalizeConfig(),
            )  # fmt: skip
            run(Arachne, out / "repair", folders["B"], data, then, arachne_options, seed)
            seconds += time.perf_counter() - begun
            results["arachne A then B"].append(measure.row(then / "repair", seconds))
        print(f"seed {seed} done ({time.perf_counter() - started:.0f} s)", flush=True)
    print_table("two types: DRWeightMerge at once, Arachne on each in turn", results)


if __name__ == "__main__":
    main()
