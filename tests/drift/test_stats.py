"""The drift statistics on arrays whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from repair.drift.classifier import classifier_drift
from repair.drift.cluster import cluster_drift
from repair.drift.mmd import mmd2_unbiased, mmd_drift, pca_projector
from repair.drift.prediction import prediction_drift
from repair.drift.report import DriftSettings, compare_embeddings, parse_methods
from repair.drift.scenario import gaussian_blur_3x3, scale_brightness, three_weeks
from repair.drift.stats import js_distance, permutation_p_value
from repair.errors import ConfigError


def _gaussians(shift: float, n: int = 200, m: int = 150, d: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)) + shift


def test_mmd2_unbiased_matches_the_definition() -> None:
    """Lemma 6 of Gretton et al. written out as sums over pairs i != j."""
    a, b = _gaussians(0.5, n=7, m=5, d=3)
    pooled = np.concatenate([a, b])
    kernel = np.exp(-cdist(pooled, pooled, "sqeuclidean") / 2.0)
    k_aa, k_bb, k_ab = kernel[:7, :7], kernel[7:, 7:], kernel[:7, 7:]
    expected = (
        (k_aa.sum() - np.trace(k_aa)) / (7 * 6)
        + (k_bb.sum() - np.trace(k_bb)) / (5 * 4)
        - 2 * k_ab.mean()
    )
    indicator = np.r_[np.ones(7), np.zeros(5)][:, None]
    assert mmd2_unbiased(kernel, indicator)[0] == pytest.approx(expected)


def test_js_distance_and_p_value() -> None:
    assert js_distance(np.array([5, 5]), np.array([1, 1])) == pytest.approx(0.0)
    assert js_distance(np.array([1, 0]), np.array([0, 1])) == pytest.approx(1.0)
    assert permutation_p_value(0.5, np.array([0.1, 0.2, 0.6])) == pytest.approx(0.5)
    assert permutation_p_value(1.0, np.zeros(99)) == pytest.approx(0.01)


def test_mmd_finds_a_shift_and_not_its_absence() -> None:
    same = mmd_drift(*_gaussians(0.0), permutations=200, seed=1)
    moved = mmd_drift(*_gaussians(0.5), permutations=200, seed=1)
    assert not same.drift and same.p_value > 0.05
    assert moved.drift and moved.p_value < 0.01 and moved.score > moved.threshold
    assert mmd_drift(*_gaussians(0.5), permutations=200, seed=1) == moved  # same seed, same test


def test_mmd_subsamples_and_projects_wide_embeddings() -> None:
    rng = np.random.default_rng(0)
    wide_a, wide_b = rng.normal(size=(300, 120)), rng.normal(size=(250, 120)) + 0.3
    test = mmd_drift(wide_a, wide_b, permutations=50, seed=0, max_samples=100)
    assert test.settings["dimensions"] == 100 and test.settings["input_dimensions"] == 120
    assert test.settings["subsampled"] and test.settings["baseline_samples"] == 100
    assert test.drift
    assert pca_projector(wide_a[:, :10], 100, 0)(wide_b[:, :10]).shape == (250, 10)


def test_classifier_auc_and_permutation_bound() -> None:
    same = classifier_drift(*_gaussians(0.0), permutations=10, seed=0)
    moved = classifier_drift(*_gaussians(1.0), permutations=10, seed=0)
    assert same.score < 0.6 and not same.drift and same.threshold >= 0.55
    assert moved.score > 0.9 and moved.drift and moved.p_value == pytest.approx(1 / 11)


def test_cluster_rows_say_where_the_current_set_went() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = np.repeat([0, 1, 2], 100)
    baseline = centres[labels] + rng.normal(scale=0.5, size=(300, 2))
    current = centres[[0] * 120 + [2] * 30] + rng.normal(scale=0.5, size=(150, 2))
    wrong_b = np.r_[np.zeros(120, bool), np.ones(30, bool)]
    test, rows = cluster_drift(
        baseline,
        current,
        clusters=3,
        permutations=100,
        seed=0,
        baseline_labels=labels,
        baseline_wrong=np.zeros(300, bool),
        current_wrong=wrong_b,
    )
    assert test.drift
    by_label = {row.majority_label: row for row in rows}
    assert by_label[1].current_count == 0 and by_label[1].current_error_rate is None
    assert by_label[0].current_share == pytest.approx(0.8)
    assert by_label[2].current_error_rate == pytest.approx(1.0)
    assert all(row.majority_purity == 1.0 for row in rows)


def test_prediction_drift_sees_a_new_mix() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 4, 400)
    assert not prediction_drift(base, rng.integers(0, 4, 300), 4, permutations=200, seed=0).drift
    assert prediction_drift(base, np.zeros(300, int), 4, permutations=200, seed=0).drift


def test_compare_embeddings_is_reproducible_and_ranks_labels() -> None:
    rng = np.random.default_rng(0)
    true_a, true_b = rng.integers(0, 3, 300), rng.integers(0, 3, 200)
    a = rng.normal(size=(300, 6)) + true_a[:, None]
    b = rng.normal(size=(200, 6)) + true_b[:, None] + 1.5 * (true_b == 2)[:, None]
    pred_b = np.where((true_b == 2) & (rng.random(200) < 0.5), 1, true_b)
    kwargs = dict(
        baseline_true=true_a,
        baseline_predicted=true_a,
        current_true=true_b,
        current_predicted=pred_b,
        num_classes=3,
        settings=DriftSettings(clusters=4, permutations=20, random_state=3),
    )
    first, second = compare_embeddings(a, b, **kwargs), compare_embeddings(a, b, **kwargs)
    assert {k: t.to_dict() for k, t in first.tests.items()} == {
        k: t.to_dict() for k, t in second.tests.items()
    }
    assert first.labels == second.labels and first.clusters == second.clusters
    assert 2 in first.drifted_labels  # the others drift only by chance (5 % each)
    assert [row.label for row in first.suggestions()] == [2]  # the only label that lost accuracy


def test_methods_option() -> None:
    assert parse_methods("mmd, cluster") == ("cluster", "mmd")
    with pytest.raises(ConfigError, match="--methods"):
        parse_methods("cluster,kmeans")
    with pytest.raises(ConfigError, match="--clusters"):
        DriftSettings(clusters=1)


def test_scenario_transforms() -> None:
    rng = np.random.default_rng(0)
    images = rng.random((4, 8, 8, 1)).astype(np.float32)
    flat = np.full((2, 8, 8, 1), 0.7, np.float32)
    assert np.allclose(gaussian_blur_3x3(flat, np.array([0.5, 2.0])), 0.7)
    assert np.allclose(gaussian_blur_3x3(images, np.full(4, 0.05)), images, atol=1e-4)
    blurred = gaussian_blur_3x3(images, np.full(4, 2.0))
    assert blurred.std() < images.std() and np.isclose(blurred.mean(), images.mean(), atol=0.05)
    assert np.allclose(scale_brightness(images, np.full(4, 0.5)), images / 2)
    weeks = three_weeks(images, seed=0)
    assert np.array_equal(weeks["week1"], images)
    ratio = weeks["week3"].sum(axis=(1, 2, 3)) / images.sum(axis=(1, 2, 3))
    assert np.all((ratio >= 0.4) & (ratio <= 0.6))
