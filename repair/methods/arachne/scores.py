"""Arachne's fitness formula and the per-particle scores, in plain NumPy.

Shared by the batched TensorFlow evaluation (:mod:`.fitness`) and the swarm (:mod:`.pso`),
which stays free of TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    """Per particle: fitness (P,) float64, patched (P,) and intact (P,) int64 counts."""

    fitness: np.ndarray
    patched: np.ndarray
    intact: np.ndarray


def fitness_formula(
    patched: np.ndarray, loss_neg: np.ndarray, intact: np.ndarray, loss_pos: np.ndarray
) -> np.ndarray:
    """Eq. 1 of the paper, elementwise over particles."""
    return (patched + 1.0) / (loss_neg + 1.0) + (intact + 1.0) / (loss_pos + 1.0)


@dataclass(frozen=True)
class SetResults:
    """Particles on one input set: loss and correct (P, N) per input; mean_loss (P,) float64 and
    count (P,) int64 correct, summed as Eq. 1 reads them."""

    losses: np.ndarray
    correct: np.ndarray
    mean_loss: np.ndarray
    count: np.ndarray


FITNESS_KINDS = ("v1", "normalized", "tosem")


def per_input_terms(results: SetResults) -> np.ndarray:
    """(P, N): 1 for a correct input, 1 / (1 + loss) for a wrong one (the journal version's
    fitness, TOSEM 2023)."""
    return np.where(results.correct, 1.0, 1.0 / (1.0 + results.losses.astype(np.float64)))


def _weighted(results: SetResults, weights: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Weighted correct count (P,), weighted mean loss (P,) and the total weight."""
    if weights is None:
        return results.count.astype(np.float64), results.mean_loss, float(results.losses.shape[1])
    total = float(weights.sum())
    count = results.correct.astype(np.float64) @ weights
    mean_loss = (results.losses.astype(np.float64) @ weights) / max(total, 1e-12)
    return count, mean_loss, total


@dataclass(frozen=True)
class Objective:
    """The fitness of particles from their per-input results, other than the plain Eq. 1.

    kind: ``v1`` (Eq. 1), ``normalized`` (each term of Eq. 1 divided by its set's size, the
    negatives' term times alpha) or ``tosem`` (sum over positives of the per-input term plus
    alpha times the same over the negatives, the journal version's fitness); neg_weights,
    pos_weights: (N,) per-input weights from ``--label_weights`` (None: all 1); guard: a
    function of both sets' results returning each particle's violation (P,) of the protected
    requirements (0 when kept). A violating
    particle scores ``-1 - violation``, below every other: all three fitnesses are positive.
    """

    kind: str = "v1"
    alpha: float = 10.0
    neg_weights: np.ndarray | None = None
    pos_weights: np.ndarray | None = None
    guard: Callable[[SetResults, SetResults], np.ndarray] | None = None

    def fitness(self, negatives: SetResults, positives: SetResults) -> np.ndarray:
        if self.kind == "tosem":
            neg = per_input_terms(negatives)
            pos = per_input_terms(positives)
            if self.neg_weights is not None:
                neg, pos = neg * self.neg_weights, pos * self.pos_weights
            return pos.sum(axis=1) + self.alpha * neg.sum(axis=1)
        patched, loss_neg, size_neg = _weighted(negatives, self.neg_weights)
        intact, loss_pos, size_pos = _weighted(positives, self.pos_weights)
        if self.kind == "normalized":
            negatives_term = (patched + 1.0) / (loss_neg + 1.0) / size_neg
            return self.alpha * negatives_term + (intact + 1.0) / (loss_pos + 1.0) / size_pos
        return fitness_formula(patched, loss_neg, intact, loss_pos)

    def __call__(self, negatives: SetResults, positives: SetResults) -> Scores:
        fitness = self.fitness(negatives, positives)
        if self.guard is not None:
            violation = self.guard(negatives, positives)
            fitness = np.where(violation > 0, -1.0 - violation, fitness)
        return Scores(fitness, negatives.count, positives.count)
