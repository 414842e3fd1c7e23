"""Differential evolution for Arachne's journal version (TOSEM 2023): DE/rand/1/bin.

Population ``--num_particles`` (100), the mutation factor F drawn in [0.5, 1] once per
generation (scipy's dithering), crossover rate 0.7, each weight bounded by the smallest and
largest weight of its layer. scipy's ``differential_evolution`` runs in vectorised mode, so one
call of the batched fitness scores the whole population; it minimises, so it sees -fitness.
NumPy and scipy only: the fitness is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from repair.errors import ConfigError
from repair.methods.arachne import pso
from repair.methods.arachne.scores import Scores

MUTATION = (0.5, 1.0)
CROSSOVER = 0.7
MIN_POPULATION = 5  # scipy's smallest population


@dataclass
class Best:
    """The best patch scored so far: position (M,), fitness, patched and intact counts."""

    position: np.ndarray | None = None
    fitness: float = -np.inf
    patched: int = 0
    intact: int = 0

    def update(self, positions: np.ndarray, scores: Scores) -> None:
        leader = int(np.argmax(scores.fitness))
        if scores.fitness[leader] > self.fitness:
            self.position = positions[leader].copy()
            self.fitness = float(scores.fitness[leader])
            self.patched = int(scores.patched[leader])
            self.intact = int(scores.intact[leader])


def search(
    evaluate: Callable[[np.ndarray], Scores],
    initial: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    rng: np.random.Generator,
    generations: int,
    patience: int,
    on_generation: Callable[[int, Best], None] = lambda generation, best: None,
) -> tuple[Best, list[tuple[int, float, int, int]]]:
    """Run DE from ``initial`` (P, M) inside bounds ``low``, ``high`` (M,); the best patch and
    one history row (generation, best fitness, patched, intact) per generation. Stops early
    after ``patience`` generations without a better patch, as the swarm does."""
    from scipy.optimize import differential_evolution

    if len(initial) < MIN_POPULATION:
        raise ConfigError(
            f"--num_particles must be at least {MIN_POPULATION} with --search de; "
            f"got {len(initial)}"
        )
    best = Best()
    history: list[tuple[int, float, int, int]] = []

    def objective(columns: np.ndarray) -> np.ndarray:  # (M, S) -> (S,), vectorised mode
        positions = np.asarray(columns, dtype=np.float64).T
        scores = evaluate(positions)
        best.update(positions, scores)
        return -np.asarray(scores.fitness, dtype=np.float64)

    def callback(intermediate_result: object) -> None:
        history.append((len(history) + 1, best.fitness, best.patched, best.intact))
        on_generation(len(history), best)
        if pso.stagnated([row[1] for row in history], patience):
            raise StopIteration

    width = np.maximum(high - low, 1e-6)
    upper = low + width
    differential_evolution(
        objective,
        bounds=list(zip(low, upper, strict=True)),
        strategy="rand1bin",
        maxiter=generations,
        init=np.clip(initial, low, upper),
        mutation=MUTATION,
        recombination=CROSSOVER,
        rng=rng,
        polish=False,
        tol=0.0,
        atol=0.0,
        updating="deferred",
        vectorized=True,
        callback=callback,
    )
    return best, history


def layer_bounds(kernels: dict[int, np.ndarray], locations: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per localized weight (M,): the smallest and largest weight of its layer's kernel."""
    low = np.array([kernels[int(k)].min() for k in locations[:, 0]], dtype=np.float64)
    high = np.array([kernels[int(k)].max() for k in locations[:, 0]], dtype=np.float64)
    return low, high
