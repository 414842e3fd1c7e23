"""The stratified robustness audit as tables: accuracy per (model, stratum) and per label.

A stratum is what the per-image keys of a split say about an image: ``corruption`` and
``intensity`` (``repair corrupt``), ``attack``, ``eps`` and ``source_model`` (``repair
attack``), or nothing (a clean split). Everything here is a pure function of predictions and
those keys; reading files, predicting and drawing happen in :mod:`repair.robustness.audit_run`
and :mod:`repair.reports.robustness`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from repair.core.files import csv_text
from repair.core.results import LabelScore
from repair.core.run_files import RESULTS_FILENAME
from repair.errors import ConfigError, DataFormatError, InputNotFoundError
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
AUDIT_FILE = "audit.csv"
LABELS_FILE = "audit_labels.csv"
TRANSFER_FILE = "transfer.csv"
COLUMNS = ("model", "category", "kind", "intensity", "n", "correct", "accuracy")
EXTRA_COLUMNS = ("source_model", "file")  # ours: which attack model, which split file
LABEL_COLUMNS = ("label", "name")


@dataclass(frozen=True)
class Stratum:
    """category (one of CATEGORIES), kind (the corruption or attack; ``clean``), intensity
    (1-5, the eps of an attack, 0 when clean) and source_model (the attacked model, or '')."""

    category: str
    kind: str
    intensity: float
    source_model: str = ""

    @property
    def name(self) -> str:
        """``fog_3``, ``fgm_0.03``, ``clean``: how requirements and file names call it."""
        return CLEAN if self.category == CLEAN else f"{self.kind}_{self.intensity:g}"


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
        head = [self.model, s.category, s.kind, f"{s.intensity:g}"]
        label = [] if self.label is None else [self.label, self.name]
        tail = [self.n, self.correct, f"{self.accuracy:.4f}", s.source_model, self.file]
        return head + label + tail

    def to_dict(self) -> dict[str, object]:
        s = self.stratum
        row: dict[str, object] = {
            "model": self.model,
            "category": s.category,
            "kind": s.kind,
            "intensity": s.intensity,
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
        float(record["intensity"]),
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


def curve_rows(rows: Sequence[AuditRow], model: str) -> list[AuditRow]:
    """The rows that describe ``model`` itself: for adversarial strata, the examples made on
    the model (white-box) when the audit has them, else those made on any model."""
    mine = [row for row in rows if row.model == model]
    adversarial = [row for row in mine if row.stratum.category == ADVERSARIAL]
    white_box = [row for row in adversarial if row.stratum.source_model == model]
    if white_box:
        mine = [r for r in mine if r.stratum.category != ADVERSARIAL or r in white_box]
    return mine


@dataclass(frozen=True)
class MeanRow:
    """Mean accuracy of a model at one intensity of a group (``clean``, ``corruptions``, or an
    attack kind), unweighted over the kinds of the group; ``strata``: how many were averaged."""

    model: str
    group: str
    intensity: float
    accuracy: float
    strata: int

    @property
    def column(self) -> str:
        if self.group == CLEAN:
            return CLEAN
        return f"{self.group} {self.intensity:g}"

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "group": self.group,
            "intensity": self.intensity,
            "accuracy": round(self.accuracy, 4),
            "strata": self.strata,
        }


CORRUPTIONS = "corruptions"


def mean_by_intensity(rows: Sequence[AuditRow], models: Sequence[str]) -> list[MeanRow]:
    """Per model: clean accuracy, the mean over corruptions at each intensity (each corruption
    pooled over its files first), and each attack's accuracy per eps (white-box when present)."""
    means = []
    for model in models:
        groups: dict[tuple[str, float], dict[str, list[AuditRow]]] = {}
        for row in curve_rows(rows, model):
            s = row.stratum
            group = {CLEAN: CLEAN, ADVERSARIAL: s.kind}.get(s.category, CORRUPTIONS)
            groups.setdefault((group, s.intensity), {}).setdefault(s.kind, []).append(row)
        for (group, intensity), kinds in groups.items():
            accuracies = []
            for kind_rows in kinds.values():
                n, correct = pooled(kind_rows)
                accuracies.append(100.0 * correct / n if n else 0.0)
            means.append(
                MeanRow(model, group, intensity, float(np.mean(accuracies)), len(accuracies))
            )
    order = {CLEAN: 0, CORRUPTIONS: 1}
    return sorted(
        means, key=lambda m: (models.index(m.model), order.get(m.group, 2), m.group, m.intensity)
    )


