"""The sweep chart (``sweep.png``): per label, its test accuracy after each chunk.

Mean over seeds with a band of one sample standard deviation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure, shorten


def sweep_figure(groups: Sequence[dict[str, Any]], title: str = "") -> Figure:
    """One line per (variant, label): ``label_accuracy`` mean against chunk, ± std as a band.

    ``groups`` are sweep.json's groups (variant, label, chunk, and per measure n/mean/std).
    """
    figure = new_figure(900, 560)
    ax = figure.add_subplot()
    lines = sorted({(g["variant"], g["label"]) for g in groups})
    many = len({variant for variant, _ in lines}) > 1
    for variant, label in lines:
        points = sorted(
            (g["chunk"], g["label_accuracy"])
            for g in groups
            if (g["variant"], g["label"]) == (variant, label) and g["label_accuracy"]["n"]
        )
        if not points:
            continue
        chunks = [chunk for chunk, _ in points]
        means = [stat["mean"] for _, stat in points]
        stds = [stat["std"] or 0.0 for _, stat in points]
        name = f"label {label}" + (f", variant {variant}" if many else "")
        (line,) = ax.plot(chunks, means, "o-", ms=4, label=name)
        ax.fill_between(
            chunks,
            [m - s for m, s in zip(means, stds, strict=True)],
            [m + s for m, s in zip(means, stds, strict=True)],
            color=line.get_color(),
            alpha=0.2,
            linewidth=0,
        )
    if all(isinstance(g["chunk"], int) for g in groups):  # else the one chunk 'all'
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("chunk", fontsize=LABEL_SIZE)
    ax.set_ylabel("test accuracy of the label (%)", fontsize=LABEL_SIZE)
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(loc="best", fontsize=9)
    if title:
        ax.set_title(shorten(title, 90) + "\nmean over seeds, band: ± 1 sample std",
                     fontsize=TITLE_SIZE)  # fmt: skip
    figure.tight_layout()
    return figure
