"""Summaries of a robustness audit's rows: mean accuracy per intensity, and the transfer matrix.

The transfer matrix says how adversarial examples made on one model fare on the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from repair.core.files import csv_text
from repair.robustness.audit import ADVERSARIAL, CLEAN, AuditRow, pooled

CORRUPTIONS = "corruptions"  # the group of every corruption in the means


def curve_rows(rows: Sequence[AuditRow], model: str) -> list[AuditRow]:
    """The rows that describe ``model`` itself: for adversarial strata, the examples made on
    the model (white-box) when the audit has them, else those made on any model."""
    mine = [row for row in rows if row.model == model]
    adversarial = [row for row in mine if row.stratum.category == ADVERSARIAL]
    white_box = [row for row in adversarial if row.stratum.source_model == model]
    if white_box:
        mine = [r for r in mine if r.stratum.category != ADVERSARIAL or r in white_box]
    return mine


@dataclass(frozen=True)
class MeanRow:
    """Mean accuracy of a model at one intensity of a group (``clean``, ``corruptions``, or an
    attack kind), unweighted over the kinds of the group; ``strata``: how many were averaged."""

    model: str
    group: str
    intensity: float
    accuracy: float
    strata: int

    @property
    def column(self) -> str:
        if self.group == CLEAN:
            return CLEAN
        return f"{self.group} {self.intensity:g}"

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "group": self.group,
            "intensity": self.intensity,
            "accuracy": round(self.accuracy, 4),
            "strata": self.strata,
        }


def mean_by_intensity(rows: Sequence[AuditRow], models: Sequence[str]) -> list[MeanRow]:
    """Per model: clean accuracy, the mean over corruptions at each intensity (each corruption
    pooled over its files first), and each attack's accuracy per eps (white-box when present)."""
    means = []
    for model in models:
        groups: dict[tuple[str, float], dict[str, list[AuditRow]]] = {}
        for row in curve_rows(rows, model):
            s = row.stratum
            group = {CLEAN: CLEAN, ADVERSARIAL: s.kind}.get(s.category, CORRUPTIONS)
            groups.setdefault((group, s.intensity), {}).setdefault(s.kind, []).append(row)
        for (group, intensity), kinds in groups.items():
            accuracies = []
            for kind_rows in kinds.values():
                n, correct = pooled(kind_rows)
                accuracies.append(100.0 * correct / n if n else 0.0)
            means.append(
                MeanRow(model, group, intensity, float(np.mean(accuracies)), len(accuracies))
            )
    order = {CLEAN: 0, CORRUPTIONS: 1}
    return sorted(
        means, key=lambda m: (models.index(m.model), order.get(m.group, 2), m.group, m.intensity)
    )


def format_means(means: Sequence[MeanRow], models: Sequence[str]) -> str:
    """A Markdown table: one row per model, one column per group and intensity."""
    columns = list(dict.fromkeys(m.column for m in means))
    cells = {(m.model, m.column): f"{m.accuracy:.2f}" for m in means}
    lines = [
        "| model | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for model in models:
        values = [cells.get((model, column), "-") for column in columns]
        lines.append(f"| {model} | " + " | ".join(values) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class TransferCell:
    """Accuracy of ``target`` on the examples of attack ``kind`` at ``eps`` made on ``source``."""

    kind: str
    eps: float
    source: str
    target: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.n if self.n else 0.0


def transfer_cells(rows: Sequence[AuditRow], models: Sequence[str]) -> list[TransferCell]:
    """Every (attack, eps, source model, target model) cell, when some adversarial examples
    were measured on a model other than the one they were made on; else an empty list."""
    adversarial = [r for r in rows if r.stratum.category == ADVERSARIAL]
    if not any(r.stratum.source_model != r.model for r in adversarial):
        return []
    groups: dict[tuple[str, float, str, str], list[AuditRow]] = {}
    for row in adversarial:
        s = row.stratum
        groups.setdefault((s.kind, s.intensity, s.source_model, row.model), []).append(row)
    cells = [TransferCell(*key, *pooled(group)) for key, group in groups.items()]
    rank = {name: i for i, name in enumerate(models)}
    return sorted(
        cells,
        key=lambda c: (c.kind, c.eps, rank.get(c.source, len(rank)), c.source, rank[c.target]),
    )


def transfer_csv(cells: Sequence[TransferCell], models: Sequence[str]) -> str:
    """``transfer.csv``: one row per (attack, eps, source model), one accuracy column per
    target model (empty where that model was not measured on those examples)."""
    table: dict[tuple[str, float, str], dict[str, float]] = {}
    for cell in cells:
        table.setdefault((cell.kind, cell.eps, cell.source), {})[cell.target] = cell.accuracy
    rows = [["attack", "eps", "source_model", *models]]
    for (kind, eps, source), values in table.items():
        accuracies = [f"{values[m]:.4f}" if m in values else "" for m in models]
        rows.append([kind, f"{eps:g}", source, *accuracies])
    return csv_text(rows)
