"""DRWeightMerge's fitness: each type's fixed share and each label's accuracy, weighed.

fitness = sum_t w_t * share_t + sum_l v_l * accuracy_l, with w (weights_misclassifications) and
v (weights_precisions) each normalised to sum 1, so it lies in (0, 2]. ``share_t`` is the mean
over type t's negatives, and ``accuracy_l`` the mean over every input of label l (negatives and
positives), of the journal version's per-input term (1 if correct, else 1 / (1 + loss); Arachne
TOSEM 2023): a fixed input counts 1 as in the reference's rates, and the loss of the others lets
the swarm climb between counts. The reference's "precision" of a label is this accuracy (the
share of its inputs classified correctly). Plain NumPy over Arachne's per-input results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repair.methods.arachne.scores import Scores, SetResults, per_input_terms
from repair.methods.drweightmerge.settings import DRSettings, MisType


def type_masks(types: tuple[MisType, ...], labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(T, N) bool: which negatives (true ``labels``, originally ``predicted``) each type holds."""
    return np.array(
        [
            (labels == kind.true) & ((predicted == kind.predicted) | (kind.predicted is None))
            for kind in types
        ],
        dtype=bool,
    ).reshape(len(types), len(labels))


def _means(masks: np.ndarray) -> np.ndarray:
    """(N, K): each mask's column divided by its size (an empty mask's column stays 0)."""
    sizes = masks.sum(axis=1, keepdims=True)
    return (masks / np.maximum(sizes, 1)).T.astype(np.float64)


@dataclass(frozen=True)
class DRObjective:
    """The fitness of particles from Arachne's per-input results (see the module docstring).

    neg_types: (N_neg, T) type means; type_weights: (T,); neg_labels, pos_labels: (N, L) label
    means over all inputs of each weighed label; label_weights: (L,).
    """

    neg_types: np.ndarray
    type_weights: np.ndarray
    neg_labels: np.ndarray
    pos_labels: np.ndarray
    label_weights: np.ndarray

    @classmethod
    def build(
        cls,
        settings: DRSettings,
        negatives: tuple[np.ndarray, np.ndarray],
        positive_labels: np.ndarray,
    ) -> DRObjective:
        """negatives: true and originally predicted labels (N_neg,); positive_labels (N_pos,)."""
        neg_true, neg_predicted = negatives
        weighed = sorted(label for label, w in settings.precisions.items() if w > 0)
        every = np.concatenate([neg_true, positive_labels])
        masks = np.array([every == label for label in weighed], dtype=bool).reshape(
            len(weighed), len(every)
        )
        label_means = _means(masks)
        return cls(
            neg_types=_means(type_masks(settings.types, neg_true, neg_predicted)),
            type_weights=np.array([kind.weight for kind in settings.types]),
            neg_labels=label_means[: len(neg_true)],
            pos_labels=label_means[len(neg_true) :],
            label_weights=np.array([settings.precisions[label] for label in weighed]),
        )

    def parts(self, negatives: SetResults, positives: SetResults) -> tuple[np.ndarray, ...]:
        """Per particle: each type's share (P, T) and each weighed label's accuracy (P, L)."""
        neg, pos = per_input_terms(negatives), per_input_terms(positives)
        return neg @ self.neg_types, neg @ self.neg_labels + pos @ self.pos_labels

    def __call__(self, negatives: SetResults, positives: SetResults) -> Scores:
        shares, accuracies = self.parts(negatives, positives)
        fitness = shares @ self.type_weights + accuracies @ self.label_weights
        return Scores(fitness, negatives.count, positives.count)
