"""The table of an iterative repair run: one row per iteration, from its ``results.json``.

``scripts/repair_loop.sh`` writes ``<run_dir>/0/results.json`` for the starting model and
``<run_dir>/<k>/results.json`` for the model repaired at iteration k, all on the same test data.
Where iteration k repaired (``repair optimize`` wrote ``<run_dir>/<k>/summary.json``), the row
also says how many of the chunk's negatives it patched and how many positives it broke.

Each row also carries the Wilson 95 % interval of the label's accuracy and, where the loop
compared the iteration's model with the starting one input by input (``<k>/paired.json``, the
``repair utils compare --paired --json`` output), McNemar's exact p-value of the label's change
since the start. The best iteration is the most accurate one whose gain over the start is
significant at 0.05, or none: a gain within the noise is no reason to pick a model.
"""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass
from pathlib import Path

from repair.core.files import csv_text
from repair.core.label_results import RESULTS_FILE, find_label, overall_of, read_results
from repair.core.stats import wilson_interval
from repair.errors import DataFormatError, InputNotFoundError

SUMMARY_FILE = "summary.json"
PAIRED_FILE = "paired.json"
SIGNIFICANCE = 0.05
REPAIR_COUNTS = ("patched", "negatives", "broken", "positives")


@dataclass(frozen=True)
class IterationRow:
    """After ``iteration``: one label's counts and accuracy and the overall accuracy (percent)
    on test data; and the repair's counts on its chunk (None where the iteration did not repair).
    """

    iteration: int
    correct: int
    incorrect: int
    accuracy: float
    overall: float
    patched: int | None = None
    negatives: int | None = None
    broken: int | None = None
    positives: int | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None


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


def repair_counts(folder: Path) -> dict[str, int]:
    """patched/negatives/broken/positives from ``folder/summary.json``; {} if it has none."""
    path = folder / SUMMARY_FILE
    if not path.is_file():
        return {}
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        return {key: int(summary[key]) for key in REPAIR_COUNTS}
    except (ValueError, KeyError, TypeError):
        raise DataFormatError(
            f"{path} must hold the counts {', '.join(REPAIR_COUNTS)} (written by repair optimize)"
        ) from None


def paired_p_value(folder: Path, label: int) -> float | None:
    """McNemar's p-value of ``label``'s change since the start, from ``folder/paired.json``
    (None when the loop wrote none there)."""
    path = folder / PAIRED_FILE
    if not path.is_file():
        return None
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["paired"]
        return next(float(row["p_value"]) for row in rows if row["label"] == label)
    except (ValueError, KeyError, TypeError, StopIteration):
        raise DataFormatError(
            f"{path} must hold the paired comparison of label {label} "
            "(written by repair utils compare --paired --json)"
        ) from None


def best_iteration(rows: list[IterationRow]) -> IterationRow | None:
    """The most accurate iteration whose gain over the start (iteration 0) is significant
    (p < 0.05, accuracy above the start's); the earliest on a tie; None when there is none."""
    start = rows[0].accuracy
    significant = [
        row
        for row in rows[1:]
        if row.accuracy > start and row.p_value is not None and row.p_value < SIGNIFICANCE
    ]
    return max(significant, key=lambda row: (row.accuracy, -row.iteration), default=None)


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
        counts = repair_counts(folder) if iteration else {}
        low, high = wilson_interval(score.correct, score.total)
        rows.append(
            IterationRow(
                iteration,
                score.correct,
                score.incorrect,
                score.accuracy,
                overall_of(scores),
                **counts,
                low=low,
                high=high,
                p_value=paired_p_value(folder, score.label) if iteration else None,
            )
        )
    return str(name), rows


def header(name: str) -> list[str]:
    accuracy = f"accuracy_{name}".replace(" ", "_")
    return [
        "iteration", "correct", "incorrect", accuracy, "overall_accuracy", *REPAIR_COUNTS,
        f"{accuracy}_low", f"{accuracy}_high", "p_vs_start",
    ]  # fmt: skip


def rows_to_csv(name: str, rows: list[IterationRow]) -> str:
    """CSV with a header; accuracies in percent, unrounded so scripts lose nothing; the repair
    counts are empty where an iteration did not repair."""
    cells = (["" if v is None else v for v in astuple(row)] for row in rows)
    return csv_text([header(name), *cells])


def _markdown_cells(row: IterationRow) -> list[str]:
    if row.patched is None:
        repaired = "start" if row.iteration == 0 else "no negatives: skipped"
    else:
        repaired = f"{row.patched}/{row.negatives} patched, {row.broken}/{row.positives} broken"
    interval = "" if row.low is None else f" [{row.low:.2f}, {row.high:.2f}]"
    return [
        str(row.iteration),
        str(row.correct),
        str(row.incorrect),
        f"{row.accuracy:.2f}{interval}",
        f"{row.overall:.2f}",
        "-" if row.p_value is None else f"{row.p_value:.3g}",
        repaired,
    ]


def rows_to_markdown(name: str, rows: list[IterationRow]) -> str:
    """A Markdown table, accuracies in percent with two decimals (the label's with its 95 %
    interval), the p-value of the label's change since the start, and what each repair did on
    its chunk."""
    columns = [*header(name)[:3], f"{header(name)[3]} [95% CI]", header(name)[4], "p_vs_start"]
    columns.append("repair on the chunk")
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    lines += ["| " + " | ".join(_markdown_cells(row)) + " |" for row in rows]
    return "\n".join(lines)
