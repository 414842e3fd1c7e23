"""The confusion matrix as a bubble chart: true label (rows) against predicted label (columns).

Each row is normalised by its true label's sample count, so a bubble's area is the share of that
label's samples predicted as the column's class. Columns include every class the model predicted,
also classes absent from the data (the reference toolkit fails on those).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure

SIZE_PX = 800
CORRECT = "tab:green"
WRONG = "tab:red"
MIN_SHARE_SHOWN = 0.01


def _name(label: int, class_names: Sequence[str] | None) -> str:
    if class_names is None or label >= len(class_names) or class_names[label] == str(label):
        return str(label)
    return f"{class_names[label]} ({label})"


def bubble_axes(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (true labels present), columns (those and every predicted class) and shares.

    confusion: (K, K) counts, row = true, column = predicted. Returns rows (r,), columns (c,)
    and shares (r, c), each row of shares summing to 1.
    """
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1)
    rows = np.flatnonzero(totals)
    predicted = np.flatnonzero(confusion[rows].sum(axis=0))
    columns = np.union1d(rows, predicted)
    shares = confusion[np.ix_(rows, columns)] / totals[rows, None]
    return rows, columns, shares


def bubble_chart(
    confusion: np.ndarray, class_names: Sequence[str] | None, title: str
) -> Figure:
    """An 800x800-pixel bubble chart of ``confusion`` ((K, K) counts, row = true label)."""
    rows, columns, shares = bubble_axes(confusion)
    figure = new_figure(SIZE_PX, SIZE_PX)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    ax = figure.add_axes((0.2, 0.2, 0.72, 0.62))
    cell_pt = 0.62 * SIZE_PX * 72 / 100 / max(len(rows), len(columns), 1)
    y, x = np.nonzero(shares)
    values = shares[y, x]
    colors = [CORRECT if rows[r] == columns[c] else WRONG for r, c in zip(y, x, strict=True)]
    ax.scatter(x, y, s=values * (0.95 * cell_pt) ** 2, c=colors, alpha=0.6, edgecolors="black")
    for r, c, share in zip(y, x, values, strict=True):
        if share >= MIN_SHARE_SHOWN:
            ax.text(c, r, f"{100 * share:.0f}%", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(columns)), [_name(c, class_names) for c in columns])
    ax.set_yticks(range(len(rows)), [_name(r, class_names) for r in rows])
    ax.tick_params(axis="x", labelrotation=45, labelsize=LABEL_SIZE)
    ax.tick_params(axis="y", labelsize=LABEL_SIZE)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlabel("predicted label", fontsize=LABEL_SIZE)
    ax.set_ylabel("true label", fontsize=LABEL_SIZE)
    ax.grid(True, color="0.9")
    ax.set_axisbelow(True)
    handles = [
        Line2D([], [], marker="o", ls="", color=color, alpha=0.6, markersize=10, label=text)
        for color, text in ((CORRECT, "correct"), (WRONG, "misclassified"))
    ]
    figure.legend(
        handles=handles,
        loc="lower center",
        ncol=2,
        frameon=False,
        fontsize=LABEL_SIZE,
        title="bubble area = share of the true label's samples",
    )
    return figure
