"""The confusion matrix as a bubble chart: true label (rows) against predicted label (columns).

Each row is normalised by its true label's sample count, so a bubble's area is the share of that
label's samples predicted as the column's class. Columns include every class the model predicted,
also classes absent from the data (the reference toolkit fails on those).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from repair.reports._figure import DPI, LABEL_SIZE, TITLE_SIZE, new_figure

WIDTH_PX, HEIGHT_PX = 800, 900
AXES_SIDE = 0.66  # of the width; cells stay square
CORRECT = "tab:green"
WRONG = "tab:red"
MIN_SHARE_SHOWN = 0.005
INSIDE_RADIUS_PT = 11.0
SHORT_NAME = 3


def _name(label: int, class_names: Sequence[str] | None) -> str:
    if class_names is None or label >= len(class_names) or class_names[label] == str(label):
        return str(label)
    return f"{class_names[label]} ({label})"


def _label_bubble(ax: Axes, x: float, y: float, share: float, radius_pt: float) -> None:
    """The share in percent: inside a big bubble, beside a small one."""
    text = f"{100 * share:.0f}%" if share >= MIN_SHARE_SHOWN else "<1%"
    if radius_pt >= INSIDE_RADIUS_PT:
        ax.text(x, y, text, ha="center", va="center", fontsize=9)
        return
    offset = (radius_pt * 0.7 + 1, radius_pt * 0.7 + 1)
    ax.annotate(
        text,
        (x, y),
        xytext=offset,
        textcoords="offset points",
        fontsize=8,
        ha="left",
        va="bottom",
        color="dimgray",
    )


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


def bubble_chart(confusion: np.ndarray, class_names: Sequence[str] | None, title: str) -> Figure:
    """An 800x900-pixel bubble chart of ``confusion`` ((K, K) counts, row = true label)."""
    rows, columns, shares = bubble_axes(confusion)
    figure = new_figure(WIDTH_PX, HEIGHT_PX)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    height = AXES_SIDE * WIDTH_PX / HEIGHT_PX
    ax = figure.add_axes((0.22, 0.84 - height, AXES_SIDE, height))
    cell_pt = AXES_SIDE * WIDTH_PX * 72 / DPI / max(len(rows), len(columns), 1)
    y, x = np.nonzero(shares)
    values = shares[y, x]
    colors = [CORRECT if rows[r] == columns[c] else WRONG for r, c in zip(y, x, strict=True)]
    ax.scatter(x, y, s=values * (0.95 * cell_pt) ** 2, c=colors, alpha=0.6, edgecolors="black")
    for r, c, share in zip(y, x, values, strict=True):
        _label_bubble(ax, c, r, share, 0.95 * cell_pt * np.sqrt(share) / 2)
    x_names = [_name(c, class_names) for c in columns]
    ax.set_xticks(range(len(columns)), x_names)
    ax.set_yticks(range(len(rows)), [_name(r, class_names) for r in rows])
    slanted = max(len(name) for name in x_names) > SHORT_NAME  # long names would overlap
    ax.tick_params(axis="x", labelrotation=45 if slanted else 0, labelsize=LABEL_SIZE)
    ax.tick_params(axis="y", labelsize=LABEL_SIZE)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right" if slanted else "center")
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
