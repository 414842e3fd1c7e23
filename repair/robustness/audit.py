"""The stratified robustness audit as tables: accuracy per (model, stratum) and per label.

A stratum is what the per-image keys of a split say about an image: ``corruption`` and
``intensity`` (``repair corrupt``), ``attack``, ``eps`` and ``source_model`` (``repair
attack``), or nothing (a clean split). An operating condition (``timeofday=night``, a per-image
string key and its value, :mod:`repair.robustness.audit_conditions`) is a stratum of category
``condition`` across the strata of its file, without an intensity. Everything here is a pure
function of predictions and those keys; the summaries of the rows are in
:mod:`repair.robustness.audit_summary`, one side of ``utils compare`` in
:mod:`repair.robustness.audit_compare`; reading files, predicting and drawing happen in
:mod:`repair.robustness.audit_run` and :mod:`repair.reports.robustness`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from repair.core.files import csv_text
from repair.errors import DataFormatError, InputNotFoundError
from repair.robustness.keys import (
    ATTACK_KEY,
    CORRUPTION_KEY,
    EPS_KEY,
    INTENSITY_KEY,
    SOURCE_MODEL_KEY,
)

CLEAN = "clean"
ADVERSARIAL = "adversarial"
OTHER = "other"
CATEGORIES = (CLEAN, "noise", "blur", "weather", "digital", ADVERSARIAL, OTHER)
CONDITION = "condition"  # rows of ``audit --strata``: kind ``key=value``, no intensity
AUDIT_FILE = "audit.csv"
LABELS_FILE = "audit_labels.csv"
TRANSFER_FILE = "transfer.csv"
COLUMNS = ("model", "category", "kind", "intensity", "n", "correct", "accuracy")
EXTRA_COLUMNS = ("source_model", "file")  # ours: which attack model, which split file
LABEL_COLUMNS = ("label", "name")


@dataclass(frozen=True)
class Stratum:
    """category (one of CATEGORIES, or CONDITION), kind (the corruption or attack; ``clean``;
    ``key=value`` for a condition), intensity (1-5, the eps of an attack, 0 when clean or a
    condition, which the tables leave empty) and source_model (the attacked model, or '')."""

    category: str
    kind: str
    intensity: float
    source_model: str = ""

    @property
    def name(self) -> str:
        """``fog_3``, ``fgm_0.03``, ``clean``, ``timeofday=night``: how requirements and file
        names call it."""
        if self.category == CONDITION:
            return self.kind
        return CLEAN if self.category == CLEAN else f"{self.kind}_{self.intensity:g}"

    @property
    def shown_intensity(self) -> str:
        """The intensity as the tables write it: empty for a condition."""
        return "" if self.category == CONDITION else f"{self.intensity:g}"


@dataclass(frozen=True)
class AuditRow:
    """One model on one stratum of one file; ``label``/``name`` set in the per-label table."""

    model: str
    stratum: Stratum
    n: int
    correct: int
    file: str
    label: int | None = None
    name: str = ""

    @property
    def accuracy(self) -> float:
        """Percent correct (0 for an empty stratum), as ``repair test`` computes it."""
        return 100.0 * self.correct / self.n if self.n else 0.0

    def to_csv_row(self) -> list[object]:
        s = self.stratum
        head = [self.model, s.category, s.kind, s.shown_intensity]
        label = [] if self.label is None else [self.label, self.name]
        tail = [self.n, self.correct, f"{self.accuracy:.4f}", s.source_model, self.file]
        return head + label + tail

    def to_dict(self) -> dict[str, object]:
        s = self.stratum
        row: dict[str, object] = {
            "model": self.model,
            "category": s.category,
            "kind": s.kind,
            "intensity": None if s.category == CONDITION else s.intensity,
        }
        if self.label is not None:
            row |= {"label": self.label, "name": self.name}
        return row | {
            "n": self.n,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "source_model": s.source_model,
            "file": self.file,
        }


def image_strata(
    num_images: int,
    extras: Mapping[str, np.ndarray],
    category_of: Callable[[str], str],
    model_names: Mapping[str, str] | None = None,
) -> tuple[list[Stratum], np.ndarray]:
    """The distinct strata of a file's images and, per image (N,), the index of its stratum.

    ``category_of`` maps a corruption name to its category; ``model_names`` maps a stored
    ``source_model`` (a model file's path) to the name the audit gives that model.
    """
    model_names = model_names or {}
    if ATTACK_KEY in extras:
        kinds = extras[ATTACK_KEY]
        levels = np.asarray(extras[EPS_KEY], dtype=np.float64)
        sources = [model_names.get(s, s) for s in extras.get(SOURCE_MODEL_KEY, [""] * num_images)]
        keys = [
            Stratum(ADVERSARIAL, str(k), float(e), str(s))
            for k, e, s in zip(kinds, levels, sources, strict=True)
        ]
    elif CORRUPTION_KEY in extras:
        levels = np.asarray(extras[INTENSITY_KEY], dtype=np.float64)
        categories = {name: category_of(str(name)) for name in set(extras[CORRUPTION_KEY])}
        keys = [
            Stratum(categories[k], str(k), float(i))
            for k, i in zip(extras[CORRUPTION_KEY], levels, strict=True)
        ]
    else:
        return [Stratum(CLEAN, CLEAN, 0.0)], np.zeros(num_images, dtype=np.int64)
    index: dict[Stratum, int] = {}
    inverse = np.array([index.setdefault(key, len(index)) for key in keys], dtype=np.int64)
    return list(index), inverse


def audit_file(
    model: str,
    file: str,
    strata: Sequence[Stratum],
    which: np.ndarray,
    true: np.ndarray,
    predicted: np.ndarray,
    class_names: Sequence[str],
) -> tuple[list[AuditRow], list[AuditRow]]:
    """Rows of ``audit.csv`` and ``audit_labels.csv`` for one model on one file.

    which: (N,) stratum index per image; true / predicted: (N,) label indices.
    """
    rows, label_rows = [], []
    hits = true == predicted
    for position, stratum in enumerate(strata):
        mask = which == position
        row = AuditRow(model, stratum, int(mask.sum()), int(hits[mask].sum()), file)
        rows.append(row)
        totals = np.bincount(true[mask], minlength=len(class_names))
        correct = np.bincount(true[mask & hits], minlength=len(class_names))
        for label in np.flatnonzero(totals):
            label_rows.append(
                replace(
                    row,
                    n=int(totals[label]),
                    correct=int(correct[label]),
                    label=int(label),
                    name=class_names[label],
                )
            )
    return rows, label_rows


def sort_key(row: AuditRow, models: Sequence[str]) -> tuple:
    s = row.stratum
    category = CATEGORIES.index(s.category) if s.category in CATEGORIES else len(CATEGORIES)
    model = models.index(row.model) if row.model in models else len(models)
    return (model, category, s.kind, s.intensity, s.source_model, row.file, row.label or 0)


def audit_csv(rows: Iterable[AuditRow], per_label: bool = False) -> str:
    """The text of ``audit.csv`` (or of ``audit_labels.csv`` when ``per_label``)."""
    head = COLUMNS[:4] + (LABEL_COLUMNS if per_label else ()) + COLUMNS[4:] + EXTRA_COLUMNS
    return csv_text([head, *(row.to_csv_row() for row in rows)])


def read_audit(path: str | Path) -> list[AuditRow]:
    """The rows of an ``audit.csv`` or ``audit_labels.csv`` (or of the one in folder ``path``:
    the per-label table when there)."""
    path = Path(path)
    if path.is_dir():
        path = path / LABELS_FILE
    if not path.is_file():
        raise InputNotFoundError(f"audit table not found: {path}")
    try:
        records = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        return [_row_from_record(record) for record in records]
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as error:
        raise DataFormatError(
            f"not an audit table ({', '.join(COLUMNS)}, ...): {path} ({error})"
        ) from None


def _row_from_record(record: Mapping[str, str]) -> AuditRow:
    stratum = Stratum(
        record["category"],
        record["kind"],
        float(record["intensity"] or 0),
        record.get("source_model") or "",
    )
    label = record.get("label")
    return AuditRow(
        record["model"],
        stratum,
        int(record["n"]),
        int(record["correct"]),
        record.get("file") or "",
        None if label in (None, "") else int(label),
        record.get("name") or "",
    )


def pooled(rows: Iterable[AuditRow]) -> tuple[int, int]:
    """(n, correct) summed over ``rows``."""
    n = correct = 0
    for row in rows:
        n, correct = n + row.n, correct + row.correct
    return n, correct


def audit_models(rows: Sequence[AuditRow]) -> list[str]:
    """The models of an audit table, in table order."""
    return list(dict.fromkeys(row.model for row in rows))
