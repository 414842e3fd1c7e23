"""Existence rate, miss rates and their product, each with a Wilson interval; pure functions.

The reference toolkit's ``risk_calculation_tool`` reports the existence rate of a query (the
share of a split's images whose frame matches it) and each class's misrecognised rate over the
matched images. Here the risk of class ``c`` under the query is their product,
``existence_rate * misrecognized_rate[c]``: the chance that an image is in the condition and
that the model then misses its class.

Each rate carries its Wilson 95 % interval. The product's interval multiplies the two rates'
Wilson bounds taken at 97.5 % each: both intervals hold at once with probability at least
95 % (Bonferroni, whatever their dependence), and the product is increasing in both rates, so
the interval of the product covers it at 95 % or more. It is conservative: wider than needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from repair.variability.stats import Z95, wilson_interval

JOINT_ALPHA = 0.05
# Each of the two rates at 1 - 0.05 / 2 = 97.5 %: the z of a two-sided 97.5 % interval.
Z_PRODUCT = NormalDist().inv_cdf(1.0 - JOINT_ALPHA / 4)
INTERVAL_NOTE = (
    "rates: Wilson 95% intervals; risk: product of the rates' Wilson 97.5% bounds "
    "(Bonferroni), a conservative interval covering the product at >= 95%"
)


@dataclass(frozen=True)
class Rate:
    """``count`` of ``total`` as a fraction, with its Wilson interval at ``z`` (fractions)."""

    count: int
    total: int
    z: float = Z95

    @property
    def value(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        low, high = wilson_interval(self.count, self.total, self.z)
        return low / 100.0, high / 100.0

    def to_dict(self) -> dict[str, float | int]:
        low, high = self.interval
        return {"count": self.count, "total": self.total, "rate": self.value,
                "low": low, "high": high}  # fmt: skip


@dataclass(frozen=True)
class RiskRow:
    """One class under the query: its miss rate over the matched images and its risk."""

    label: int
    name: str
    existence: Rate
    misrecognized: Rate

    @property
    def risk(self) -> float:
        return self.existence.value * self.misrecognized.value

    @property
    def risk_interval(self) -> tuple[float, float]:
        """Product of the rates' Wilson bounds at :data:`Z_PRODUCT` (see the module)."""
        e_low, e_high = Rate(self.existence.count, self.existence.total, Z_PRODUCT).interval
        m_low, m_high = Rate(self.misrecognized.count, self.misrecognized.total, Z_PRODUCT).interval
        return e_low * m_low, e_high * m_high

    def to_dict(self) -> dict[str, object]:
        low, high = self.risk_interval
        return {"name": self.name, "misrecognized_rate": self.misrecognized.to_dict(),
                "risk": {"value": self.risk, "low": low, "high": high}}  # fmt: skip


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


def risk_rows(
    total: int, matched: int, confusion: np.ndarray, class_names: Sequence[str]
) -> list[RiskRow]:
    """A :class:`RiskRow` per class with matched images: existence ``matched / total``, miss
    rate from its row of ``confusion`` (over the matched images)."""
    existence = Rate(matched, total)
    rows = []
    for label, row in enumerate(np.asarray(confusion)):
        count = int(row.sum())
        if count:
            missed = Rate(count - int(row[label]), count)
            rows.append(RiskRow(label, class_names[label], existence, missed))
    return rows


def risk_json(rows: Sequence[RiskRow], total: int, matched: int) -> dict[str, object]:
    """The ``risk`` entry of results.json: the interval method, the existence rate and, per
    class index (as text), its miss rate and risk."""
    return {
        "interval": INTERVAL_NOTE,
        "existence_rate": Rate(matched, total).to_dict(),
        "classes": {str(row.label): row.to_dict() for row in rows},
    }


def _percent(value: float) -> str:
    return f"{100.0 * value:.2f}%"


def _span(low: float, high: float) -> str:
    return f"[{100.0 * low:.2f}, {100.0 * high:.2f}]"


def risk_table(rows: Sequence[RiskRow]) -> str:
    """A Markdown table: label, name, existence, matched images and misses, miss rate and risk,
    each with its interval (percent)."""
    lines = [
        "| label | name | existence | 95% CI | images | missed | miss rate | 95% CI "
        "| risk | CI (>=95%) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        e, m = row.existence, row.misrecognized
        lines.append(
            f"| {row.label} | {row.name} | {_percent(e.value)} | {_span(*e.interval)} "
            f"| {m.total} | {m.count} | {_percent(m.value)} | {_span(*m.interval)} "
            f"| {_percent(row.risk)} | {_span(*row.risk_interval)} |"
        )
    return "\n".join(lines)
