"""Speed and quality of Arachne's optimize on the built-in digits (not a test: prints figures).

1. Speed. Most digits go to the repair set and the `base` CNN is trained briefly, so that about
   1,000 repair inputs are misclassified (split with `repair target`'s code). One swarm
   iteration of 100 particles on all negatives and 200 sampled positives is timed the
   reference way (write each particle into the model, `model.evaluate` both sets) and ours
   (one batched computation); the ratio is printed (goal: >= 100x), for the output layer and
   for the hidden Dense layer and the two Conv2D layers (a patch of a few kernel entries is a
   sparse correction of the convolution's cached output; the layers after it run batched).
   Then the default optimize (100 particles x 100 iterations) runs on all negatives (goal:
   < 30 s on 2 cores).
2. Quality. The `base` CNN trained as in the demo (8 epochs, ~94 %) is repaired on its weakest
   label's negatives, then on all negatives: repair and break rates, and test accuracy of the
   repaired label and of the whole model before and after.

Usage: python scripts/bench_arachne.py [--workdir DIR] [--reference_particles N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from repair.app.runner import localize, optimize
from repair.core.data import SplitReader, read_split
from repair.core.model import load_model, predict_scores, save_model
from repair.core.run_files import read_locations
from repair.core.split import split_positive_negative
from repair.core.tf import keras
from repair.core.training import EpochCheckpoint
from repair.datasets.digits import DigitsDataset, DigitsOptions
from repair.datasets.packing import pack_dataset
from repair.methods.arachne import activations, pso
from repair.methods.arachne.config import LocalizeConfig, OptimizeConfig
from repair.methods.arachne.fitness import (
    BatchedFitness,
    compile_for_fitness,
    model_fitness,
    write_patch,
)
from repair.methods.arachne.method import Arachne
from repair.methods.arachne.search_space import sample_positives, swarm_bounds
from repair.models.small_cnn import build_small_cnn

SPEED_RATIOS = (0.1, 0.0, 0.1, 0.8)  # train, val, test, repair: most digits to repair
QUALITY_RATIOS = (0.6, 0.1, 0.15, 0.15)  # as in scripts/demo.sh


def prepare(workdir: Path, ratios, epochs: int, batch_size: int) -> tuple[Path, Path]:
    """Data folder with the target layout, and the model's folder."""
    data, model_dir = workdir / "data", workdir / "model"
    pack_dataset(DigitsDataset(None, DigitsOptions()), data, ratios, seed=0)
    keras.utils.set_random_seed(0)
    train = read_split(data / "train.h5")
    model = build_small_cnn(train.images.shape[1:], 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(
        train.images, train.labels, epochs=epochs, batch_size=batch_size, verbose=0,
        callbacks=[EpochCheckpoint(model_dir, keep=2)],  # NeuRecover reads the last two
    )  # fmt: skip
    save_model(model, model_dir)
    split_positive_negative(model, data / "repair.h5", data)
    return data, model_dir


def test_accuracies(model_dir: Path, test: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per-label test accuracy (10,) in percent, and the overall one last (11,)."""
    images, labels = test
    predicted = np.argmax(predict_scores(load_model(model_dir), images), axis=1)
    per_label = [100.0 * np.mean(predicted[labels == k] == k) for k in range(10)]
    return np.array([*per_label, 100.0 * np.mean(predicted == labels)])


def time_one_iteration(model_dir: Path, data: Path, out: Path, reference_particles: int) -> None:
    """One swarm iteration of 100 particles, both ways, on the localized weights."""
    model = load_model(model_dir)
    locations = read_locations(out / "weights.csv")
    layer = int(locations[0, 0])
    rng = np.random.default_rng(0)
    negatives = read_split(data / "negative" / "repair.h5")
    with SplitReader(data / "positive" / "repair.h5") as reader:
        positives = sample_positives(rng, reader, 200)
    rows = locations[:, 1]
    original = activations.kernel_matrix(model.layers[layer])[locations[:, 1], locations[:, 2]]
    start = time.perf_counter()
    fitness = BatchedFitness(
        model, locations, original,
        activations.cache_layer(model, layer, rows, [negatives]),
        activations.cache_layer(model, layer, rows, [positives]),
    )  # fmt: skip
    setup = time.perf_counter() - start
    mean, std, low, high = swarm_bounds(model, locations)
    swarm = pso.start_swarm(pso.initial_positions(rng, mean, std, 100), fitness)
    swarm = pso.step(swarm, rng, 4.1, low, high, fitness)  # warm-up: traces the tf.function
    ours = []
    for _ in range(20):
        start = time.perf_counter()
        swarm = pso.step(swarm, rng, 4.1, low, high, fitness)
        ours.append(time.perf_counter() - start)
    ours_s = statistics.median(ours)

    patched = compile_for_fitness(keras.models.clone_model(model))
    weights = model.get_weights()
    neg, pos = (negatives.images, negatives.labels), (positives.images, positives.labels)
    model_fitness(patched, neg, pos)  # warm-up
    start = time.perf_counter()
    for particle in swarm.positions[:reference_particles].astype(np.float32):
        patched.set_weights(weights)
        write_patch(patched, locations, particle)
        model_fitness(patched, neg, pos)
    reference_s = (time.perf_counter() - start) * 100 / reference_particles
    print(f"negatives: {len(negatives)}, sampled positives: {len(positives)}, "
          f"localized weights: {len(locations)} in layer {layer}")  # fmt: skip
    print(f"cache activations once: {setup:.3f} s")
    print(f"one iteration of 100 particles, reference way: {reference_s:.2f} s"
          f" (measured on {reference_particles} particles)")  # fmt: skip
    print(f"one iteration of 100 particles, batched:       {ours_s * 1000:.2f} ms")
    print(f"speed-up: {reference_s / ours_s:.0f}x (goal: >= 100x)")


def repair(
    model_dir: Path, target: Path, positives: Path, out: Path, test, config: OptimizeConfig
) -> None:
    started = time.perf_counter()
    localized = localize(
        method=Arachne, model_dir=model_dir, target_data_dir=target, output_dir=out
    )
    localize_s = time.perf_counter() - started
    started = time.perf_counter()
    summary = optimize(
        method=Arachne,
        model_dir=model_dir,
        target_data_dir=target,
        positive_inputs_dir=positives,
        output_dir=out,
        options=config,
        seed=0,
    )
    optimize_s = time.perf_counter() - started
    details = summary["details"]
    print(f"  localize: {localize_s:.2f} s; {localized.message}")
    print(f"  optimize: {optimize_s:.2f} s in all ({summary['wall_time_s']:.2f} s search and "
          f"save), {details['iterations']} iterations of {config.num_particles} particles "
          f"(goal: < 30 s)")  # fmt: skip
    print(f"  repair rate: {summary['repair_rate']:.2f}% "
          f"({summary['patched']}/{summary['negatives']} negatives fixed)")  # fmt: skip
    print(f"  break rate:  {summary['break_rate']:.2f}% "
          f"({summary['broken']}/{summary['positives']} positives broken)")  # fmt: skip
    before, after = test_accuracies(model_dir, test), test_accuracies(out / "repair", test)
    labels = sorted(set(read_split(target / "repair.h5").labels.tolist()))
    for label in labels if len(labels) == 1 else []:
        print(f"  test accuracy of label {label}: {before[label]:.2f}% -> {after[label]:.2f}%")
    print(f"  test accuracy of the model: {before[-1]:.2f}% -> {after[-1]:.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reference_particles", type=int, default=100)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-arachne-"))
    print(f"work dir: {workdir}")

    data, model_dir = prepare(workdir / "speed", SPEED_RATIOS, epochs=2, batch_size=16)
    test = read_split(data / "test.h5")
    test = (test.images, test.labels)
    accuracy = test_accuracies(model_dir, test)[-1]
    print(f"\n# 1. speed: under-trained model, test accuracy {accuracy:.2f}%")
    layers = (
        ("output layer", None),
        ("hidden Dense layer", -2),
        ("second Conv2D layer", 2),
        ("first Conv2D layer", 0),
    )
    for name, layer in layers:
        out = workdir / "speed" / f"layer{layer}"
        localize(
            method=Arachne,
            model_dir=model_dir,
            target_data_dir=data / "negative",
            output_dir=out,
            options=LocalizeConfig(target_layer=layer),
        )
        print(f"\n## one swarm iteration, {name}, all negatives")
        time_one_iteration(model_dir, data, out, args.reference_particles)
    positives = data / "positive"
    print("\n## default optimize (100 x 100), all negatives")
    repair(
        model_dir, data / "negative", positives, workdir / "speed" / "all", test, OptimizeConfig()
    )
    print("\n## the same without early stop (all 100 iterations)")
    no_stop = OptimizeConfig(min_iteration_range=100)
    repair(model_dir, data / "negative", positives, workdir / "speed" / "all-100", test, no_stop)

    data, model_dir = prepare(workdir / "quality", QUALITY_RATIOS, epochs=8, batch_size=32)
    test = read_split(data / "test.h5")
    test = (test.images, test.labels)
    before = test_accuracies(model_dir, test)
    print(f"\n# 2. quality: trained model, test accuracy {before[-1]:.2f}%")
    present = [k for k in range(10) if (data / "negative" / str(k) / "repair.h5").is_file()]
    weakest = min(present, key=lambda k: before[k])
    print(f"\n## default optimize, the weakest label ({weakest}) only")
    target = data / "negative" / str(weakest)
    positives = data / "positive"
    repair(
        model_dir,
        target,
        positives,
        workdir / "quality" / f"label-{weakest}",
        test,
        OptimizeConfig(),
    )
    print("\n## default optimize, all negatives")
    repair(
        model_dir, data / "negative", positives, workdir / "quality" / "all", test, OptimizeConfig()
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
