"""Existence rate, miss rate and their product, the risk, each with a Wilson 95 % interval.

The reference toolkit's ``risk_calculation_tool`` reports the existence rate of a query (the
share of all images whose label and frame match it) and each class's misrecognised rate over
the matched images. Here, per class ``c``, the existence rate is what the reference reports for
the query with ``--label c`` (images of ``c`` in the condition / all images), and the risk is

    risk[c] = existence_rate[c] * misrecognized_rate[c]
            = (matched[c] / total) * (missed[c] / matched[c]) = missed[c] / total,

the chance that an image is of class ``c``, in the condition, and misrecognised. So the product
is itself a binomial proportion, and its interval is Wilson's on ``missed[c]`` of ``total``
(exact bookkeeping, not a product of bounds, which would be wider). Pure functions over counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from repair.core.stats import wilson_interval

INTERVAL_NOTE = (
    "Wilson 95% intervals; risk = existence_rate x misrecognized_rate = misrecognized images "
    "of the class in the condition / all images, its interval Wilson's on that count"
)


@dataclass(frozen=True)
class Rate:
    """``count`` of ``total`` as a fraction, with its Wilson 95 % interval (fractions)."""

    count: int
    total: int

    @property
    def value(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        low, high = wilson_interval(self.count, self.total)
        return round(low / 100.0, 11), round(high / 100.0, 11)  # no float noise in the JSON

    def to_dict(self) -> dict[str, float | int]:
        low, high = self.interval
        return {"count": self.count, "total": self.total, "rate": self.value,
                "low": low, "high": high}  # fmt: skip


@dataclass(frozen=True)
class RiskRow:
    """One class under the query: its existence rate (its matched images of all images), its
    miss rate over the matched images, and their product."""

    label: int
    name: str
    existence: Rate
    misrecognized: Rate

    @property
    def risk(self) -> Rate:
        """Misrecognised images of the class in the condition, of all images (the product)."""
        return Rate(self.misrecognized.count, self.existence.total)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "existence_rate": self.existence.to_dict(),
                "misrecognized_rate": self.misrecognized.to_dict(),
                "risk": self.risk.to_dict()}  # fmt: skip


def scene_prob_summary(total: int, matched: int) -> dict[str, dict[str, float | int]]:
    """The reference's ``scene_prob``: images in total, matched to the query, and their share."""
    return {
        "summary": {
            "total_image_count": total,
            "image_count_matched_to_query": matched,
            "existence_rate": matched / total if total else 0.0,
        }
    }


def confusion_counts(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) int counts, row = true label, column = predicted label."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(true, np.int64), np.asarray(predicted, np.int64)), 1)
    return counts


def miss_rate_summary(confusion: np.ndarray) -> dict[str, object]:
    """The reference's ``miss_rate``: per true label (key: its index as text) the images, the
    misrecognised ones and their share (0 when the label has none), and the matrix itself."""
    summary = {}
    for label, row in enumerate(np.asarray(confusion)):
        total, correct = int(row.sum()), int(row[label])
        summary[str(label)] = {
            "total_image_count": total,
            "misrecognized_image_count": total - correct,
            "misrecognized_rate": (total - correct) / total if total else 0,
        }
    return {"summary": summary, "confusion_matrix": np.asarray(confusion).astype(int).tolist()}


def risk_rows(total: int, confusion: np.ndarray, class_names: Sequence[str]) -> list[RiskRow]:
    """A :class:`RiskRow` per class with matched images; ``confusion`` (K, K) counts the
    matched images, ``total`` every image."""
    rows = []
    for label, row in enumerate(np.asarray(confusion)):
        matched = int(row.sum())
        if matched:
            missed = Rate(matched - int(row[label]), matched)
            rows.append(RiskRow(label, class_names[label], Rate(matched, total), missed))
    return rows


def risk_json(rows: Sequence[RiskRow]) -> dict[str, object]:
    """The ``risk`` entry of results.json: how the intervals are made and, per class index (as
    text), its existence rate, miss rate and risk, each ``{count, total, rate, low, high}``."""
    return {"interval": INTERVAL_NOTE, "classes": {str(row.label): row.to_dict() for row in rows}}


def _percent(value: float) -> str:
    return f"{100.0 * value:.2f}%"


def _span(low: float, high: float) -> str:
    return f"[{100.0 * low:.2f}, {100.0 * high:.2f}]"


def risk_table(rows: Sequence[RiskRow]) -> str:
    """A Markdown table per class: images in the condition, existence rate, misses, miss rate
    and risk, each rate with its Wilson 95 % interval (percent)."""
    lines = [
        "| label | name | images | existence | 95% CI | missed | miss rate | 95% CI | risk "
        "| 95% CI |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        e, m, r = row.existence, row.misrecognized, row.risk
        lines.append(
            f"| {row.label} | {row.name} | {e.count} | {_percent(e.value)} | {_span(*e.interval)} "
            f"| {m.count} | {_percent(m.value)} | {_span(*m.interval)} "
            f"| {_percent(r.value)} | {_span(*r.interval)} |"
        )
    return "\n".join(lines)
