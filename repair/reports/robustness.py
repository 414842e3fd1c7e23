"""Charts of the robustness audit: accuracy against intensity, and transfer as a heat map.

Accuracy against intensity per corruption or attack, and the transfer of adversarial examples
between models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from repair.reports._figure import LABEL_SIZE, TITLE_SIZE, new_figure, shorten
from repair.robustness.audit import ADVERSARIAL, CATEGORIES, CLEAN, AuditRow, pooled
from repair.robustness.audit_summary import TransferCell, curve_rows

PANEL_W, PANEL_H = 330, 260  # pixels per panel
HEAD_PX, FOOT_PX = 60, 90  # title above the panels, axis label and legend below
MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*")
MAX_COLUMNS = 3


def _grid(count: int) -> tuple[int, int]:
    columns = 2 if count == 4 else min(MAX_COLUMNS, max(count, 1))
    return columns, math.ceil(count / columns) if count else 1


def _curve(rows: Sequence[AuditRow], kind: str, levels: Sequence[float]) -> list[float]:
    """Accuracy (percent, NaN where not measured) at each level of ``kind``, pooled over files."""
    values = []
    for level in levels:
        n, correct = pooled(
            r for r in rows if r.stratum.kind == kind and r.stratum.intensity == level
        )
        values.append(100.0 * correct / n if n else math.nan)
    return values


def accuracy_by_intensity(rows: Sequence[AuditRow], category: str, models: Sequence[str]) -> Figure:
    """One panel per corruption (or attack) of ``category``: accuracy (y, percent) against
    intensity (x; clean first when the audit has a clean file), one line per model.

    For attacks each model's line uses the examples made on that model where there are some.
    """
    selected = [r for r in rows if r.stratum.category == category]
    kinds = list(dict.fromkeys(r.stratum.kind for r in selected))
    columns, lines = _grid(len(kinds))
    figure = new_figure(PANEL_W * columns + 40, PANEL_H * lines + HEAD_PX + FOOT_PX)
    what = "attack and eps" if category == ADVERSARIAL else f"{category} corruption and intensity"
    figure.suptitle(f"Accuracy per {what}", fontsize=TITLE_SIZE)
    height = figure.get_figheight() * figure.dpi
    top, bottom = 1 - HEAD_PX / height, FOOT_PX / height
    figure.subplots_adjust(left=0.08, right=0.98, top=top, bottom=bottom, hspace=0.6, wspace=0.25)
    has_clean = any(r.stratum.category == CLEAN for r in rows)
    curves = {model: curve_rows(rows, model) for model in models}
    for position, kind in enumerate(kinds):
        ax = figure.add_subplot(lines, columns, position + 1)
        levels = sorted({r.stratum.intensity for r in selected if r.stratum.kind == kind})
        ticks = ([CLEAN] if has_clean else []) + [f"{level:g}" for level in levels]
        for index, model in enumerate(models):
            mine = curves[model]
            values = _curve(mine, kind, levels)
            if has_clean:
                values = _curve(mine, CLEAN, [0.0]) + values
            ax.plot(
                range(len(ticks)),
                values,
                marker=MARKERS[index % len(MARKERS)],
                linewidth=1.6,
                markersize=5,
                label=shorten(model, 40),
            )
        ax.set_title(kind, fontsize=LABEL_SIZE)
        ax.set_xticks(range(len(ticks)), ticks, fontsize=9)
        ax.set_xlabel("eps" if category == ADVERSARIAL else "intensity", fontsize=9, labelpad=2)
        ax.set_ylim(-3, 103)
        ax.tick_params(labelsize=9)
        ax.grid(True, color="0.9")
        if position % columns == 0:
            ax.set_ylabel("accuracy (%)", fontsize=10)
    handles, labels = figure.axes[0].get_legend_handles_labels() if kinds else ([], [])
    figure.legend(handles, labels, loc="lower center", ncol=min(len(models), 4), frameon=False)
    return figure


def category_charts(rows: Sequence[AuditRow], models: Sequence[str]) -> dict[str, Figure]:
    """:func:`accuracy_by_intensity` for each category the rows measure beside clean data,
    keyed by category, in the order of ``CATEGORIES``."""
    present = {row.stratum.category for row in rows}
    return {
        category: accuracy_by_intensity(rows, category, models)
        for category in CATEGORIES
        if category in present and category != CLEAN
    }


def transfer_heatmap(cells: Sequence[TransferCell], models: Sequence[str]) -> Figure:
    """One heat map per (attack, eps): rows the model the examples were made on, columns the
    model measured, cells its accuracy (percent, written in the cell)."""
    settings = list(dict.fromkeys((c.kind, c.eps) for c in cells))
    sources = list(dict.fromkeys(c.source for c in cells))
    columns, lines = _grid(len(settings))
    side = 70 * max(len(models), len(sources)) + 160
    figure = new_figure(side * columns + 60, side * lines + HEAD_PX + 20)
    figure.suptitle(
        "Transfer of adversarial examples: accuracy of each model on examples made on each",
        fontsize=TITLE_SIZE,
    )
    height = figure.get_figheight() * figure.dpi
    figure.subplots_adjust(
        left=0.1, right=0.9, top=1 - HEAD_PX / height, bottom=0.12, hspace=0.6, wspace=0.6
    )
    image = None
    for position, (kind, eps) in enumerate(settings):
        ax = figure.add_subplot(lines, columns, position + 1)
        grid = np.full((len(sources), len(models)), np.nan)
        for cell in cells:
            if (cell.kind, cell.eps) == (kind, eps):
                grid[sources.index(cell.source), models.index(cell.target)] = cell.accuracy
        image = ax.imshow(grid, vmin=0, vmax=100, cmap="viridis", aspect="auto")
        for (i, j), value in np.ndenumerate(grid):
            if not math.isnan(value):
                color = "black" if value > 60 else "white"
                ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=9, color=color)
        ax.set_title(f"{kind}, eps {eps:g}", fontsize=LABEL_SIZE)
        ax.set_xticks(range(len(models)), [shorten(m, 18) for m in models], fontsize=8, rotation=20)
        ax.set_yticks(range(len(sources)), [shorten(s, 18) for s in sources], fontsize=8)
        ax.set_xlabel("measured on", fontsize=9)
        ax.set_ylabel("made on", fontsize=9)
    if image is not None:
        bar = figure.colorbar(image, ax=figure.axes, fraction=0.03, pad=0.04)
        bar.set_label("accuracy (%)", fontsize=9)
    return figure
