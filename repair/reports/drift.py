"""The drift chart: where the current set went among the baseline's clusters.

And what that did to each label's accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from repair.drift.cluster import ClusterRow
from repair.drift.labels import LabelRow
from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure

WIDTH_PX, HEIGHT_PX = 1100, 900
BASELINE_COLOR, CURRENT_COLOR = "#7f8c8d", "#2874a6"
DROP_COLOR, RISE_COLOR = "#c0392b", "#27ae60"


def _cluster_panel(ax: Axes, rows: Sequence[ClusterRow], names: Sequence[str]) -> None:
    order = sorted(rows, key=lambda r: (r.share_change, r.cluster))
    x = np.arange(len(order))
    base = [100 * r.baseline_share for r in order]
    cur = [100 * r.current_share for r in order]
    ax.bar(x - 0.2, base, 0.4, color=BASELINE_COLOR, label="baseline")
    ax.bar(x + 0.2, cur, 0.4, color=CURRENT_COLOR, label="current")
    top = max(base + cur + [1.0])
    for position, row, height in zip(x, order, np.maximum(base, cur), strict=True):
        ax.annotate(
            names[row.majority_label] if row.majority_label < len(names) else "?",
            (position, height),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_ylim(0, top * 1.18)
    ax.set_xticks(x, [str(r.cluster) for r in order], fontsize=8)
    ax.set_xlabel(
        "baseline cluster, sorted by change of share (left: emptied, right: grew); "
        "above the bars: its majority label",
        fontsize=LABEL_SIZE - 1,
    )
    ax.set_ylabel("share of the set (%)", fontsize=LABEL_SIZE)
    ax.legend(frameon=False, fontsize=LABEL_SIZE - 1, loc="upper left")
    ax.grid(True, axis="y", color="0.9")
    ax.set_axisbelow(True)


def _label_panel(ax: Axes, rows: Sequence[LabelRow]) -> None:
    x = np.arange(len(rows))
    changes = [100 * (r.accuracy_change or 0.0) for r in rows]
    colors = [DROP_COLOR if c < 0 else RISE_COLOR for c in changes]
    ax.bar(x, changes, 0.6, color=colors)
    ax.axhline(0, color="0.3", linewidth=0.8)
    spread = max([abs(c) for c in changes] + [1.0])
    for position, row, change in zip(x, rows, changes, strict=True):
        if row.accuracy_change is None:
            note = "absent" if row.current_count == 0 else "new"
        else:
            note = f"{change:+.0f}" + (" *" if row.drift else "")
        ax.annotate(
            note,
            (position, change),
            textcoords="offset points",
            xytext=(0, 3 if change >= 0 else -3),
            ha="center",
            va="bottom" if change >= 0 else "top",
            fontsize=8,
        )
    ax.set_ylim(-spread * 1.25, spread * 1.25)
    ax.set_xticks(x, [r.name for r in rows], fontsize=8, rotation=30 if len(rows) > 12 else 0)
    ax.set_xlabel(
        "label (* its inputs drifted: within-label MMD p < 0.05)", fontsize=LABEL_SIZE - 1
    )
    ax.set_ylabel("accuracy change (points)", fontsize=LABEL_SIZE)
    ax.grid(True, axis="y", color="0.9")
    ax.set_axisbelow(True)


def drift_figure(
    clusters: Sequence[ClusterRow] | None, labels: Sequence[LabelRow], title: str
) -> Figure:
    """A 1100x900-pixel figure: cluster shares baseline vs current (when the cluster method ran)
    above the per-label accuracy change, current minus baseline."""
    figure = new_figure(WIDTH_PX, HEIGHT_PX)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    names_by_label = {row.label: row.name for row in labels}
    label_names = [names_by_label.get(k, str(k)) for k in range(max(names_by_label, default=0) + 1)]
    if clusters:
        top = figure.add_axes((0.08, 0.56, 0.9, 0.36))
        top.set_title("Where the inputs fall among the baseline's clusters", fontsize=LABEL_SIZE)
        _cluster_panel(top, clusters, label_names)
        bottom = figure.add_axes((0.08, 0.08, 0.9, 0.36))
    else:
        bottom = figure.add_axes((0.08, 0.1, 0.9, 0.78))
    bottom.set_title("Accuracy per label: current minus baseline", fontsize=LABEL_SIZE)
    _label_panel(bottom, labels)
    return figure
