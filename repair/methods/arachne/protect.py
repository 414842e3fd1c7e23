"""Requirement-aware search (``--protect``) and per-label weights (``--label_weights``).

A protected requirement is read in the grammar of ``utils compare --require`` (one parser,
:mod:`repair.core.requirements`), on the repair data the search sees: accuracy per label and
overall of each patch against the original weights. The fitness (:class:`.scores.Objective`)
turns any violation into a score below every patch that keeps them all. After the search the
kept patch is checked once more on held-out data (``--validation_data``), with the real model.
Plain NumPy, apart from :func:`validation_failures`, which predicts with the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from repair.core.conditions import (
    check_conditions,
    condition_mask,
    is_condition,
    parse_conditions,
    string_keys,
)
from repair.core.label_results import compare_results, find_label
from repair.core.requirements import Requirement, RequirementResult, check_requirements
from repair.core.results import LabelScore, label_scores
from repair.core.run_files import SPLIT_FILENAME
from repair.errors import ConfigError, InputNotFoundError
from repair.methods.arachne.scores import SetResults

SEARCH_INPUTS = "the search's inputs (negative/ and positive/ repair.h5)"


def scores_from_counts(
    correct: np.ndarray, totals: np.ndarray, names: Sequence[str]
) -> list[LabelScore]:
    """LabelScores (labels with inputs only) from correct (K,) and total (K,) counts."""
    return [
        LabelScore(int(k), names[k], int(correct[k]), int(totals[k]))
        for k in np.flatnonzero(totals)
    ]


def failed(results: Sequence[RequirementResult]) -> list[RequirementResult]:
    return [result for result in results if not result.passed]


def describe_failures(results: Sequence[RequirementResult]) -> str:
    """``'car>=90' (car accuracy >= 90%: got 85.00%)``, joined by ``; ``."""
    return "; ".join(f"'{r.requirement}' ({r.describe()})" for r in results)


def stratum_masks(
    requirements: Sequence[Requirement], columns: Mapping[str, np.ndarray], size: int, where: str
) -> dict[str, np.ndarray]:
    """Per condition selector (``pedestrian@timeofday=night>=70``), the (size,) mask of the
    inputs in that condition; ``columns``: per-image keys of the inputs, in their order.

    Only conditions can be protected: the search's data holds no audit strata."""
    masks = {}
    for requirement in requirements:
        stratum = requirement.stratum
        if stratum is None or stratum in masks:
            continue
        if not is_condition(stratum):
            raise ConfigError(
                f"--protect {requirement}: the search reads its own inputs, not an audit; "
                "protect a condition of their per-image keys, e.g. pedestrian@timeofday=night>=70"
            )
        option = f"--protect {requirement}:"
        conditions = parse_conditions(stratum, option)
        check_conditions(conditions, columns, where, option)
        masks[stratum] = condition_mask(conditions, columns, size)
    return masks


