"""The swarm's pure functions: constriction, bounds, steps, early stop, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from repair.errors import ConfigError
from repair.methods.arachne import pso
from repair.methods.arachne.config import LocalizeConfig, OptimizeConfig
from repair.methods.arachne.scores import Scores


def sphere(positions: np.ndarray) -> Scores:
    """A toy fitness: best at the origin; 'patched' counts coordinates near it."""
    fitness = -np.sum(positions**2, axis=1)
    near = np.sum(np.abs(positions) < 0.5, axis=1)
    return Scores(fitness, near, near)


def test_constriction_of_the_paper() -> None:
    assert pso.constriction(4.1) == pytest.approx(0.7298, abs=1e-4)


def test_bound_speed_keeps_sign_and_range() -> None:
    low, high = np.full(4, 0.2), np.full(4, 5.0)
    bounded = pso.bound_speed(np.array([0.01, -0.01, 9.0, -1.0]), low, high)
    np.testing.assert_allclose(bounded, [0.2, -0.2, 5.0, -1.0])
    assert pso.bound_speed(np.zeros(1), low[:1], high[:1])[0] == -0.2  # as the reference


def test_sibling_normal_leaves_the_localized_weights_out() -> None:
    kernel = np.array([[1.0, 1.0], [1.0, 100.0]])
    assert pso.sibling_normal(kernel, np.array([1]), np.array([1])) == (1.0, 0.0)
    assert pso.speed_bounds(kernel) == (99.0 / 5, 99.0 * 5)


def run(seed: int, steps: int = 6) -> pso.Swarm:
    rng = np.random.default_rng(seed)
    mean, std = np.full(3, 2.0), np.full(3, 1.0)
    low, high = np.full(3, 0.01), np.full(3, 1.0)
    swarm = pso.start_swarm(pso.initial_positions(rng, mean, std, 12), sphere)
    for _ in range(steps):
        previous = swarm
        swarm = pso.step(swarm, rng, 4.1, low, high, sphere)
        assert np.all(swarm.best.fitness >= previous.best.fitness)  # personal bests never worsen
        speeds = np.abs(swarm.velocities)
        assert np.all((speeds >= 0.01 - 1e-12) & (speeds <= 1.0 + 1e-12))
    return swarm


def test_same_seed_same_swarm_and_search_improves() -> None:
    first, again, other = run(7), run(7), run(8)
    np.testing.assert_array_equal(first.best_positions, again.best_positions)
    assert not np.array_equal(first.best_positions, other.best_positions)
    start = pso.start_swarm(
        pso.initial_positions(np.random.default_rng(7), np.full(3, 2.0), np.ones(3), 12), sphere
    )
    assert first.best.fitness.max() > start.best.fitness.max()


def test_step_does_not_change_its_input() -> None:
    rng = np.random.default_rng(0)
    swarm = pso.start_swarm(pso.initial_positions(rng, np.zeros(2), np.ones(2), 4), sphere)
    before = swarm.positions.copy()
    pso.step(swarm, rng, 4.1, np.full(2, 0.1), np.full(2, 1.0), sphere)
    np.testing.assert_array_equal(swarm.positions, before)


def test_stagnated_after_window_without_improvement() -> None:
    assert not pso.stagnated([1.0, 2.0, 2.0, 2.0], window=3)  # too short to tell
    assert pso.stagnated([1.0, 2.0, 2.0, 2.0, 2.0], window=3)
    assert not pso.stagnated([1.0, 2.0, 2.0, 2.0, 3.0], window=3)


@pytest.mark.parametrize(
    ("config", "kwargs", "message"),
    [
        (OptimizeConfig, {"num_particles": 0}, "--num_particles must be a positive integer; got 0"),
        (OptimizeConfig, {"velocity_phi": 4.0}, "--velocity_phi must be a number greater than 4"),
        (OptimizeConfig, {"min_iteration_range": -1}, "--min_iteration_range"),
        (LocalizeConfig, {"num_grad": 0}, "--num_grad must be a positive integer"),
    ],
)
def test_configs_reject_bad_values(config, kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        config(**kwargs)
