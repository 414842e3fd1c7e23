"""The Pareto-front picture ``localize`` writes beside ``weights.csv``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from repair.core.files import atomic_path


def pareto_figure(objectives: np.ndarray, front: np.ndarray) -> Figure:
    """Candidates (C, 2) as (gradient loss, forward impact), the front (C,) bool in red."""
    figure = Figure(figsize=(5, 4), dpi=100)
    axes = figure.add_subplot()
    axes.scatter(objectives[:, 0], objectives[:, 1], s=8, color="tab:blue", label="candidates")
    chosen = objectives[front]
    chosen = chosen[np.argsort(chosen[:, 0])]
    axes.plot(chosen[:, 0], chosen[:, 1], "o-", color="tab:red", ms=4, label="Pareto front")
    axes.set_xlabel("gradient loss")
    axes.set_ylabel("forward impact")
    axes.legend(loc="best")
    figure.tight_layout()
    return figure


def save_figure(figure: Figure, path: Path) -> Path:
    """Write ``figure`` as a PNG, atomically."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path
