"""Radar charts of per-label accuracy: one run, or several overlaid and aligned by label.

Each axis is a label, named by its class name (and index), and carries the score(s) as text so
the numbers can be read without guessing from the grid. Overlays align runs by label index, never
by position: a label one run lacks shows as a gap and a ``-`` in that run's score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from repair.core.label_results import display_name, overall_of
from repair.core.results import LabelScore
from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure, shorten

SIZE_PX = 800
MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*")
MAX_SCORES_ON_AXIS = 3
CHAR_PX = 8.5  # width of a character of an axis label, for the layout
MIN_SIDE, MAX_SIDE, TOP = 0.4, 0.58, 0.84
LEGEND_LINE_CHARS = 80


def _axis_labels(runs: Sequence[Sequence[LabelScore]], labels: Sequence[int]) -> list[str]:
    """Class name per axis, with each run's score below it (``73.99 → 75.03``) for few runs."""
    by_label = [{s.label: s for s in run} for run in runs]
    texts = []
    for label in labels:
        first = next(run[label] for run in by_label if label in run)
        text = display_name(first)
        if len(runs) <= MAX_SCORES_ON_AXIS:
            values = [f"{run[label].accuracy:.2f}" if label in run else "-" for run in by_label]
            text += "\n" + " → ".join(values)
        texts.append(text)
    return texts


def _axes_box(axis_labels: Sequence[str], legend_rows: int) -> tuple[float, float, float, float]:
    """Square polar axes leaving room for the longest axis label beside it, centred between
    the legend (bottom) and the title (top)."""
    longest = max((len(line) for text in axis_labels for line in text.split("\n")), default=0)
    margin = (20 + CHAR_PX * longest) / SIZE_PX
    side = min(MAX_SIDE, max(MIN_SIDE, 1 - 2 * margin))
    bottom, top = 0.06 + 0.035 * legend_rows, TOP
    return ((1 - side) / 2, bottom + (top - bottom - side) / 2, side, side)


def _values(run: Sequence[LabelScore], labels: Sequence[int], lo: float, hi: float) -> np.ndarray:
    """Accuracy per label (NaN where absent), clipped to the radial limits, closed polygon."""
    by_label = {s.label: s.accuracy for s in run}
    values = np.array([by_label.get(label, np.nan) for label in labels], dtype=float)
    values = np.clip(values, lo, hi)
    return np.append(values, values[:1])


def overlay_radar_chart(
    runs: Sequence[tuple[str, Sequence[LabelScore]]],
    title: str,
    min_lim: float = 0.0,
    max_lim: float = 100.0,
) -> Figure:
    """One radar polygon per ``(legend, scores)`` run, on the union of their labels.

    Returns an 800x800-pixel figure with the title on top and the legend (with each run's
    overall accuracy) at the bottom.
    """
    if not runs:
        raise ValueError("overlay_radar_chart needs at least one run")
    if not min_lim < max_lim:
        raise ValueError(f"min_lim must be below max_lim; got {min_lim} and {max_lim}")
    labels = sorted({s.label for _, scores in runs for s in scores})
    figure = new_figure(SIZE_PX, SIZE_PX)
    figure.suptitle(title, fontsize=TITLE_SIZE)
    entries = [f"{shorten(legend)} (overall {overall_of(scores):.2f}%)" for legend, scores in runs]
    # Side by side when two short entries fit on one line, else one per line.
    columns = 2 if len(runs) == 2 and sum(map(len, entries)) <= LEGEND_LINE_CHARS else 1
    axis_labels = _axis_labels([s for _, s in runs], labels)
    ax = figure.add_axes(
        _axes_box(axis_labels, legend_rows=len(runs) // columns), projection="polar"
    )
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    angles = np.linspace(0.0, 2 * np.pi, len(labels), endpoint=False)
    closed = np.append(angles, angles[:1])
    for position, ((_, scores), entry) in enumerate(zip(runs, entries, strict=True)):
        values = _values(scores, labels, min_lim, max_lim)
        marker = MARKERS[position % len(MARKERS)]
        (line,) = ax.plot(closed, values, marker=marker, linewidth=2, markersize=6, label=entry)
        if not np.isnan(values).any():
            ax.fill(closed, values, alpha=0.12, color=line.get_color())
    ax.set_thetagrids(np.degrees(angles), axis_labels)
    ax.tick_params(axis="x", labelsize=LABEL_SIZE, pad=10)
    for text, angle in zip(ax.get_xticklabels(), angles, strict=True):
        # Labels left of the chart grow leftwards, right of it rightwards: no overlap.
        side = np.sin(angle)
        text.set_horizontalalignment("left" if side > 0.1 else "right" if side < -0.1 else "center")
    ax.set_ylim(min_lim, max_lim)
    ax.set_rlabel_position(180.0 / len(labels))  # between the first two axes
    ax.tick_params(axis="y", labelsize=LABEL_SIZE - 2, colors="dimgray")
    figure.legend(
        loc="lower center",
        ncol=columns,
        fontsize=LABEL_SIZE,
        frameon=False,
    )
    return figure


def radar_chart(
    scores: Sequence[LabelScore], title: str, min_lim: float = 0.0, max_lim: float = 100.0
) -> Figure:
    """The radar chart of one run (accuracy per label, in percent)."""
    return overlay_radar_chart([("accuracy", scores)], title, min_lim, max_lim)


def radar_title(model: str, data: str, what: str = "Accuracy per label (%)") -> str:
    """``what`` over ``model: ...`` and ``data: ...`` lines, paths shortened from the left."""
    return f"{what}\nmodel: {shorten(model)}\ndata: {shorten(data)}"
