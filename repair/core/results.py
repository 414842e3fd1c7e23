"""Accuracy overall and per label, from true and predicted class indices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class LabelScore:
    """How a model does on the samples of one true label."""

    label: int
    name: str
    correct: int
    total: int

    @property
    def incorrect(self) -> int:
        return self.total - self.correct

    @property
    def accuracy(self) -> float:
        """Percent of this label's samples classified correctly (0 when there are none)."""
        return 100.0 * self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "accuracy": round(self.accuracy, 4)}


def overall_accuracy(true: np.ndarray, predicted: np.ndarray) -> float:
    """Percent of samples whose predicted index equals the true one (0 for no samples)."""
    return 100.0 * float(np.mean(true == predicted)) if len(true) else 0.0


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts: row = true label, column = predicted label."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def label_scores(
    true: np.ndarray,
    predicted: np.ndarray,
    num_classes: int,
    class_names: Sequence[str] | None = None,
) -> list[LabelScore]:
    """One :class:`LabelScore` per label present in ``true``, in label order."""
    totals = np.bincount(true, minlength=num_classes)
    correct = np.bincount(true[true == predicted], minlength=num_classes)
    return [
        LabelScore(
            label=int(label),
            name=class_names[label] if class_names and label < len(class_names) else str(label),
            correct=int(correct[label]),
            total=int(totals[label]),
        )
        for label in np.flatnonzero(totals)
    ]


def format_label_table(scores: Sequence[LabelScore]) -> str:
    """A Markdown table: label, name, correct, total, accuracy."""
    lines = ["| label | name | correct | total | accuracy |", "|---|---|---|---|---|"]
    lines += [
        f"| {s.label} | {s.name} | {s.correct} | {s.total} | {s.accuracy:.2f}% |" for s in scores
    ]
    return "\n".join(lines)
