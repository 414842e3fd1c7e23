"""Line plot of a label's accuracy (and the overall accuracy) over repair iterations."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from repair.core.iterations import IterationRow
from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure

WIDTH_PX, HEIGHT_PX = 900, 560


def label_phrase(name: str) -> str:
    """``label 6`` for a class known only by its index, else the class name."""
    return f"label {name}" if name.isdigit() else name


def accuracy_over_iterations(rows: Sequence[IterationRow], name: str, title: str) -> Figure:
    """A 900x560-pixel plot: ``name`` accuracy and overall accuracy (percent) per iteration."""
    figure = new_figure(WIDTH_PX, HEIGHT_PX)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    ax = figure.add_axes((0.1, 0.2, 0.85, 0.62))
    iterations = [row.iteration for row in rows]
    series = (
        (f"{label_phrase(name)} accuracy", [row.accuracy for row in rows], "o-"),
        ("overall accuracy", [row.overall for row in rows], "s--"),
    )
    for label, values, style in series:
        (line,) = ax.plot(iterations, values, style, linewidth=2, markersize=6, label=label)
        for x, y in zip(iterations, values, strict=True):
            ax.annotate(
                f"{y:.2f}",
                (x, y),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=9,
                color=line.get_color(),
            )
    values = [v for _, series_values, _ in series for v in series_values]
    spread = max(max(values) - min(values), 1.0)
    ax.set_ylim(max(0.0, min(values) - 0.15 * spread), min(100.0, max(values) + 0.2 * spread))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration (0 = starting model)", fontsize=LABEL_SIZE)
    ax.set_ylabel("accuracy on test data (%)", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=LABEL_SIZE)
    ax.grid(True, color="0.9")
    figure.legend(loc="lower center", ncol=2, frameon=False, fontsize=LABEL_SIZE)
    return figure
