"""Line plot of a label's accuracy (and the overall accuracy) over repair iterations."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from repair.core.iterations import IterationRow
from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure

WIDTH_PX, HEIGHT_PX = 900, 560
LABEL_GAP_PT = 5  # between a point and its value label


def label_phrase(name: str) -> str:
    """``label 6`` for a class known only by its index, else the class name."""
    return f"label {name}" if name.isdigit() else name


def _value_label(ax: Axes, x: float, y: float, above: bool, color: str) -> None:
    """``y`` written just above or just below its point, so the two lines' labels never meet.

    A light background keeps the digits readable where a line passes behind them.
    """
    ax.annotate(
        f"{y:.2f}",
        (x, y),
        textcoords="offset points",
        xytext=(0, LABEL_GAP_PT if above else -LABEL_GAP_PT),
        ha="center",
        va="bottom" if above else "top",
        fontsize=9,
        color=color,
        bbox={
            "boxstyle": "square,pad=0.1",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.8,
        },
    )


def _set_ylim(ax: Axes, low: float, high: float) -> None:
    """Room for the value labels above and below the lines; ticks only within 0..100 %."""
    spread = max(high - low, 1.0)
    bottom, top = low - 0.2 * spread, high + 0.2 * spread
    ax.set_ylim(bottom, top)
    ticks = [t for t in ax.get_yticks() if max(bottom, 0.0) <= t <= min(top, 100.0)]
    ax.set_yticks(ticks)
    ax.set_ylim(bottom, top)


def accuracy_over_iterations(rows: Sequence[IterationRow], name: str, title: str) -> Figure:
    """A 900x560-pixel plot: ``name`` accuracy and overall accuracy (percent) per iteration."""
    figure = new_figure(WIDTH_PX, HEIGHT_PX)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    ax = figure.add_axes((0.1, 0.2, 0.85, 0.62))
    iterations = [row.iteration for row in rows]
    label_values = [row.accuracy for row in rows]
    overall_values = [row.overall for row in rows]
    (label_line,) = ax.plot(
        iterations,
        label_values,
        "o-",
        linewidth=2,
        markersize=6,
        label=f"{label_phrase(name)} accuracy",
    )
    (overall_line,) = ax.plot(
        iterations, overall_values, "s--", linewidth=2, markersize=6, label="overall accuracy"
    )
    for x, label_y, overall_y in zip(iterations, label_values, overall_values, strict=True):
        label_above = label_y >= overall_y  # the higher value above its point, the lower below
        _value_label(ax, x, label_y, label_above, label_line.get_color())
        _value_label(ax, x, overall_y, not label_above, overall_line.get_color())
    values = label_values + overall_values
    _set_ylim(ax, min(values), max(values))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration (0 = starting model)", fontsize=LABEL_SIZE)
    ax.set_ylabel("accuracy on test data (%)", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=LABEL_SIZE)
    ax.grid(True, color="0.9")
    figure.legend(loc="lower center", ncol=2, frameon=False, fontsize=LABEL_SIZE)
    return figure
