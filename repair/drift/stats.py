"""What every drift test returns, and the permutation machinery they share.

Every method reports a score, a permutation null distribution of that score (the two sets
pooled and split again at random), the permutation p-value, and a threshold: the larger of a
fixed floor (a minimum effect worth reporting) and the null's 1 - alpha quantile. Drift means
the score exceeds the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.distance import jensenshannon

ALPHA = 0.05


@dataclass(frozen=True)
class DriftTest:
    """One method's verdict on baseline vs current.

    score: the method's statistic; threshold: max(floor, null 1 - alpha quantile); p_value: the
    permutation p-value (None when the method has no null); settings: what was used, seed
    included, so the run can be repeated.
    """

    method: str
    score: float
    threshold: float
    p_value: float | None
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def drift(self) -> bool:
        return bool(self.score > self.threshold)

    def to_dict(self) -> dict[str, object]:
        return {
            "score": round(float(self.score), 6),
            "threshold": round(float(self.threshold), 6),
            "p_value": None if self.p_value is None else round(float(self.p_value), 6),
            "drift": self.drift,
            "settings": self.settings,
        }


def permutation_p_value(observed: float, null: np.ndarray) -> float:
    """(1 + #null >= observed) / (1 + #null): never 0, exact under exchangeability."""
    null = np.asarray(null, dtype=np.float64)
    return float((1 + np.count_nonzero(null >= observed - 1e-12)) / (1 + len(null)))


def null_threshold(null: np.ndarray, floor: float, alpha: float = ALPHA) -> float:
    """max(floor, the 1 - alpha quantile of the null scores)."""
    if len(null) == 0:
        return float(floor)
    return float(max(floor, np.quantile(np.asarray(null, dtype=np.float64), 1 - alpha)))


def js_distance(counts_a: np.ndarray, counts_b: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) of two histograms given as counts."""
    a = np.asarray(counts_a, dtype=np.float64)
    b = np.asarray(counts_b, dtype=np.float64)
    if a.sum() == 0 or b.sum() == 0:
        return 0.0
    return float(jensenshannon(a / a.sum(), b / b.sum(), base=2))


def histogram_test(
    codes_a: np.ndarray,
    codes_b: np.ndarray,
    bins: int,
    *,
    method: str,
    permutations: int,
    seed: int,
    floor: float,
) -> DriftTest:
    """JS distance of the histograms of two sets of category codes in ``[0, bins)``, with its
    permutation null (pooled codes dealt again into sets of the same sizes)."""
    score = js_distance(np.bincount(codes_a, minlength=bins), np.bincount(codes_b, minlength=bins))
    rng = np.random.default_rng(seed)
    pooled = np.concatenate([codes_a, codes_b])
    n = len(codes_a)
    null = np.empty(permutations)
    for k in range(permutations):
        shuffled = rng.permutation(pooled)
        null[k] = js_distance(
            np.bincount(shuffled[:n], minlength=bins), np.bincount(shuffled[n:], minlength=bins)
        )
    settings = {"permutations": permutations, "random_state": seed, "floor": floor, "alpha": ALPHA}
    return DriftTest(
        method, score, null_threshold(null, floor), permutation_p_value(score, null), settings
    )


def subsample(n: int, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of at most ``cap`` of ``n`` items drawn without replacement (all if fewer)."""
    if n <= cap:
        return np.arange(n)
    return np.sort(rng.choice(n, size=cap, replace=False))


def subsample_sets(
    baseline: np.ndarray, current: np.ndarray, cap: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, dict[str, object]]:
    """At most ``cap`` rows of each set (seeded), and the settings that say so."""
    keep_a = subsample(len(baseline), cap, rng)
    keep_b = subsample(len(current), cap, rng)
    settings = {
        "baseline_samples": len(keep_a),
        "current_samples": len(keep_b),
        "subsampled": bool(len(keep_a) < len(baseline) or len(keep_b) < len(current)),
    }
    return baseline[keep_a], current[keep_b], settings
