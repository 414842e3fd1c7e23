"""``utils compare`` as keyword-only functions: two results, two audits, or two models paired.

Each returns a :class:`CompareResult` (the per-label comparison, the requirement checks and the
table to show); the caller decides what a failed requirement means (the CLI exits 1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from repair.core.label_results import Comparison
    from repair.core.requirements import Requirement, RequirementResult
    from repair.core.results import LabelScore
    from repair.robustness.audit_compare import AuditSide
    from repair.variability.paired import PairedRow


@dataclass(frozen=True)
class CompareResult:
    """The comparison, each requirement's check, the table for people and, for a paired
    comparison, the per-label rows and the split both models were measured on."""

    comparison: Comparison
    checks: tuple[RequirementResult, ...]
    table: str
    paired: tuple[PairedRow, ...] | None = None
    split: Path | None = None

    @property
    def failed(self) -> list[RequirementResult]:
        return [check for check in self.checks if not check.passed]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` report: the comparison, the paired rows, the checks and ``passed``."""
        extra = {}
        if self.paired is not None:
            extra = {"paired": [row.to_dict() for row in self.paired], "split": str(self.split)}
        checks = [check.to_dict() for check in self.checks]
        return {**self.comparison.to_dict(), **extra, "requirements": checks, "passed": self.passed}


def compare(
    *,
    before: Path,
    after: Path,
    before_model: str | None = None,
    after_model: str | None = None,
    requirements: Sequence[Requirement] = (),
) -> CompareResult:
    """Compare two results.json (or the clean data of two audit folders, which then also
    answer stratum requirements such as ``pedestrian@fog_3>=70``); check ``requirements``.

    ``before_model``/``after_model`` pick a model of an audit that holds several. A setting
    that does not fit the inputs raises ConfigError.
    """
    from repair.core.label_results import compare_results, format_comparison

    old, old_audit = _compare_side(Path(before), before_model, "--before_model")
    new, new_audit = _compare_side(Path(after), after_model, "--after_model")
    comparison = compare_results(old, new)
    strata: Callable[[str], Comparison] | None = None
    if old_audit is not None and new_audit is not None:

        def strata(name: str) -> Comparison:
            return compare_results(old_audit.scores(name), new_audit.scores(name))

    checks = _check(requirements, comparison, strata, None)
    return CompareResult(comparison, checks, format_comparison(comparison))


def compare_paired(
    *,
    before_model_dir: Path,
    after_model_dir: Path,
    data_file: Path,
    requirements: Sequence[Requirement] = (),
    batch_size: int = 256,
) -> CompareResult:
    """Predict both models on ``data_file`` and compare them input by input: Wilson 95%
    intervals and McNemar's exact p-value per label, so ``!`` requirements can be checked."""
    from repair.core.model import predict_file
    from repair.variability.paired import as_comparison, format_paired, paired_rows

    info, before = predict_file(before_model_dir, data_file, batch_size, "before")
    _, after = predict_file(after_model_dir, data_file, batch_size, "after")
    rows = paired_rows(before.true, before.correct, after.correct, info.class_names)
    comparison, p_values = as_comparison(rows)
    checks = _check(requirements, comparison, None, p_values)
    return CompareResult(comparison, checks, format_paired(rows), tuple(rows), Path(data_file))


def _check(
    requirements: Sequence[Requirement],
    comparison: Comparison,
    strata: Callable[[str], Comparison] | None,
    p_values: Mapping[str, float] | None,
) -> tuple[RequirementResult, ...]:
    from repair.core.requirements import check_requirements

    return tuple(check_requirements(list(requirements), comparison, strata, p_values))


def _compare_side(
    path: Path, model: str | None, option: str
) -> tuple[list[LabelScore], AuditSide | None]:
    """Label scores of one side: a results.json, or the clean data of an audit (then also
    the audit, for stratum requirements)."""
    from repair.core.label_results import read_results
    from repair.errors import ConfigError
    from repair.robustness.audit_compare import AuditSide, is_audit

    if not is_audit(path):
        if model is not None:
            raise ConfigError(f"{option} applies to an audit folder; {path} holds results.json")
        return read_results(path), None
    side = AuditSide.read(path, model, option)
    return side.clean_scores(), side
