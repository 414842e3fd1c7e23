"""The table of an iterative repair run: one row per iteration, from its ``results.json``.

``scripts/repair_loop.sh`` writes ``<run_dir>/0/results.json`` for the starting model and
``<run_dir>/<k>/results.json`` for the model repaired at iteration k, all on the same test data.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from repair.core.label_results import RESULTS_FILE, find_label, overall_of, read_results
from repair.errors import DataFormatError, InputNotFoundError


@dataclass(frozen=True)
class IterationRow:
    """Counts and accuracy (percent) of one label, and overall accuracy, after ``iteration``."""

    iteration: int
    correct: int
    incorrect: int
    accuracy: float
    overall: float


def iteration_dirs(run_dir: str | Path, last: int | None = None) -> list[Path]:
    """``run_dir/0``, ``run_dir/1``, ... up to ``last``, or as long as each holds results."""
    run_dir = Path(run_dir)
    found: list[Path] = []
    while last is None or len(found) <= last:
        folder = run_dir / str(len(found))
        if not (folder / RESULTS_FILE).is_file():
            if last is None and found:
                break
            raise InputNotFoundError(f"no iteration results found: {folder / RESULTS_FILE}")
        found.append(folder)
    return found


def iteration_rows(
    run_dir: str | Path, label: str, last: int | None = None
) -> tuple[str, list[IterationRow]]:
    """The class name of ``label`` (a name or an index) and one row per iteration 0..``last``."""
    name = None
    rows = []
    for iteration, folder in enumerate(iteration_dirs(run_dir, last)):
        scores = read_results(folder)
        score = find_label(scores, label)
        if score is None:
            known = ", ".join(s.name for s in scores)
            raise DataFormatError(
                f"label {label!r} is not in {folder / RESULTS_FILE}; labels there: {known}"
            )
        name = name or score.name
        rows.append(
            IterationRow(
                iteration, score.correct, score.incorrect, score.accuracy, overall_of(scores)
            )
        )
    return str(name), rows


def _cells(row: IterationRow) -> list[str]:
    return [
        str(row.iteration),
        str(row.correct),
        str(row.incorrect),
        f"{row.accuracy:.2f}",
        f"{row.overall:.2f}",
    ]


def header(name: str) -> list[str]:
    names = [f.name for f in fields(IterationRow)]
    return [*names[:3], f"accuracy_{name}".replace(" ", "_"), "overall_accuracy"]


def rows_to_csv(name: str, rows: list[IterationRow]) -> str:
    """CSV with a header; accuracies in percent, unrounded so scripts lose nothing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header(name))
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue()


def rows_to_markdown(name: str, rows: list[IterationRow]) -> str:
    """A Markdown table, accuracies in percent with two decimals; iteration 0 is the start."""
    lines = ["| " + " | ".join(header(name)) + " |", "|---" * 5 + "|"]
    for row in rows:
        cells = _cells(row)
        if row.iteration == 0:
            cells[0] = "0 (start)"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
