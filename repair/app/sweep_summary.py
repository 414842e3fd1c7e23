"""A sweep's tables: one row per unit (``sweep.csv``) and the statistics per group.

Per variant x label x chunk: the units by status, and the mean and sample standard deviation
of each measure over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repair.app.sweep_unit import MEASURES
from repair.core.files import csv_text

CSV_COLUMNS = (
    "unit", "variant", "label", "chunk", "seed", "status", *MEASURES, "wall_time_s", "folder",
    "message",
)  # fmt: skip


def unit_row(record: dict[str, Any], output_dir: Path) -> dict[str, Any]:
    """A unit's record (unit.json) as a row of CSV_COLUMNS; ``folder`` under ``output_dir``."""
    spec = record.get("spec", {})
    row = {key: record.get(key) for key in CSV_COLUMNS}
    row.update({key: spec.get(key) for key in ("variant", "label", "chunk", "seed")})
    row["folder"] = str(output_dir / record["unit"])
    return row


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def sweep_csv(rows: Sequence[dict[str, Any]]) -> str:
    """One row per unit (CSV_COLUMNS)."""
    return csv_text([CSV_COLUMNS, *([_number(row[c]) for c in CSV_COLUMNS] for row in rows)])


def mean_and_sample_std(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean and sample standard deviation (n - 1) of the values that exist."""
    numbers = np.array([v for v in values if v is not None], dtype=float)
    if numbers.size == 0:
        return {"n": 0, "mean": None, "std": None}
    std = float(np.std(numbers, ddof=1)) if numbers.size > 1 else None
    return {"n": int(numbers.size), "mean": float(np.mean(numbers)), "std": std}


def group_stats(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per variant x label x chunk: units by status, and mean and sample std over seeds."""
    keys = sorted({(r["variant"], r["label"], r["chunk"]) for r in rows})
    groups = []
    for variant, label, chunk in keys:
        members = [
            r for r in rows if (r["variant"], r["label"], r["chunk"]) == (variant, label, chunk)
        ]
        usable = [r for r in members if r["status"] in ("ok", "skipped")]
        statuses = {s: sum(r["status"] == s for r in members) for s in ("ok", "skipped", "error")}
        groups.append(
            {
                "variant": variant,
                "label": label,
                "chunk": chunk,
                "seeds": len(members),
                **statuses,
                **{m: mean_and_sample_std([r[m] for r in usable]) for m in MEASURES},
            }
        )
    return groups


def format_groups(groups: Sequence[dict[str, Any]], measures: Sequence[str]) -> str:
    """A Markdown table: per variant/label/chunk, mean ± sample std of ``measures``."""
    head = ["variant", "label", "chunk", "seeds", "ok", "skipped", "error", *measures]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in groups:
        cells = [str(g[k]) for k in head[:7]]
        for m in measures:
            stat = g[m]
            if stat["mean"] is None:
                cells.append("n/a")
            elif stat["std"] is None:
                cells.append(f"{stat['mean']:.2f}")
            else:
                cells.append(f"{stat['mean']:.2f} ± {stat['std']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
