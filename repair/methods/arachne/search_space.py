"""What Arachne's search runs over: the checked weight locations, bounds, positives, fitness.

The localized weights checked against the model, their swarm bounds, the sampled positives and
the batched fitness with its activations cached once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repair.core.data import Batch, SplitReader
from repair.core.resources import check_fits
from repair.core.run_files import read_locations
from repair.core.tf import keras
from repair.errors import DataFormatError
from repair.methods.arachne import activations, pso
from repair.methods.arachne.fitness import BatchedFitness, write_patch
from repair.methods.base import RepairTask


def checked_locations(model: keras.Model, path: Path) -> np.ndarray:
    """The (M, 3) ``layer,i,j`` of ``weights.csv``, checked against the model's kernels."""
    locations = read_locations(path)
    for layer_index in sorted(set(int(k) for k in locations[:, 0])):
        if layer_index >= len(model.layers):
            raise DataFormatError(f"{path} names layer {layer_index}; the model has fewer layers")
        kernel_shape = activations.kernel_matrix(
            activations.check_targetable(model, layer_index)
        ).shape
        rows = locations[locations[:, 0] == layer_index]
        if rows[:, 1].max() >= kernel_shape[0] or rows[:, 2].max() >= kernel_shape[1]:
            raise DataFormatError(
                f"{path} names a weight outside layer {layer_index}'s kernel {tuple(kernel_shape)}"
            )
    if len(np.unique(locations, axis=0)) != len(locations):
        raise DataFormatError(f"{path} lists a weight twice")
    activations.check_chain(model, int(locations[:, 0].min()), locations[:, 0].tolist())
    return locations


def sample_positives(rng: np.random.Generator, reader: SplitReader, count: int | str) -> Batch:
    """``count`` positives drawn once without replacement (all of them when fewer, or when
    ``count`` is ``'all'``)."""
    size = len(reader) if count == "all" else min(int(count), len(reader))
    return reader.read_indices(np.sort(rng.choice(len(reader), size=size, replace=False)))


def in_batches(batch: Batch, size: int) -> list[Batch]:
    return [batch.select(slice(start, start + size)) for start in range(0, len(batch), size)]


def swarm_bounds(
    model: keras.Model, locations: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per localized weight (M,): initial mean and std, and the lowest and highest speed."""
    mean, std, low, high = (np.zeros(len(locations)) for _ in range(4))
    for layer_index in sorted(set(int(k) for k in locations[:, 0])):
        where = locations[:, 0] == layer_index
        kernel = activations.kernel_matrix(model.layers[layer_index])
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
    units = max(int(model.layers[k].kernel.shape[-1]) for k in layers)
    widest = max(int(np.prod(layer.output.shape[1:])) for layer in model.layers[layers[0] :])
    per_particle = 8 * 8 * len(locations) + 4 * len(locations) * units + 4 * 4 * widest
    return float(num_particles) * per_particle


def check_swarm_fits(model: keras.Model, locations: np.ndarray, num_particles: int) -> None:
    """Refuse a swarm (or DE population) that cannot fit in memory before allocating it."""
    check_fits(f"--num_particles={num_particles}", swarm_bytes(model, locations, num_particles))


def batched_fitness(
    task: RepairTask,
    locations: np.ndarray,
    negative_batches,
    positive_batches,  # noqa: ANN001
) -> tuple[BatchedFitness, np.ndarray]:
    """The batched fitness of patches of ``locations`` on those inputs (cached once), and the
    (M,) original values of the weights."""
    model = task.model
    first = int(locations[:, 0].min())
    first_rows = locations[locations[:, 0] == first, 1]
    later = sorted({int(k) for k in locations[:, 0]})
    negatives_cache = activations.cache_layer(model, first, first_rows, negative_batches, later)
    positives_cache = activations.cache_layer(model, first, first_rows, positive_batches, later)
    kernels = {k: activations.kernel_matrix(model.layers[k]) for k in set(locations[:, 0])}
    original = np.array([kernels[k][i, j] for k, i, j in locations], dtype=np.float32)
    fitness = BatchedFitness(
        model, locations, original, negatives_cache, positives_cache, task.device
    )
    return fitness, original
