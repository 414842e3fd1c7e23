"""The batched fitness equals the fitness of the real model with the particle written in.

The oracle is the reference toolkit's way: copy the particle's values into the model's kernel and
call ``model.evaluate`` with the categorical cross-entropy, on the negatives and the positives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split
from repair.core.model import load_model
from repair.core.tf import keras
from repair.methods.arachne.activations import cache_layer
from repair.methods.arachne.fitness import (
    BatchedFitness,
    compile_for_fitness,
    model_fitness,
    write_patch,
)

NUM_PARTICLES = 5


def random_locations(model: keras.Model, layer: int, count: int, rng: np.random.Generator):
    rows, cols = model.layers[layer].kernel.shape
    flat = rng.choice(rows * cols, size=count, replace=False)
    return np.stack([np.full(count, layer), flat // cols, flat % cols], axis=1)


def batched_vs_model(model, locations, negatives, positives, rng, **kwargs):
    first = int(locations[:, 0].min())
    rows = locations[locations[:, 0] == first, 1]
    kernels = {k: model.layers[k].kernel.numpy() for k in set(locations[:, 0].tolist())}
    original = np.array([kernels[k][i, j] for k, i, j in locations], dtype=np.float32)
    fitness = BatchedFitness(
        model, locations, original,
        cache_layer(model, first, rows, [negatives]), cache_layer(model, first, rows, [positives]),
        device="cpu", **kwargs,
    )  # fmt: skip
    particles = original + rng.normal(0.0, 0.5, size=(NUM_PARTICLES, len(original)))
    scores = fitness(particles)
    patched = compile_for_fitness(keras.models.clone_model(model))
    for p, particle in enumerate(particles.astype(np.float32)):
        patched.set_weights(model.get_weights())
        write_patch(patched, locations, particle)
        expected, n_patched, n_intact = model_fitness(
            patched, (negatives.images, negatives.labels), (positives.images, positives.labels)
        )
        assert scores.fitness[p] == pytest.approx(expected, rel=1e-5)
        assert (scores.patched[p], scores.intact[p]) == (n_patched, n_intact)
    return scores


@pytest.fixture(scope="module")
def data(digits_model_dir: Path, target_dir: Path):
    model = load_model(digits_model_dir)
    negatives = read_split(target_dir / "negative" / "repair.h5")
    positives = read_split(target_dir / "positive" / "repair.h5").select(slice(0, 60))
    return model, negatives, positives


@pytest.mark.parametrize(
    ("layers", "counts", "max_elements"),
    [
        ((-1,), (12,), 1 << 24),  # output layer only: cached logits + sparse correction
        ((-1,), (12,), 500),  # the same, chunked over inputs
        ((-2,), (30,), 1 << 24),  # a hidden layer: the rest of the model runs batched
        ((-2, -1), (10, 6), 3000),  # two layers, chunked
    ],
)
def test_batched_fitness_equals_real_model(data, layers, counts, max_elements) -> None:
    model, negatives, positives = data
    rng = np.random.default_rng(sum(counts) + max_elements)
    locations = np.concatenate(
        [
            random_locations(model, layer % len(model.layers), count, rng)
            for layer, count in zip(layers, counts, strict=True)
        ]
    )
    scores = batched_vs_model(
        model, locations, negatives, positives, rng, max_elements=max_elements
    )
    assert len(set(scores.fitness.round(6))) > 1  # the particles really differ


def test_unpatched_particle_scores_the_original_model(data) -> None:
    model, negatives, positives = data
    locations = random_locations(model, len(model.layers) - 1, 4, np.random.default_rng(0))
    rows, kernel = locations[:, 1], model.layers[-1].kernel.numpy()
    fitness = BatchedFitness(
        model, locations, kernel[locations[:, 1], locations[:, 2]],
        cache_layer(model, len(model.layers) - 1, rows, [negatives]),
        cache_layer(model, len(model.layers) - 1, rows, [positives]),
    )  # fmt: skip
    scores = fitness(fitness.original[None])
    # Negatives are misclassified by the original model and positives correctly classified.
    assert scores.patched[0] == 0 and scores.intact[0] == len(positives)
