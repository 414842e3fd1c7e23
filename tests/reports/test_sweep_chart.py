"""sweep.png: one line per label (mean over seeds against chunk) with a ± std band."""

from __future__ import annotations

import numpy as np

from repair.app.sweep_summary import group_stats
from repair.reports.sweep import sweep_figure


def _row(label: int, chunk: int, seed: int, accuracy: float | None, status: str = "ok") -> dict:
    measures = dict.fromkeys(("negatives", "patched", "repair_rate", "positives", "broken",
                              "break_rate", "test_accuracy"), 1.0)  # fmt: skip
    return {"variant": 0, "label": label, "chunk": chunk, "seed": seed, "status": status,
            **measures, "label_accuracy": accuracy}  # fmt: skip


def test_groups_have_mean_and_sample_std_and_the_chart_draws_them() -> None:
    rows = [_row(6, c, s, 80.0 + c + 2 * s) for c in range(3) for s in range(3)]
    rows += [_row(9, 0, 0, 70.0), _row(9, 1, 0, None, "error")]
    groups = group_stats(rows)
    first = next(g for g in groups if (g["label"], g["chunk"]) == (6, 0))
    assert first["label_accuracy"] == {"n": 3, "mean": 82.0, "std": 2.0}  # n - 1
    failed = next(g for g in groups if (g["label"], g["chunk"]) == (9, 1))
    assert (failed["error"], failed["label_accuracy"]["n"]) == (1, 0)
    lone = next(g for g in groups if (g["label"], g["chunk"]) == (9, 0))
    assert lone["label_accuracy"]["std"] is None  # one seed: no spread
    axes = sweep_figure(groups, "title").axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert set(lines) == {"label 6", "label 9"}
    assert np.allclose(lines["label 6"].get_ydata(), [82.0, 83.0, 84.0])
    assert len(axes.collections) == 2  # one band per label
