"""The per-label view: which labels' inputs moved, did their accuracy drop, what to repair next.

For each label: its count and share in both sets (label shift), an MMD test of its baseline
inputs against its current inputs (did the inputs of this label change?), and its accuracy in
both sets. The repair priority is accuracy drop x share in the current set x drift, where
drift is the within-label MMD (the square root of MMD^2_u, 0 when negative): a label the model
now gets wrong often, that is common in the new data and whose inputs changed comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from repair.drift.mmd import mmd_permutation
from repair.drift.stats import ALPHA, permutation_p_value, subsample

MIN_SAMPLES = 5  # per set, for a within-label test
MAX_LABEL_SAMPLES = 300  # per set and label, for the O(n^2) kernel


@dataclass(frozen=True)
class LabelRow:
    """One label. Shares are fractions of each set; accuracies are fractions, None where the set
    has no input of the label; drift_score (MMD^2_u) and drift_p_value are None where either
    set has fewer than MIN_SAMPLES inputs of the label."""

    label: int
    name: str
    baseline_count: int
    baseline_share: float
    current_count: int
    current_share: float
    share_change: float
    drift_score: float | None
    drift_p_value: float | None
    baseline_accuracy: float | None
    current_accuracy: float | None
    accuracy_change: float | None
    priority: float

    @property
    def drift(self) -> bool:
        return self.drift_p_value is not None and self.drift_p_value < ALPHA

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "drift": self.drift}


def _accuracy(true: np.ndarray, predicted: np.ndarray, label: int) -> float | None:
    members = true == label
    return float((predicted[members] == label).mean()) if members.any() else None


def priority(accuracy_drop: float, share: float, drift_score: float | None) -> float:
    """accuracy drop (fraction, 0 when it rose) x share in the current set x sqrt(MMD^2_u)."""
    if accuracy_drop <= 0 or not drift_score or drift_score <= 0:
        return 0.0
    return float(accuracy_drop * share * np.sqrt(drift_score))


def label_rows(
    baseline: np.ndarray,
    current: np.ndarray,
    *,
    baseline_true: np.ndarray,
    baseline_predicted: np.ndarray,
    current_true: np.ndarray,
    current_predicted: np.ndarray,
    class_names: Sequence[str],
    permutations: int,
    seed: int,
    project: Callable[[np.ndarray], np.ndarray],
) -> list[LabelRow]:
    """One :class:`LabelRow` per label present in either set, in label order.

    baseline (n, d) / current (m, d): embeddings; ``project`` maps them to the space the MMD
    runs in (see :func:`repair.drift.mmd.pca_projector`).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for label in np.union1d(baseline_true, current_true).tolist():
        in_a, in_b = baseline_true == label, current_true == label
        score = p_value = None
        if in_a.sum() >= MIN_SAMPLES and in_b.sum() >= MIN_SAMPLES:
            a, b = baseline[in_a], current[in_b]
            a = a[subsample(len(a), MAX_LABEL_SAMPLES, rng)]
            b = b[subsample(len(b), MAX_LABEL_SAMPLES, rng)]
            observed, null, _ = mmd_permutation(
                project(a), project(b), permutations=permutations, rng=rng
            )
            score, p_value = observed, permutation_p_value(observed, null)
        acc_a = _accuracy(baseline_true, baseline_predicted, label)
        acc_b = _accuracy(current_true, current_predicted, label)
        change = None if acc_a is None or acc_b is None else acc_b - acc_a
        share_a = float(in_a.mean()) if len(in_a) else 0.0
        share_b = float(in_b.mean()) if len(in_b) else 0.0
        rows.append(
            LabelRow(
                label=int(label),
                name=class_names[label] if label < len(class_names) else str(label),
                baseline_count=int(in_a.sum()),
                baseline_share=share_a,
                current_count=int(in_b.sum()),
                current_share=share_b,
                share_change=share_b - share_a,
                drift_score=score,
                drift_p_value=p_value,
                baseline_accuracy=acc_a,
                current_accuracy=acc_b,
                accuracy_change=change,
                priority=priority(-(change or 0.0), share_b, score),
            )
        )
    return rows


def ranked(rows: Sequence[LabelRow]) -> list[LabelRow]:
    """The labels to repair next, highest priority first: those whose inputs drifted and whose
    accuracy dropped. A drop without drift is not new: the baseline showed it already."""
    chosen = (r for r in rows if r.drift and r.priority > 0)
    return sorted(chosen, key=lambda r: (-r.priority, r.label))
