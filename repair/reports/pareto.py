"""The Pareto-front picture ``repair localize`` writes beside ``weights.csv``.

Written when the method returns a front (Arachne does).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from repair.reports._figure import new_figure


def pareto_figure(objectives: np.ndarray, front: np.ndarray, title: str = "") -> Figure:
    """Candidates (C, 2) as (gradient loss, forward impact), the front (C,) bool in red."""
    figure = new_figure(500, 400)
    axes = figure.add_subplot()
    axes.scatter(objectives[:, 0], objectives[:, 1], s=8, color="tab:blue", label="candidates")
    chosen = objectives[front]
    chosen = chosen[np.argsort(chosen[:, 0])]
    axes.plot(chosen[:, 0], chosen[:, 1], "o-", color="tab:red", ms=4, label="Pareto front")
    axes.set_xlabel("gradient loss")
    axes.set_ylabel("forward impact")
    axes.legend(loc="best")
    if title:
        axes.set_title(title, fontsize=10)
    figure.tight_layout()
    return figure