def format_means(means: Sequence[MeanRow], models: Sequence[str]) -> str:
    """A Markdown table: one row per model, one column per group and intensity."""
    columns = list(dict.fromkeys(m.column for m in means))
    cells = {(m.model, m.column): f"{m.accuracy:.2f}" for m in means}
    lines = [
        "| model | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for model in models:
        values = [cells.get((model, column), "-") for column in columns]
        lines.append(f"| {model} | " + " | ".join(values) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class TransferCell:
    """Accuracy of ``target`` on the examples of attack ``kind`` at ``eps`` made on ``source``."""

    kind: str
    eps: float
    source: str
    target: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.n if self.n else 0.0


def transfer_cells(rows: Sequence[AuditRow], models: Sequence[str]) -> list[TransferCell]:
    """Every (attack, eps, source model, target model) cell, when some adversarial examples
    were measured on a model other than the one they were made on; else an empty list."""
    adversarial = [r for r in rows if r.stratum.category == ADVERSARIAL]
    if not any(r.stratum.source_model != r.model for r in adversarial):
        return []
    groups: dict[tuple[str, float, str, str], list[AuditRow]] = {}
    for row in adversarial:
        s = row.stratum
        groups.setdefault((s.kind, s.intensity, s.source_model, row.model), []).append(row)
    cells = [TransferCell(*key, *pooled(group)) for key, group in groups.items()]
    rank = {name: i for i, name in enumerate(models)}
    return sorted(
        cells,
        key=lambda c: (c.kind, c.eps, rank.get(c.source, len(rank)), c.source, rank[c.target]),
    )


def transfer_csv(cells: Sequence[TransferCell], models: Sequence[str]) -> str:
    """``transfer.csv``: one row per (attack, eps, source model), one accuracy column per
    target model (empty where that model was not measured on those examples)."""
    table: dict[tuple[str, float, str], dict[str, float]] = {}
    for cell in cells:
        table.setdefault((cell.kind, cell.eps, cell.source), {})[cell.target] = cell.accuracy
    rows = [["attack", "eps", "source_model", *models]]
    for (kind, eps, source), values in table.items():
        accuracies = [f"{values[m]:.4f}" if m in values else "" for m in models]
        rows.append([kind, f"{eps:g}", source, *accuracies])
    return csv_text(rows)


def stratum_scores(rows: Sequence[AuditRow], model: str, stratum: str) -> list[LabelScore]:
    """The per-label scores of ``model`` on ``stratum``, from the per-label table.

    ``stratum`` names a file of the audit (``holdout/fog_3.h5``, with or without ``.h5``), a
    file's stem (``fog_3``) or a stratum (``fog_3``, ``fgm_0.03``, ``clean``). It must pick one
    (file, stratum) pair; where adversarial examples of several models match, the ones made on
    ``model`` itself are taken. Else ConfigError lists the candidates.
    """
    mine = [r for r in rows if r.model == model and r.label is not None]
    wanted = stratum.strip()
    tests: tuple[Callable[[AuditRow], bool], ...] = (
        lambda r: r.file in (wanted, f"{wanted}.h5"),
        lambda r: Path(r.file).stem == wanted,
        lambda r: r.stratum.name == wanted,
    )
    found = next((hits for test in tests if (hits := [r for r in mine if test(r)])), [])
    if not found:
        known = sorted({r.stratum.name for r in mine} | {r.file for r in mine})
        raise ConfigError(
            f"no stratum {stratum!r} in the audit of {model}. Known: {', '.join(known)}"
        )
    groups: dict[tuple[str, Stratum], list[AuditRow]] = {}
    for row in found:
        groups.setdefault((row.file, row.stratum), []).append(row)
    if len(groups) > 1:
        groups = {k: v for k, v in groups.items() if k[1].source_model == model} or groups
    if len(groups) > 1:
        files = ", ".join(sorted({file for file, _ in groups}))
        raise ConfigError(
            f"stratum {stratum!r} matches several files of the audit of {model}: {files}; "
            "name one of them"
        )
    [picked] = groups.values()
    return [LabelScore(r.label or 0, r.name, r.correct, r.n) for r in picked]


def audit_models(rows: Sequence[AuditRow]) -> list[str]:
    """The models of an audit table, in table order."""
    return list(dict.fromkeys(row.model for row in rows))


def is_audit(path: str | Path) -> bool:
    """Whether ``path`` names an audit's per-label table (a ``.csv`` file, or a folder holding
    ``audit_labels.csv`` and no ``results.json``) rather than a ``results.json``."""
    path = Path(path)
    if path.is_dir():
        return (path / LABELS_FILE).is_file() and not (path / RESULTS_FILENAME).exists()
    return path.suffix == ".csv"


@dataclass(frozen=True)
class AuditSide:
    """One model's rows of an audit's per-label table: one side of ``utils compare``."""

    rows: tuple[AuditRow, ...]
    model: str

    @classmethod
    def read(cls, path: str | Path, model: str | None, option: str) -> AuditSide:
        """The rows of ``model`` (may be None when the audit has one model); ``option`` names
        the command-line option that chooses the model, for the error message."""
        rows = read_audit(path)
        if not rows or any(row.label is None for row in rows):
            raise DataFormatError(f"{path} is not a per-label audit table ({LABELS_FILE})")
        models = audit_models(rows)
        if model is None and len(models) > 1:
            raise ConfigError(
                f"{path} audits several models; choose one with {option}: {', '.join(models)}"
            )
        model = models[0] if model is None else model
        if model not in models:
            raise ConfigError(f"{option} {model!r} is not in {path}. Known: {', '.join(models)}")
        return cls(tuple(row for row in rows if row.model == model), model)

    def scores(self, stratum: str) -> list[LabelScore]:
        """Per-label scores on ``stratum`` (see :func:`stratum_scores`)."""
        return stratum_scores(self.rows, self.model, stratum)

    def clean_scores(self) -> list[LabelScore]:
        """Per-label scores on clean data: test.h5 when audited, else the one clean file."""
        files = {row.file for row in self.rows if row.stratum.category == CLEAN}
        return self.scores("test.h5" if "test.h5" in files else CLEAN)
