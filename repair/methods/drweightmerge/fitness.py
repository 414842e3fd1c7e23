"""DRWeightMerge's fitness: each label's accuracy and each type's misclassification rate, weighed.

As the reference's score: fitness = sum_l v_l * accuracy_l - 0.5 * sum_t w_t * rate_t, with v
(weights_precisions) and w (weights_misclassifications) each normalised to sum 1, so it lies in
[-0.5, 1]. ``accuracy_l`` is the share of every input of label l (negatives and positives)
classified correctly (the reference calls it the label's precision); ``rate_t`` is the share of
the inputs of type t's true label that still make type t's mistake, so fixing one input of a
type and breaking one of its label weigh alike, as upstream. Each input counts by the journal
version's per-input term (1 if correct, else 1 / (1 + loss); Arachne TOSEM 2023) rather than
0 or 1, so the swarm can climb between counts. Plain NumPy over Arachne's per-input results.
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

    neg_types: (N_neg, T) each type's negatives over its label's size; type_weights: (T,);
    neg_labels, pos_labels: (N, L) label means over all inputs of each weighed label;
    label_weights: (L,).
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
        every = np.concatenate([neg_true, positive_labels])
        weighed = sorted(label for label, w in settings.precisions.items() if w > 0)
        masks = np.array([every == label for label in weighed], dtype=bool).reshape(
            len(weighed), len(every)
        )
        label_means = _means(masks)
        # rate_t: type t's mistakes over every input of its true label (upstream's class count)
        sizes = np.array([max(1, int(np.sum(every == kind.true))) for kind in settings.types])
        types = type_masks(settings.types, neg_true, neg_predicted)
        return cls(
            neg_types=(types / sizes[:, None]).T.astype(np.float64),
            type_weights=np.array([kind.weight for kind in settings.types]),
            neg_labels=label_means[: len(neg_true)],
            pos_labels=label_means[len(neg_true) :],
            label_weights=np.array([settings.precisions[label] for label in weighed]),
        )

    def parts(self, negatives: SetResults, positives: SetResults) -> tuple[np.ndarray, ...]:
        """Per particle: each type's rate (P, T) and each weighed label's accuracy (P, L)."""
        neg, pos = per_input_terms(negatives), per_input_terms(positives)
        return (1.0 - neg) @ self.neg_types, neg @ self.neg_labels + pos @ self.pos_labels

    def __call__(self, negatives: SetResults, positives: SetResults) -> Scores:
        rates, accuracies = self.parts(negatives, positives)
        fitness = accuracies @ self.label_weights - 0.5 * (rates @ self.type_weights)
        return Scores(fitness, negatives.count, positives.count)
