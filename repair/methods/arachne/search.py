"""Arachne's ``optimize``: read the localized weights, cache activations, run the swarm.

Positives are sampled once (paper, Sec. 4: "200 positive inputs"); the layer activations feeding
the earliest localized layer are computed once for every negative and sampled positive; then
each swarm iteration scores all particles in one batched computation (:mod:`.fitness`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from tqdm import tqdm

from repair.core.data import Batch, SplitReader
from repair.core.resources import check_fits
from repair.core.run_files import (
    HISTORY_FILENAME,
    WEIGHTS_FILENAME,
    read_locations,
    write_history,
    write_repaired,
)
from repair.core.tf import keras
from repair.errors import DataFormatError
from repair.methods.arachne import activations, pso
from repair.methods.arachne.config import OptimizeConfig
from repair.methods.arachne.fitness import BatchedFitness, write_patch
from repair.methods.base import RepairTask


@dataclass(frozen=True)
class SearchOutcome:
    """model: the repaired copy; locations (M, 3); original, repaired (M,) weight values;
    history: (iteration, best fitness, patched, intact) per iteration; the counts are those of
    the returned weights on the inputs the search used; original_fitness: the unpatched model's;
    kept_original: no patch beat it, so the original weights were kept."""

    model: keras.Model
    locations: np.ndarray
    original: np.ndarray
    repaired: np.ndarray
    history: list[tuple[int, float, int, int]]
    patched: int
    num_negatives: int
    intact: int
    num_positives: int
    original_fitness: float
    kept_original: bool


def keep_original(
    best_fitness: float, best_patched: int, original_fitness: float, original_patched: int
) -> bool:
    """Whether to return the original weights rather than the swarm's best (not in the
    reference, which always returns the swarm's best).

    The swarm starts away from the original weights and may end below them by the fitness; and
    the fitness also rewards lower losses, so a patch can beat the original while fixing no
    negative input, changing the model's outputs for nothing (seen on chunks of ~50 inputs,
    where it cost 5 points of test accuracy). A patch is kept only if it both scores higher
    and fixes more negatives than the original weights.
    """
    return best_fitness <= original_fitness or best_patched <= original_patched


def checked_locations(model: keras.Model, path: Path) -> np.ndarray:
    """The (M, 3) ``layer,i,j`` of ``weights.csv``, checked against the model's Dense kernels."""
    locations = read_locations(path)
    for layer_index in sorted(set(int(k) for k in locations[:, 0])):
        if layer_index >= len(model.layers):
            raise DataFormatError(f"{path} names layer {layer_index}; the model has fewer layers")
        kernel_shape = activations.check_dense(model, layer_index).kernel.shape
        rows = locations[locations[:, 0] == layer_index]
        if rows[:, 1].max() >= kernel_shape[0] or rows[:, 2].max() >= kernel_shape[1]:
            raise DataFormatError(
                f"{path} names a weight outside layer {layer_index}'s kernel {tuple(kernel_shape)}"
            )
    if len(np.unique(locations, axis=0)) != len(locations):
        raise DataFormatError(f"{path} lists a weight twice")
    activations.check_chain(model, int(locations[:, 0].min()))
    return locations


def sample_positives(rng: np.random.Generator, reader: SplitReader, count: int | str) -> Batch:
    """``count`` positives drawn once without replacement (all of them when fewer, or when
    ``count`` is ``'all'``)."""
    size = len(reader) if count == "all" else min(int(count), len(reader))
    return reader.read_indices(np.sort(rng.choice(len(reader), size=size, replace=False)))


def _in_batches(batch: Batch, size: int) -> list[Batch]:
    return [batch.select(slice(start, start + size)) for start in range(0, len(batch), size)]


