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
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text

from repair.reports._figure import DPI, LABEL_SIZE, TITLE_SIZE, new_figure

WIDTH_PX, HEIGHT_PX = 800, 900
MARGIN_PX = 16  # figure edge to the legend and to the tick labels
GAP_PX = 14  # title to axes, axis label to legend
OVERHANG_PX = 24  # share labels beside the last column's bubbles reach past the axes
MIN_SIDE_PX = 200  # however long the class names
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


def _draw_frame(
    ax: Axes, rows: np.ndarray, columns: np.ndarray, names: Sequence[str] | None
) -> None:
    """Ticks named by class, limits, axis labels and grid: everything but the bubbles."""
    x_names = [_name(c, names) for c in columns]
    ax.set_xticks(range(len(columns)), x_names)
    ax.set_yticks(range(len(rows)), [_name(r, names) for r in rows])
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


def _legend(figure: Figure) -> Legend:
    handles = [
        Line2D([], [], marker="o", ls="", color=color, alpha=0.6, markersize=10, label=text)
        for color, text in ((CORRECT, "correct"), (WRONG, "misclassified"))
    ]
    return figure.legend(
        handles=handles,
        loc="upper center",
        ncol=2,
        frameon=False,
        fontsize=LABEL_SIZE,
        title="bubble area = share of the true label's samples",
    )


def _fit_layout(figure: Figure, title: Text, ax: Axes, legend: Legend) -> float:
    """Make the square axes as large as fits between the title and the legend; return its side.

    The tick labels' extent is measured (long slanted class names need far more room than
    digits), so the legend sits right under the axis label whatever the names.
    Pixel sizes: the figure is drawn at DPI, so display units are pixels.
    """
    renderer = figure.canvas.get_renderer()
    box, tight = ax.get_window_extent(renderer), ax.get_tightbbox(renderer)
    left, right = box.x0 - tight.x0, max(tight.x1 - box.x1, OVERHANG_PX)
    below, above = box.y0 - tight.y0, tight.y1 - box.y1
    top = title.get_window_extent(renderer).y0 - GAP_PX - above  # highest the axes may reach
    bottom = MARGIN_PX + legend.get_window_extent(renderer).height + GAP_PX + below
    side = max(min(top - bottom, WIDTH_PX - 2 * MARGIN_PX - left - right), MIN_SIDE_PX)
    x0 = (WIDTH_PX - (left + side + right)) / 2 + left
    y0 = top - side - (top - bottom - side) / 2  # spare height (a wide axes) above and below
    ax.set_position((x0 / WIDTH_PX, y0 / HEIGHT_PX, side / WIDTH_PX, side / HEIGHT_PX))
    legend.set_bbox_to_anchor(
        ((x0 + side / 2) / WIDTH_PX, (y0 - below - GAP_PX) / HEIGHT_PX), figure.transFigure
    )
    return side


def bubble_chart(confusion: np.ndarray, class_names: Sequence[str] | None, title: str) -> Figure:
    """An 800x900-pixel bubble chart of ``confusion`` ((K, K) counts, row = true label)."""
    rows, columns, shares = bubble_axes(confusion)
    figure = new_figure(WIDTH_PX, HEIGHT_PX)
    title_text = figure.suptitle(title, fontsize=TITLE_SIZE)
    ax = figure.add_axes((0.25, 0.25, 0.5, 0.5))  # moved by _fit_layout
    _draw_frame(ax, rows, columns, class_names)
    side_px = _fit_layout(figure, title_text, ax, _legend(figure))
    cell_pt = side_px * 72 / DPI / max(len(rows), len(columns), 1)
    y, x = np.nonzero(shares)
    values = shares[y, x]
    colors = [CORRECT if rows[r] == columns[c] else WRONG for r, c in zip(y, x, strict=True)]
    ax.scatter(x, y, s=values * (0.95 * cell_pt) ** 2, c=colors, alpha=0.6, edgecolors="black")
    for r, c, share in zip(y, x, values, strict=True):
        _label_bubble(ax, c, r, share, 0.95 * cell_pt * np.sqrt(share) / 2)
    return figure
