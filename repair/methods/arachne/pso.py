"""Arachne's particle swarm, as pure functions of arrays and an explicit ``np.random.Generator``.

A particle is a vector of new values for the M localized weights (paper, "Particle Swarm
Optimisation"). The order of one iteration follows the reference toolkit: each particle moves
by its velocity (Eq. 4), gets a new velocity (Eq. 2, constricted by chi of Eq. 3 and bounded by
Eqs. 5-6), is scored, and updates its personal best; the global best is updated once all have
moved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from repair.methods.arachne.scores import Scores

VELOCITY_BOUND_FACTOR = 5.0  # Eq. 6: V_b = (W_b / 5, 5 W_b)


def constriction(phi: float) -> float:
    """Eq. 3: chi = 2 / (phi - 2 + sqrt(phi^2 - 4 phi)); about 0.7298 for phi = 4.1."""
    return 2.0 / (phi - 2.0 + np.sqrt(phi * phi - 4.0 * phi))


def sibling_normal(kernel: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the layer's other weights (its "sibling weights").

    kernel: (inputs, units) of one Dense layer; rows, cols: (M_l,) the localized entries, which
    are left out. A one-weight layer falls back to the whole kernel.
    """
    mask = np.ones(kernel.shape, dtype=bool)
    mask[rows, cols] = False
    siblings = kernel[mask] if mask.any() else kernel.ravel()
    return float(np.mean(siblings)), float(np.std(siblings))


def speed_bounds(kernel: np.ndarray) -> tuple[float, float]:
    """Eqs. 5-6: W_b = max(W) - min(W) over the layer's kernel; speeds stay in (W_b/5, 5 W_b)."""
    width = float(np.max(kernel) - np.min(kernel))
    return width / VELOCITY_BOUND_FACTOR, width * VELOCITY_BOUND_FACTOR


def initial_positions(
    rng: np.random.Generator, mean: np.ndarray, std: np.ndarray, num_particles: int
) -> np.ndarray:
    """(P, M): each element drawn from N(mean[m], std[m]) (paper: "sibling weights")."""
    return rng.normal(loc=mean, scale=std, size=(num_particles, len(mean)))


def bound_speed(velocity: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Clip |v| into [low, high] per weight, keeping the sign (zero counts as negative, as in
    the reference toolkit)."""
    sign = np.where(velocity > 0, 1.0, -1.0)
    return sign * np.clip(np.abs(velocity), low, high)


def new_velocity(
    rng: np.random.Generator,
    position: np.ndarray,
    velocity: np.ndarray,
    personal_best: np.ndarray,
    global_best: np.ndarray,
    phi: float,
    low: np.ndarray,
    high: np.ndarray,
) -> np.ndarray:
    """Eq. 2: v' = chi (v + r1 (p - x) + r2 (g - x)), r1, r2 ~ U(0, phi) per particle; bounded.

    position, velocity, personal_best: (P, M); global_best: (M,); low, high: (M,).
    """
    r1 = rng.uniform(0.0, phi, size=(len(position), 1))
    r2 = rng.uniform(0.0, phi, size=(len(position), 1))
    raw = constriction(phi) * (
        velocity + r1 * (personal_best - position) + r2 * (global_best[None] - position)
    )
    return bound_speed(raw, low, high)


@dataclass(frozen=True)
class Swarm:
    """positions, velocities, best_positions: (P, M); best: the Scores of best_positions."""

    positions: np.ndarray
    velocities: np.ndarray
    best_positions: np.ndarray
    best: Scores

    @property
    def leader(self) -> int:
        """Index of the particle with the best personal fitness (first one on ties)."""
        return int(np.argmax(self.best.fitness))

    @property
    def global_best(self) -> np.ndarray:
        return self.best_positions[self.leader]


def start_swarm(positions: np.ndarray, evaluate: Callable[[np.ndarray], Scores]) -> Swarm:
    """Score the initial positions; velocities start at zero (paper)."""
    return Swarm(positions, np.zeros_like(positions), positions.copy(), evaluate(positions))


def step(
    swarm: Swarm,
    rng: np.random.Generator,
    phi: float,
    low: np.ndarray,
    high: np.ndarray,
    evaluate: Callable[[np.ndarray], Scores],
) -> Swarm:
    """One iteration for all particles at once; returns the new swarm (inputs unchanged)."""
    positions = swarm.positions + swarm.velocities  # Eq. 4: x' = x + v
    velocities = new_velocity(
        rng, positions, swarm.velocities, swarm.best_positions, swarm.global_best, phi, low, high
    )
    scores = evaluate(positions)
    better = scores.fitness > swarm.best.fitness
    best = Scores(
        fitness=np.where(better, scores.fitness, swarm.best.fitness),
        patched=np.where(better, scores.patched, swarm.best.patched),
        intact=np.where(better, scores.intact, swarm.best.intact),
    )
    best_positions = np.where(better[:, None], positions, swarm.best_positions)
    return replace(
        swarm, positions=positions, velocities=velocities, best_positions=best_positions, best=best
    )


def stagnated(history: Sequence[float], window: int) -> bool:
    """True when the last ``window`` iterations found no better patch than the one before them.

    Paper: "stop earlier if it fails to find a better patch than the current best during ten
    consecutive iterations". ``history`` holds the global best fitness after each iteration.
    """
    if len(history) <= window + 1:
        return False
    return max(history[-window:]) <= history[-window - 1]
