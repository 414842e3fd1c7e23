"""Per-label scores and the confusion matrix."""

from __future__ import annotations

import numpy as np

from repair.core.results import confusion_matrix, label_scores, overall_accuracy


def test_label_scores_cover_present_labels_only() -> None:
    true = np.array([0, 0, 2, 2, 2])
    predicted = np.array([0, 1, 2, 0, 2])
    scores = label_scores(true, predicted, 3, ["a", "b", "c"])
    assert [(s.label, s.name, s.correct, s.total) for s in scores] == [
        (0, "a", 1, 2),
        (2, "c", 2, 3),
    ]
    assert round(scores[1].accuracy, 2) == 66.67
    assert overall_accuracy(true, predicted) == 60.0


def test_confusion_matrix_counts_absent_predicted_classes() -> None:
    counts = confusion_matrix(np.array([0, 0, 1]), np.array([2, 0, 2]), 3)
    assert counts.tolist() == [[1, 0, 1], [0, 0, 1], [0, 0, 0]]
