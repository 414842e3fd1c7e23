"""Chart of the audit's condition strata: per-label accuracy by the values of one condition key.

One panel per model; in each, a group of bars per label (x) with one bar per value of the key
(``timeofday=daytime``, ``timeofday=night``, ...), height the accuracy in percent and the
number of images written above each bar, so a label that fails at night stands out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure, shorten
from repair.robustness.audit import CONDITION, AuditRow

PANEL_H = 300
HEAD_PX, FOOT_PX = 60, 110


def condition_table(
    rows: Sequence[AuditRow], key: str, model: str, file: str
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """(label names, values, accuracy (L, V) percent with NaN where empty, counts (L, V)) of
    ``model`` on ``file`` for the condition ``key``, from per-label audit rows."""
    mine = [
        r
        for r in rows
        if r.model == model
        and r.file == file
        and r.label is not None
        and r.stratum.category == CONDITION
        and r.stratum.kind.partition("=")[0] == key
    ]
    labels = sorted({(r.label, r.name) for r in mine})
    values = sorted({r.stratum.kind.partition("=")[2] for r in mine})
    accuracy = np.full((len(labels), len(values)), np.nan)
    counts = np.zeros((len(labels), len(values)), dtype=np.int64)
    for r in mine:
        i, j = labels.index((r.label, r.name)), values.index(r.stratum.kind.partition("=")[2])
        accuracy[i, j], counts[i, j] = r.accuracy, r.n
    return [name or str(label) for label, name in labels], values, accuracy, counts


def accuracy_by_condition(
    rows: Sequence[AuditRow], key: str, models: Sequence[str], file: str
) -> Figure:
    """Per-label accuracy on ``file`` by each value of condition ``key``, a panel per model."""
    tables = [condition_table(rows, key, model, file) for model in models]
    widest = max((len(t[0]) * max(len(t[1]), 1) for t in tables), default=1)
    width = max(640, 26 * widest + 140)
    figure = new_figure(width, PANEL_H * len(models) + HEAD_PX + FOOT_PX)
    figure.suptitle(f"Accuracy per label by {key} ({shorten(file, 40)})", fontsize=TITLE_SIZE)
    height = figure.get_figheight() * figure.dpi
    figure.subplots_adjust(
        left=0.08, right=0.98, top=1 - HEAD_PX / height, bottom=FOOT_PX / height, hspace=0.7
    )
    for position, (model, (labels, values, accuracy, counts)) in enumerate(
        zip(models, tables, strict=True)
    ):
        ax = figure.add_subplot(len(models), 1, position + 1)
        step = 0.8 / max(len(values), 1)
        for j, value in enumerate(values):
            x = np.arange(len(labels)) - 0.4 + step * (j + 0.5)
            bars = ax.bar(x, np.nan_to_num(accuracy[:, j]), step * 0.95, label=f"{key}={value}")
            for bar, n in zip(bars, counts[:, j], strict=True):
                if n:
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1, str(n),
                            ha="center", va="bottom", fontsize=6)  # fmt: skip
        ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=30, ha="right")
        ax.set_ylim(0, 110)
        ax.set_ylabel("accuracy (%)", fontsize=9)
        ax.set_title(shorten(model, 60), fontsize=LABEL_SIZE)
        ax.grid(True, axis="y", color="0.9")
        ax.tick_params(labelsize=8)
    if figure.axes:
        handles, names = figure.axes[0].get_legend_handles_labels()
        figure.legend(handles, names, loc="lower center", ncol=min(len(names), 5), frameon=False)
    return figure
