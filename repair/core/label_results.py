"""Per-label results files (docs/formats.md, "results.json"), before/after comparisons.

``results.json`` is a JSON array of ``[label, {"success": n, "failure": n, "score": percent,
"name": class name}]`` pairs, one per label present in the data, in label order. ``label`` is the
label index as text (``"6"``), as the reference toolkit writes it, so its users' scripts keep
working; ``name`` is our addition (the class name, or the index again when the data names no
classes) so that charts and ``--require`` can speak of ``pedestrian`` rather than ``6``. Files
without ``name`` (written by the reference) are read too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from repair.core.files import write_json_atomic
from repair.core.results import LabelScore
from repair.core.run_files import RESULTS_FILENAME as RESULTS_FILE
from repair.errors import DataFormatError, InputNotFoundError

OVERALL = "overall"


def results_path(path: str | Path) -> Path:
    """``path`` itself when it names a ``.json`` file, else ``path/results.json``."""
    path = Path(path)
    return path if path.suffix == ".json" and not path.is_dir() else path / RESULTS_FILE


def scores_to_json(scores: Sequence[LabelScore]) -> list[list[object]]:
    """The results.json array for ``scores`` (sorted by label index)."""
    return [
        [
            str(s.label),
            {"success": s.correct, "failure": s.incorrect, "score": s.accuracy, "name": s.name},
        ]
        for s in sorted(scores, key=lambda s: s.label)
    ]


def write_results(path: str | Path, scores: Sequence[LabelScore]) -> Path:
    """Write ``results.json`` atomically (``path`` may be its folder) and return its path."""
    return write_json_atomic(results_path(path), scores_to_json(scores))


def _count(counts: dict[str, object], key: str, label: int, where: Path) -> int:
    value = counts[key]
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value != int(value):  # type: ignore[arg-type]
        raise DataFormatError(
            f"{key} of label {label} must be a whole number; got {json.dumps(value)} in {where}"
        )
    if value < 0:
        raise DataFormatError(f"negative {key} count for label {label} in {where}")
    return int(value)


def _check_score(counts: dict[str, object], label: int, where: Path) -> None:
    """``score`` is recomputed from the counts, but a NaN or a word there means a broken file."""
    if "score" not in counts:
        return
    score = counts["score"]
    number = isinstance(score, int | float) and not isinstance(score, bool)
    if not number or not math.isfinite(score) or not 0 <= score <= 100:  # type: ignore[arg-type]
        raise DataFormatError(
            f"score of label {label} must be a percentage from 0 to 100; "
            f"got {json.dumps(score)} in {where}"
        )


def _label(key: object, where: Path) -> int:
    """A label is a class index, written as a number or as its digits: not -1, 3.5 or 'car'."""
    whole = isinstance(key, int) and not isinstance(key, bool)
    if not (whole or isinstance(key, str)) or not str(key).strip().isdigit():
        raise DataFormatError(
            f"a results label must be a class index (0, 1, ...); got {json.dumps(key)} in {where}"
        )
    return int(str(key).strip())


def _entry_to_score(entry: object, where: Path) -> LabelScore:
    try:
        key, counts = entry  # type: ignore[misc]
        success, failure = counts["success"], counts["failure"]
        name = counts.get("name")
    except (TypeError, ValueError, KeyError, AttributeError):
        raise DataFormatError(
            f'results must be [label, {{"success": n, "failure": n, ...}}] pairs; '
            f"got {json.dumps(entry)[:80]} in {where}"
        ) from None
    label = _label(key, where)
    name = str(label if name is None else name)
    success, failure = (_count(counts, key, label, where) for key in ("success", "failure"))
    _check_score(counts, label, where)
    return LabelScore(label=label, name=name, correct=success, total=success + failure)


def read_results(path: str | Path) -> list[LabelScore]:
    """The label scores of a ``results.json`` (or of the one in folder ``path``), label order."""
    where = results_path(path)
    if not where.is_file():
        raise InputNotFoundError(f"results file not found: {where}")
    try:
        entries = json.loads(where.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataFormatError(f"not a JSON results file: {where} ({error})") from None
    if not isinstance(entries, list) or not entries:
        raise DataFormatError(f"results must be a non-empty JSON array of pairs; file: {where}")
    scores = sorted((_entry_to_score(e, where) for e in entries), key=lambda s: s.label)
    twice = [a.label for a, b in zip(scores, scores[1:], strict=False) if a.label == b.label]
    if twice:
        raise DataFormatError(f"label {twice[0]} appears twice in {where}; each label once")
    return scores


def overall_of(scores: Sequence[LabelScore]) -> float:
    """Accuracy (percent) over all samples of ``scores``; 0 when there are none."""
    total = sum(s.total for s in scores)
    return 100.0 * sum(s.correct for s in scores) / total if total else 0.0


def display_name(score: LabelScore) -> str:
    """``pedestrian (6)`` when the class has a name, else just ``6``."""
    return score.name if score.name == str(score.label) else f"{score.name} ({score.label})"


def find_label(scores: Sequence[LabelScore], text: str) -> LabelScore | None:
    """The score whose class name (case-insensitive) or label index is ``text``."""
    wanted = text.strip().lower()
    for score in scores:
        if score.name.lower() == wanted:
            return score
    for score in scores:
        if str(score.label) == wanted:
            return score
    return None


@dataclass(frozen=True)
class LabelChange:
    """One label before and after; ``before``/``after`` is None where the label is absent."""

    label: int
    name: str
    before: LabelScore | None
    after: LabelScore | None

    @property
    def change(self) -> float | None:
        """Points gained (after minus before accuracy), or None if one side lacks the label."""
        if self.before is None or self.after is None:
            return None
        return self.after.accuracy - self.before.accuracy


@dataclass(frozen=True)
class Comparison:
    """Per-label and overall accuracy of two result sets, aligned by label index."""

    labels: tuple[LabelChange, ...]
    overall_before: float
    overall_after: float

    @property
    def overall_change(self) -> float:
        return self.overall_after - self.overall_before

    def to_dict(self) -> dict[str, object]:
        def side(score: LabelScore | None) -> dict[str, object] | None:
            return None if score is None else score.to_dict()

        return {
            "labels": [
                {
                    "label": row.label,
                    "name": row.name,
                    "before": side(row.before),
                    "after": side(row.after),
                    "change": None if row.change is None else round(row.change, 4),
                }
                for row in self.labels
            ],
            "overall": {
                "before": round(self.overall_before, 4),
                "after": round(self.overall_after, 4),
                "change": round(self.overall_change, 4),
            },
        }


def compare_results(before: Sequence[LabelScore], after: Sequence[LabelScore]) -> Comparison:
    """Align ``before`` and ``after`` by label index (never by position)."""
    old = {s.label: s for s in before}
    new = {s.label: s for s in after}
    rows = tuple(
        LabelChange(label, (new.get(label) or old[label]).name, old.get(label), new.get(label))
        for label in sorted(old.keys() | new.keys())
    )
    return Comparison(rows, overall_of(before), overall_of(after))


def _percent(score: LabelScore | None) -> str:
    return "-" if score is None else f"{score.accuracy:.2f}%"


def format_comparison(comparison: Comparison) -> str:
    """A Markdown table: label, name, before, after, change (points), with an overall row."""
    lines = ["| label | name | before | after | change |", "|---|---|---|---|---|"]
    for row in comparison.labels:
        change = "-" if row.change is None else f"{row.change:+.2f}"
        lines.append(
            f"| {row.label} | {row.name} | {_percent(row.before)} | {_percent(row.after)} "
            f"| {change} |"
        )
    lines.append(
        f"| overall | | {comparison.overall_before:.2f}% | {comparison.overall_after:.2f}% "
        f"| {comparison.overall_change:+.2f} |"
    )
    return "\n".join(lines)
