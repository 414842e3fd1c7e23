"""The pure statistics: intervals, exact tests, spreads, disagreement, instability, invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repair.core.stats import binomial_noise, mcnemar_exact, spread, wilson_interval
from repair.variability import matrix
from repair.variability.holdout import split_halves
from repair.variability.paired import paired_rows
from repair.variability.scenarios import choose_affected, parse_scenario, to_gray


def exact_two_sided(k: int, n: int) -> float:
    """The textbook two-sided binomial p-value at 1/2: twice the smaller tail, at most 1."""
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1)) / 2**n
    return min(1.0, 2 * tail)


@pytest.mark.parametrize(("fixed", "broken"), [(9, 1), (1, 9), (12, 5), (30, 18), (3, 3), (0, 6)])
def test_mcnemar_is_the_exact_binomial_test_on_discordant_inputs(fixed, broken):
    assert mcnemar_exact(fixed, broken) == pytest.approx(exact_two_sided(fixed, fixed + broken))
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(9, 1) == pytest.approx(22 / 1024)


def test_paired_rows_count_discordant_inputs_per_label():
    # label 0: 12 inputs, 9 fixed and 1 broken; label 1: 8 inputs, nothing changes.
    true = np.array([0] * 12 + [1] * 8)
    before = np.array([False] * 9 + [True] * 3 + [True] * 4 + [False] * 4)
    after = np.array([True] * 9 + [False] + [True] * 2 + [True] * 4 + [False] * 4)
    rows = paired_rows(true, before, after, ["cat", "dog"])
    first, second, overall = rows
    assert (first.name, first.n, first.fixed, first.broken) == ("cat", 12, 9, 1)
    assert first.p_value == pytest.approx(22 / 1024)
    assert first.change == pytest.approx(100 * (11 - 3) / 12)
    assert (second.fixed, second.broken, second.p_value) == (0, 0, 1.0)
    assert (overall.label, overall.n, overall.fixed, overall.broken) == (None, 20, 9, 1)


def test_wilson_interval_matches_the_closed_form_and_stays_in_range():
    low, high = wilson_interval(1148, 1530)  # 75.03 % of 1,530: about +-2.2 points
    assert 72.7 < low < 72.9 and 77.1 < high < 77.3
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 100.0
    assert 0.0 < wilson_interval(0, 10)[1] < 35.0
    assert binomial_noise(75.0, 1530) == pytest.approx(1.107, abs=1e-3)


def test_spread_is_sample_std_with_a_t_interval():
    values = [70.0, 72.0, 74.0, 76.0]
    result = spread(values)
    assert result.mean == 73.0 and result.std == pytest.approx(np.std(values, ddof=1))
    half = 3.182446305284263 * result.std / 2  # t(0.975, 3)
    assert (result.low, result.high) == pytest.approx((73.0 - half, 73.0 + half))
    assert spread([5.0]).std == 0.0 and spread([5.0]).low is None and spread([None]) is None


def test_disagreement_per_input_and_mean_over_pairs():
    predictions = np.array([[0, 1, 2, 3], [0, 1, 2, 0], [0, 2, 1, 1]])
    brute = np.mean(
        [np.mean(predictions[a] != predictions[b]) for a in range(3) for b in range(a + 1, 3)]
    )
    assert matrix.mean_pairwise_disagreement(predictions) == pytest.approx(brute)
    result = matrix.per_input(predictions, np.array([0, 1, 2, 3]))
    assert result.correct_count.tolist() == [3, 2, 2, 1]
    assert result.order[-1] == 0  # the unanimous input is the most stable
    assert result.order[0] == 3  # three different predictions
    assert matrix.unstable_mask(matrix.correctness(predictions, [0, 1, 2, 3])).tolist() == [
        False, True, True, True,
    ]  # fmt: skip


def test_run_invariants_bracket_the_mean_rates():
    rng = np.random.default_rng(0)
    original = rng.random(200) < 0.8
    repaired = np.where(rng.random((6, 200)) < 0.3, ~original, original)
    inv = matrix.run_invariants(original, repaired)
    mean_repair, mean_break = np.mean(inv.repair_rates), np.mean(inv.break_rates)
    assert inv.fixed_in_all <= mean_repair <= inv.fixed_in_any
    assert inv.broken_in_any >= mean_break
    assert inv.negatives + inv.positives == 200


def test_split_halves_is_stratified_by_predicted_label_and_seeded():
    predicted = np.repeat([0, 1, 2], [10, 7, 1])
    repair, held = split_halves(predicted, 0.5, np.random.default_rng(3))
    assert sorted([*repair, *held]) == list(range(18)) and not set(repair) & set(held)
    assert np.sum(predicted[held] == 0) == 5 and np.sum(predicted[held] == 1) in (3, 4)
    again = split_halves(predicted, 0.5, np.random.default_rng(3))
    assert [a.tolist() for a in again] == [repair.tolist(), held.tolist()]


def test_scenario_choice_and_gray():
    scenario = parse_scenario("holdout:car:0.25")
    assert (scenario.kind, scenario.label, scenario.fraction) == ("holdout", "car", 0.25)
    labels = np.array([0, 1, 1, 1, 1, 2, 1, 1, 1, 1])
    chosen = choose_affected(labels, 1, 0.5, np.random.default_rng(0))
    assert len(chosen) == 4 and set(labels[chosen]) == {1}
    images = np.random.default_rng(1).random((2, 4, 4, 3)).astype(np.float32)
    gray = to_gray(images)
    assert np.allclose(gray[..., 0], gray[..., 2]) and gray.shape == images.shape
    assert np.allclose(gray[..., 0], images @ [0.299, 0.587, 0.114], atol=1e-6)
    for bad in ("holdout:0", "blur:0:0.5", "holdout:0:0", "holdout:0:1.5", "holdout::0.5"):
        with pytest.raises(ValueError):
            parse_scenario(bad)
