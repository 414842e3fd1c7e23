"""What K models (seeds, or the repairs of one run folder) do on the same n inputs.

Everything starts from ``predictions`` (K, n) int class indices and ``true`` (n,) int labels.
Models that differ only in their seed disagree on many inputs; the inputs they disagree on point
at the data's problems (a label under-represented in training shows up among them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from repair.core.stats import Spread, binomial_noise, spread


def correctness(predictions: np.ndarray, true: np.ndarray) -> np.ndarray:
    """(K, n) bool: model k gets input i right."""
    predictions = np.asarray(predictions)
    if predictions.ndim != 2 or predictions.shape[1] != len(true):
        raise ValueError(f"predictions must be (K, {len(true)}); got {predictions.shape}")
    return predictions == np.asarray(true)[None, :]


@dataclass(frozen=True)
class AccuracySpread:
    """One label (or all inputs): n, accuracy per model (percent), their spread, and the
    binomial noise floor sqrt(p (1 - p) / n) at the mean accuracy, for comparison with std."""

    name: str
    n: int
    accuracies: tuple[float, ...]
    spread: Spread
    noise_floor: float

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "n": self.n,
            "accuracies": [round(a, 4) for a in self.accuracies],
            **{k: v for k, v in self.spread.to_dict().items() if k not in ("low", "high")},
            "noise_floor": round(self.noise_floor, 4),
        }


def accuracy_spread(correct: np.ndarray, name: str) -> AccuracySpread:
    """The :class:`AccuracySpread` of a (K, n) correctness matrix (n >= 1)."""
    accuracies = 100.0 * correct.mean(axis=1)
    summary = spread(accuracies.tolist())
    assert summary is not None
    return AccuracySpread(
        name, correct.shape[1], tuple(accuracies.tolist()), summary,
        binomial_noise(summary.mean, correct.shape[1]),
    )  # fmt: skip


def label_spreads(
    correct: np.ndarray, true: np.ndarray, class_names: Sequence[str] | None = None
) -> list[tuple[int, AccuracySpread]]:
    """(label, spread) for every label present in ``true``, in label order."""
    out = []
    for label in np.unique(true):
        name = class_names[label] if class_names and label < len(class_names) else str(label)
        out.append((int(label), accuracy_spread(correct[:, true == label], name)))
    return out


def _class_counts(predictions: np.ndarray, classes: int) -> np.ndarray:
    """(n, classes): how many of the K models predict each class for each input."""
    k, n = predictions.shape
    counts = np.zeros((n, classes), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), k), predictions.T.ravel()), 1)
    return counts


def _disagreement(counts: np.ndarray, k: int) -> np.ndarray:
    """(n,) share of the K (K - 1) / 2 model pairs that label each input differently."""
    pairs = k * (k - 1) // 2
    if pairs == 0:
        return np.zeros(len(counts))
    return (pairs - (counts * (counts - 1) // 2).sum(axis=1)) / pairs


def mean_pairwise_disagreement(predictions: np.ndarray) -> float:
    """The share of inputs two models label differently, averaged over all K (K - 1) / 2 pairs
    (0 for one model). Counted per input from the class counts, so it costs O(K n)."""
    k, n = predictions.shape
    if n == 0:
        return 0.0
    counts = _class_counts(predictions, int(predictions.max()) + 1)
    return float(np.mean(_disagreement(counts, k)))


@dataclass(frozen=True)
class PerInput:
    """Per input (n,): correct count out of K, majority prediction and its share, the share of
    model pairs that disagree on it; ``order`` lists the inputs most unstable first."""

    correct_count: np.ndarray
    majority: np.ndarray
    majority_share: np.ndarray
    disagreement: np.ndarray
    order: np.ndarray


def per_input(predictions: np.ndarray, true: np.ndarray) -> PerInput:
    """Count, majority, disagreement and the instability order of every input.

    Most unstable first: by the share of model pairs that label the input differently (an
    input every model gets wrong in different ways is unstable too), then by how far its correct
    count is from unanimity (min(c, K - c)), then by position, so the order is deterministic.
    """
    k, n = predictions.shape
    correct_count = correctness(predictions, true).sum(axis=0)
    classes = int(max(predictions.max(initial=0), np.max(true, initial=0))) + 1
    counts = _class_counts(predictions, classes)
    disagreement = _disagreement(counts, k)
    distance = np.minimum(correct_count, k - correct_count)
    order = np.lexsort((np.arange(n), -distance, -disagreement))
    return PerInput(
        correct_count, counts.argmax(axis=1), counts.max(axis=1) / k, disagreement, order
    )


def unstable_mask(correct: np.ndarray) -> np.ndarray:
    """(n,) bool: inputs correct in some models but not all."""
    count = correct.sum(axis=0)
    return (count > 0) & (count < correct.shape[0])


@dataclass(frozen=True)
class RunInvariants:
    """The repairs of one run folder against the original model, on one split (percent).

    ``fixed_in_all`` / ``fixed_in_any``: the original's negatives every / some repaired model
    gets right; ``broken_in_any``: the original's positives some repaired model gets wrong (the
    regression risk). Always fixed_in_all <= mean repair rate <= fixed_in_any and
    broken_in_any >= mean break rate.
    """

    negatives: int
    positives: int
    repair_rates: tuple[float, ...]
    break_rates: tuple[float, ...]
    fixed_in_all: float | None
    fixed_in_any: float | None
    broken_in_any: float | None

    def to_dict(self) -> dict[str, object]:
        def pct(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "negatives": self.negatives,
            "positives": self.positives,
            "repair_rates": [round(r, 4) for r in self.repair_rates],
            "break_rates": [round(r, 4) for r in self.break_rates],
            "mean_repair_rate": pct(_mean(self.repair_rates)),
            "mean_break_rate": pct(_mean(self.break_rates)),
            "fixed_in_all": pct(self.fixed_in_all),
            "fixed_in_any": pct(self.fixed_in_any),
            "broken_in_any": pct(self.broken_in_any),
        }


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _share(mask: np.ndarray) -> float | None:
    return 100.0 * float(np.mean(mask)) if mask.size else None


def run_invariants(
    original_correct: np.ndarray, repaired_correct: np.ndarray, negatives: np.ndarray | None = None
) -> RunInvariants:
    """Invariants of K repaired models (K, n) against the original (n,) on the same inputs.

    ``negatives`` (n,) bool: the original's mistakes that count as repair targets (default: all
    its mistakes; ``repair evaluate`` counts those of the repaired labels only).
    """
    original_correct = np.asarray(original_correct, dtype=bool)
    negatives = ~original_correct if negatives is None else np.asarray(negatives, dtype=bool)
    on_negatives = repaired_correct[:, negatives]
    on_positives = repaired_correct[:, original_correct]
    k = repaired_correct.shape[0]
    repair = tuple(100.0 * on_negatives.mean(axis=1)) if on_negatives.size else (0.0,) * 0
    broken = tuple(100.0 * (~on_positives).mean(axis=1)) if on_positives.size else ()
    return RunInvariants(
        int(negatives.sum()), int(original_correct.sum()),
        tuple(float(r) for r in repair), tuple(float(b) for b in broken),
        _share(on_negatives.all(axis=0)) if k else None,
        _share(on_negatives.any(axis=0)) if k else None,
        _share((~on_positives).any(axis=0)) if k else None,
    )  # fmt: skip
