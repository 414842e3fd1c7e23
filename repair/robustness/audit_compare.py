"""One model's per-label scores on one stratum of an audit table: a side of ``utils compare``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from repair.core.conditions import is_condition
from repair.core.results import LabelScore
from repair.core.run_files import RESULTS_FILENAME
from repair.errors import ConfigError, DataFormatError
from repair.robustness.audit import CLEAN, LABELS_FILE, AuditRow, Stratum, audit_models, read_audit
from repair.robustness.audit_conditions import chart_file, is_condition_row


def stratum_scores(rows: Sequence[AuditRow], model: str, stratum: str) -> list[LabelScore]:
    """The per-label scores of ``model`` on ``stratum``, from the per-label table.

    ``stratum`` names a file of the audit (``holdout/fog_3.h5``, with or without ``.h5``), a
    file's stem (``fog_3``) or a stratum (``fog_3``, ``fgm_0.03``, ``clean``). It must pick one
    (file, stratum) pair; where adversarial examples of several models match, the ones made on
    ``model`` itself are taken; where a condition (``timeofday=night``) was audited on several
    files, the one on test.h5 (else on the first clean file) is taken. Else ConfigError lists
    the candidates.
    """
    mine = [r for r in rows if r.model == model and r.label is not None]
    wanted = stratum.strip()
    # A file name selects the file's own strata; its condition rows are selected by name.
    tests: tuple[Callable[[AuditRow], bool], ...] = (
        lambda r: r.file in (wanted, f"{wanted}.h5") and not is_condition_row(r),
        lambda r: Path(r.file).stem == wanted and not is_condition_row(r),
        lambda r: r.stratum.name == wanted,
    )
    found = next((hits for test in tests if (hits := [r for r in mine if test(r)])), [])
    if not found and is_condition(wanted):
        raise ConfigError(unknown_condition(wanted, mine, model))
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
    if len(groups) > 1 and is_condition(wanted):
        shown = chart_file(mine)
        groups = {k: v for k, v in groups.items() if k[0] == shown} or groups
    if len(groups) > 1:
        files = ", ".join(sorted({file for file, _ in groups}))
        raise ConfigError(
            f"stratum {stratum!r} matches several files of the audit of {model}: {files}; "
            "name one of them"
        )
    [picked] = groups.values()
    return [LabelScore(r.label or 0, r.name, r.correct, r.n) for r in picked]


def unknown_condition(wanted: str, rows: Sequence[AuditRow], model: str) -> str:
    """The message for a condition the audit of ``model`` lacks, naming what it has."""
    key = wanted.partition("=")[0].strip()
    kinds = sorted({r.stratum.kind for r in rows if is_condition_row(r)})
    values = [kind.partition("=")[2] for kind in kinds if kind.partition("=")[0] == key]
    if values:
        return f"no condition {wanted!r} in the audit of {model}; {key} values: {', '.join(values)}"
    keys = sorted({kind.partition("=")[0] for kind in kinds})
    audited = ", ".join(keys) if keys else "none (run repair audit --strata KEY,...)"
    return f"no condition key {key!r} in the audit of {model}; audited keys: {audited}"


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