def input_columns(*parts: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The per-image string keys every part has, concatenated in order (negatives, positives)."""
    keys = set.intersection(*(set(string_keys(part)) for part in parts)) if parts else set()
    return {
        key: np.concatenate([np.asarray(part[key], dtype=object) for part in parts]) for key in keys
    }


class RequirementGuard:
    """How far each particle is from keeping the protected requirements, on the search's data.

    labels_neg (Nn,), labels_pos (Np,): true classes; original: the unpatched model's results on
    both sets (one particle), the "before" of every relative requirement; columns: per-image
    string keys of the Nn + Np inputs, for condition selectors (``car@timeofday=night>=70``).
    """

    def __init__(
        self,
        requirements: Sequence[Requirement],
        labels_neg: np.ndarray,
        labels_pos: np.ndarray,
        names: Sequence[str],
        original: tuple[SetResults, SetResults],
        columns: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.requirements = list(requirements)
        self.names = list(names)
        labels = np.concatenate([labels_neg, labels_pos])
        one_hot = np.eye(len(self.names), dtype=np.int64)[labels]  # (N, K)
        masks = stratum_masks(self.requirements, columns or {}, len(labels), SEARCH_INPUTS)
        # None: every input; a stratum: its inputs only.
        self.one_hot = {None: one_hot} | {k: one_hot * m[:, None] for k, m in masks.items()}
        self.totals = {k: matrix.sum(axis=0) for k, matrix in self.one_hot.items()}
        self.before = self._scores(self._counts(*original), 0)
        self.check(self.before)  # an unknown label name fails here, before any search

    def _counts(self, negatives: SetResults, positives: SetResults) -> dict:
        correct = np.concatenate([negatives.correct, positives.correct], axis=1)
        return {k: correct.astype(np.int64) @ matrix for k, matrix in self.one_hot.items()}

    def _scores(self, counts: dict, particle: int) -> dict[str | None, list[LabelScore]]:
        return {
            k: scores_from_counts(rows[particle], self.totals[k], self.names)
            for k, rows in counts.items()
        }

    def check(self, after: dict[str | None, list[LabelScore]]) -> list[RequirementResult]:
        strata = {k: compare_results(self.before[k], after[k]) for k in after if k is not None}
        return check_requirements(
            self.requirements, compare_results(self.before[None], after[None]), strata.get
        )

    def results(
        self, negatives: SetResults, positives: SetResults
    ) -> list[list[RequirementResult]]:
        """Per particle, every requirement's verdict."""
        counts = self._counts(negatives, positives)
        return [self.check(self._scores(counts, p)) for p in range(len(counts[None]))]

    def __call__(self, negatives: SetResults, positives: SetResults) -> np.ndarray:
        """Violation (P,): 0 when every requirement holds, else the number broken plus the
        points they miss by (/100), so that the search still moves toward keeping them."""
        violation = []
        for verdicts in self.results(negatives, positives):
            broken = failed(verdicts)
            gaps = [
                100.0 if r.actual is None else abs(r.actual - r.requirement.value) for r in broken
            ]
            violation.append(len(broken) + sum(gaps) / 100.0)
        return np.asarray(violation, dtype=np.float64)


def label_index(text: str, names: Sequence[str]) -> int:
    """The label named ``text`` (class name, case-insensitive, or index); ConfigError if none."""
    scores = [LabelScore(k, name, 0, 0) for k, name in enumerate(names)]
    found = find_label(scores, text)
    if found is None:
        raise ConfigError(
            f"--label_weights names an unknown label {text!r}. Known: {', '.join(names)}"
        )
    return found.label


def input_weights(
    pairs: Sequence[tuple[str, float]], names: Sequence[str], labels: np.ndarray
) -> np.ndarray:
    """(N,) float64 weight of each input from its label (1 for labels not named)."""
    per_label = np.ones(len(names), dtype=np.float64)
    for name, weight in pairs:
        per_label[label_index(name, names)] = weight
    return per_label[labels]


def validation_path(text: str) -> Path:
    """``text`` as a split file, or the ``repair.h5`` in the folder it names."""
    path = Path(text)
    if path.is_dir():
        path = path / SPLIT_FILENAME
    if not path.is_file():
        raise InputNotFoundError(f"--validation_data: no split file at {path}")
    return path


def check_validation_strata(requirements: Sequence[Requirement], path: Path) -> None:
    """Refuse, before any search, a protected condition the validation split cannot answer."""
    from repair.core.data import SplitReader

    with SplitReader(path) as reader:
        stratum_masks(requirements, reader.extras(), len(reader), str(path))


def validation_failures(
    requirements: Sequence[Requirement],
    original: object,
    repaired: object,
    path: Path,
    batch_size: int,
) -> list[RequirementResult]:
    """The protected requirements ``repaired`` breaks on the split at ``path`` (before: the
    ``original`` model on the same split)."""
    from repair.core.data import SplitReader
    from repair.core.model import predict_split

    with SplitReader(path) as reader:
        info = reader.info
        masks = stratum_masks(requirements, reader.extras(), len(reader), str(path))
        before = predict_split(original, reader, batch_size, "validate original")
        after = predict_split(repaired, reader, batch_size, "validate repaired")
    names = [info.class_name(k) for k in range(info.num_classes)]

    def compare(mask: np.ndarray | slice) -> object:
        return compare_results(
            label_scores(before.true[mask], before.predicted[mask], info.num_classes, names),
            label_scores(after.true[mask], after.predicted[mask], info.num_classes, names),
        )

    strata = {stratum: compare(mask) for stratum, mask in masks.items()}
    return failed(check_requirements(requirements, compare(slice(None)), strata.get))
