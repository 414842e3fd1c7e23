"""``classifier``: can a model tell the two sets apart? (cross-validated ROC AUC)

A logistic regression is trained to say "current" vs "baseline".

An AUC of 0.5 means the sets look alike; monitoring tools report drift above 0.55. With small
sets a classifier reaches more than that by chance, so the threshold is the larger of 0.55 and
the 95th percentile of the AUCs it reaches when the set labels are shuffled (scikit-learn's
``permutation_test_score``, which also gives the p-value).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, permutation_test_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from repair.drift.stats import DriftTest, null_threshold, subsample_sets

FLOOR = 0.55  # the usual default of monitoring tools
FOLDS = 5
MAX_SAMPLES = 2500  # per set: the fits repeat once per permutation
MAX_PERMUTATIONS = 20  # each permutation costs FOLDS fits


def classifier_drift(
    baseline: np.ndarray,
    current: np.ndarray,
    *,
    permutations: int,
    seed: int,
    floor: float = FLOOR,
    max_samples: int = MAX_SAMPLES,
) -> DriftTest:
    """Mean ROC AUC over ``FOLDS`` stratified folds of a standardised logistic regression on
    ``baseline`` (n, d) vs ``current`` (m, d); permutations are capped at ``MAX_PERMUTATIONS``."""
    rng = np.random.default_rng(seed)
    a, b, sampled = subsample_sets(baseline, current, max_samples, rng)
    features = np.concatenate([a, b])
    target = np.concatenate([np.zeros(len(a), int), np.ones(len(b), int)])
    folds = min(FOLDS, len(a), len(b))
    # liblinear: deterministic, and several times faster than lbfgs on these small problems
    model = make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear", max_iter=500))
    rounds = min(permutations, MAX_PERMUTATIONS)
    score, null, p_value = permutation_test_score(
        model,
        features,
        target,
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        scoring="roc_auc",
        n_permutations=rounds,
        random_state=seed,
    )
    settings = {
        "model": "logistic regression (liblinear, standardised features)",
        "folds": folds,
        **sampled,
        "permutations": rounds,
        "random_state": seed,
        "floor": floor,
    }
    return DriftTest("classifier", float(score), null_threshold(null, floor), p_value, settings)
