"""Per-label accuracy over K models: mean, sample std, min-max and the binomial noise floor."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure, shorten

WIDTH_PX, HEIGHT_PX = 900, 560


def label_spread_chart(report: dict[str, Any]) -> Figure:
    """A 900x560-pixel chart from a ``variability.json`` report: per label (and overall) the
    mean accuracy as a bar, +-1 sample std as a black error bar, min..max as a thin line, and
    +-1 noise floor sqrt(p (1 - p) / n) as a grey band. A std near the band is what seeds alone
    move; a std well above it means the models really differ on that label."""
    rows = [*report["labels"], report["overall"]]
    names = [str(row["name"]) for row in rows]
    x = np.arange(len(rows))
    mean = np.array([row["mean"] for row in rows])
    std = np.array([row["std"] for row in rows])
    floor = np.array([row["noise_floor"] for row in rows])
    figure = new_figure(WIDTH_PX, HEIGHT_PX)
    figure.suptitle(
        f"Accuracy over {report['K']} models on {shorten(report['split'], 50)}", fontsize=TITLE_SIZE
    )
    ax = figure.add_axes((0.08, 0.14, 0.9, 0.74))
    ax.bar(x, mean, color=["#4c72b0"] * (len(rows) - 1) + ["#55a868"], alpha=0.8, label="mean")
    ax.bar(
        x, 2 * floor, bottom=mean - floor, width=0.9, color="grey", alpha=0.35,
        label="± noise floor √(p(1−p)/n)",
    )  # fmt: skip
    ax.errorbar(x, mean, yerr=std, fmt="none", ecolor="black", capsize=5, label="± sample std")
    ax.vlines(x + 0.3, [row["min"] for row in rows], [row["max"] for row in rows], colors="#c44e52",
              linewidth=1.5, label="min..max")  # fmt: skip
    ax.set_xticks(x, names, rotation=30 if max(map(len, names)) > 6 else 0, ha="right")
    ax.set_ylabel("accuracy (%)", fontsize=LABEL_SIZE)
    low = float(np.min([row["min"] for row in rows]) - 2 * floor.max())
    ax.set_ylim(max(0.0, low - 5), 100.5)
    ax.legend(loc="lower left", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    return figure
