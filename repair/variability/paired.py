"""Two models on the same inputs: per-label Wilson intervals, the change, McNemar's exact test.

McNemar's test runs on the inputs whose correctness changed.

A paired test is much sharper than comparing two intervals: the inputs both models get right
(or both wrong) say nothing about the change; only the ``fixed`` (wrong -> right) and
``broken`` (right -> wrong) ones do, and under "no real change" each of them went either way
with probability 1/2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from repair.core.label_results import OVERALL, Comparison, compare_results
from repair.core.results import LabelScore
from repair.core.stats import mcnemar_exact, wilson_interval


@dataclass(frozen=True)
class PairedRow:
    """One label (``label`` None: every input): counts before and after, fixed and broken."""

    label: int | None
    name: str
    n: int
    before: int
    after: int
    fixed: int
    broken: int

    @property
    def before_accuracy(self) -> float:
        return 100.0 * self.before / self.n if self.n else 0.0

    @property
    def after_accuracy(self) -> float:
        return 100.0 * self.after / self.n if self.n else 0.0

    @property
    def change(self) -> float:
        return self.after_accuracy - self.before_accuracy

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.fixed, self.broken)

    def to_dict(self) -> dict[str, object]:
        def interval(correct: int) -> list[float]:
            return [round(v, 4) for v in wilson_interval(correct, self.n)]

        return {
            "label": OVERALL if self.label is None else self.label,
            "name": self.name,
            "n": self.n,
            "before": {"correct": self.before, "accuracy": round(self.before_accuracy, 4),
                       "interval": interval(self.before)},
            "after": {"correct": self.after, "accuracy": round(self.after_accuracy, 4),
                      "interval": interval(self.after)},
            "change": round(self.change, 4),
            "fixed": self.fixed,
            "broken": self.broken,
            "p_value": self.p_value,
        }  # fmt: skip


def _row(label: int | None, name: str, before: np.ndarray, after: np.ndarray) -> PairedRow:
    return PairedRow(
        label, name, len(before), int(before.sum()), int(after.sum()),
        int(np.sum(~before & after)), int(np.sum(before & ~after)),
    )  # fmt: skip


def paired_rows(
    true: np.ndarray,
    before_correct: np.ndarray,
    after_correct: np.ndarray,
    class_names: Sequence[str] | None = None,
) -> list[PairedRow]:
    """One row per label present in ``true`` (label order), then the overall row; the three
    arrays are (n,) over the same inputs in the same order."""
    before_correct = np.asarray(before_correct, dtype=bool)
    after_correct = np.asarray(after_correct, dtype=bool)
    rows = []
    for label in np.unique(true):
        where = true == label
        name = class_names[label] if class_names and label < len(class_names) else str(label)
        rows.append(_row(int(label), name, before_correct[where], after_correct[where]))
    rows.append(_row(None, OVERALL, before_correct, after_correct))
    return rows


def as_comparison(rows: Sequence[PairedRow]) -> tuple[Comparison, Mapping[str, float]]:
    """The :class:`Comparison` of the counts (for ``--require``) and the p-value of every
    label, keyed by its index as text, and ``overall``."""
    labels = [row for row in rows if row.label is not None]

    def scores(side: str) -> list[LabelScore]:
        return [LabelScore(r.label, r.name, getattr(r, side), r.n) for r in labels]  # type: ignore[arg-type]

    p_values = {OVERALL if r.label is None else str(r.label): r.p_value for r in rows}
    return compare_results(scores("before"), scores("after")), p_values


def _interval(row: PairedRow, correct: int) -> str:
    low, high = wilson_interval(correct, row.n)
    return f"{100.0 * correct / row.n if row.n else 0.0:.2f}% [{low:.1f}, {high:.1f}]"


def format_paired(rows: Sequence[PairedRow]) -> str:
    """A Markdown table: label, name, n, before and after with their Wilson 95 % intervals,
    the change in points, fixed/broken inputs and McNemar's exact p-value."""
    lines = [
        "| label | name | n | before [95% CI] | after [95% CI] | change | fixed | broken | p |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        label = OVERALL if row.label is None else str(row.label)
        name = "" if row.label is None else row.name
        lines.append(
            f"| {label} | {name} | {row.n} | {_interval(row, row.before)} "
            f"| {_interval(row, row.after)} | {row.change:+.2f} | {row.fixed} | {row.broken} "
            f"| {row.p_value:.3g} |"
        )
    return "\n".join(lines)
