"""Figures on the Agg canvas (no pyplot, no display) and atomic PNG writing."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from repair.core.files import atomic_path

DPI = 100
TITLE_SIZE = 13
LABEL_SIZE = 11


def new_figure(width_px: int, height_px: int) -> Figure:
    """An empty figure of ``width_px`` x ``height_px`` pixels when saved by :func:`save_png`."""
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as a PNG at its own pixel size, atomically; return the path."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI)
    return Path(path)


def shorten(text: str, width: int = 60) -> str:
    """``text`` cut from the left to ``width`` characters (paths keep their informative tail)."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]