def swarm_bounds(
    model: keras.Model, locations: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per localized weight (M,): initial mean and std, and the lowest and highest speed."""
    mean, std, low, high = (np.zeros(len(locations)) for _ in range(4))
    for layer_index in sorted(set(int(k) for k in locations[:, 0])):
        where = locations[:, 0] == layer_index
        kernel = model.layers[layer_index].kernel.numpy()
        mean[where], std[where] = pso.sibling_normal(
            kernel, locations[where, 1], locations[where, 2]
        )
        low[where], high[where] = pso.speed_bounds(kernel)
    return mean, std, low, high


def repaired_copy(model: keras.Model, locations: np.ndarray, values: np.ndarray) -> keras.Model:
    """A new model equal to ``model`` with the localized weights set to ``values``."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    write_patch(copy, locations, values)
    return copy


def swarm_bytes(model: keras.Model, locations: np.ndarray, num_particles: int) -> float:
    """Memory the swarm takes for ``num_particles`` over the M weights at ``locations``: about
    eight float64 (P, M) arrays in the PSO step, the (P, M, units) float32 patch of the fitness,
    and one input's activations per particle (inputs are chunked, particles are not)."""
    layers = sorted({int(k) for k in locations[:, 0]})
    units = max(int(model.layers[k].units) for k in layers)
    widest = max(int(np.prod(layer.output.shape[1:])) for layer in model.layers[layers[0] :])
    per_particle = 8 * 8 * len(locations) + 4 * len(locations) * units + 4 * 4 * widest
    return float(num_particles) * per_particle


def check_swarm_fits(model: keras.Model, locations: np.ndarray, num_particles: int) -> None:
    """Refuse a swarm that cannot fit in memory before allocating it."""
    check_fits(f"--num_particles={num_particles}", swarm_bytes(model, locations, num_particles))


def search_patch(
    task: RepairTask, options: OptimizeConfig, rng: np.random.Generator, progress: TextIO
) -> SearchOutcome:
    """Run the swarm on ``task`` and return the best patch found, applied to a copy."""
    model = task.model
    locations = checked_locations(model, task.output_dir / WEIGHTS_FILENAME)
    check_swarm_fits(model, locations, options.num_particles)
    first = int(locations[:, 0].min())
    first_rows = locations[locations[:, 0] == first, 1]
    positives = sample_positives(rng, task.positives, options.num_input_pos_sampled)
    negatives_cache = activations.cache_layer(
        model, first, first_rows, task.negatives.batches(task.batch_size)
    )
    positives_cache = activations.cache_layer(
        model, first, first_rows, _in_batches(positives, task.batch_size)
    )
    kernels = {k: model.layers[k].kernel.numpy() for k in set(int(k) for k in locations[:, 0])}
    original = np.array([kernels[k][i, j] for k, i, j in locations], dtype=np.float32)
    evaluate = BatchedFitness(
        model, locations, original, negatives_cache, positives_cache, task.device
    )
    mean, std, low, high = swarm_bounds(model, locations)
    # Paper: particles start from N(mean, std) of the sibling weights, with zero velocity.
    swarm = pso.start_swarm(pso.initial_positions(rng, mean, std, options.num_particles), evaluate)
    history: list[tuple[int, float, int, int]] = []
    bar = tqdm(range(1, options.num_iterations + 1), desc="optimize", file=progress, leave=False)
    for iteration in bar:
        swarm = pso.step(swarm, rng, options.velocity_phi, low, high, evaluate)
        leader = swarm.leader
        best = (float(swarm.best.fitness[leader]), int(swarm.best.patched[leader]))
        intact = int(swarm.best.intact[leader])
        history.append((iteration, best[0], best[1], intact))
        bar.set_postfix(fitness=f"{best[0]:.2f}", patched=best[1], broken=len(positives) - intact)
        if pso.stagnated([row[1] for row in history], options.min_iteration_range):
            break
    bar.close()
    unpatched = evaluate(original[None])
    leader = swarm.leader
    kept = keep_original(
        float(swarm.best.fitness[leader]),
        int(swarm.best.patched[leader]),
        float(unpatched.fitness[0]),
        int(unpatched.patched[0]),
    )
    best = unpatched if kept else swarm.best
    index = 0 if kept else leader
    repaired = original.copy() if kept else swarm.global_best.astype(np.float32)
    if kept:
        print(
            "optimize: no patch fixed more negatives with a better fitness than the original "
            "weights; the model is unchanged",
            file=progress,
        )
    return SearchOutcome(
        model=repaired_copy(model, locations, repaired),
        locations=locations,
        original=original,
        repaired=repaired,
        history=history,
        patched=int(best.patched[index]),
        num_negatives=len(negatives_cache),
        intact=int(best.intact[index]),
        num_positives=len(positives_cache),
        original_fitness=float(unpatched.fitness[0]),
        kept_original=kept,
    )


def write_outputs(output_dir: Path, outcome: SearchOutcome) -> tuple[Path, ...]:
    """Rewrite weights.csv with original and repaired values; write history.csv."""
    return (
        write_repaired(
            output_dir / WEIGHTS_FILENAME, outcome.locations, outcome.original, outcome.repaired
        ),
        write_history(output_dir / HISTORY_FILENAME, outcome.history),
    )
