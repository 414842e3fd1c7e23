"""``prediction``: did the model's output change? JS distance of the predicted-label histograms.

The cheapest signal and the one closest to what the user sees: when the model starts to call
many more inputs "3", something moved, whether in the data or in the labels' mix.
"""

from __future__ import annotations

import numpy as np

from repair.drift.stats import DriftTest, histogram_test

FLOOR = 0.1  # a JS distance below this is a small change of the predicted mix


def prediction_drift(
    baseline_predicted: np.ndarray,
    current_predicted: np.ndarray,
    num_classes: int,
    *,
    permutations: int,
    seed: int,
    floor: float = FLOOR,
) -> DriftTest:
    """JS distance of the histograms of predicted labels (n,) and (m,) over ``num_classes``."""
    return histogram_test(
        np.asarray(baseline_predicted, dtype=np.int64),
        np.asarray(current_predicted, dtype=np.int64),
        num_classes,
        method="prediction",
        permutations=permutations,
        seed=seed,
        floor=floor,
    )
