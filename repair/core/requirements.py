"""Requirements on a repaired model, such as ``pedestrian>=75,car>=90,overall>=-1``.

Each requirement is ``NAME OP NUMBER`` with OP one of ``>=``, ``<=``, ``>``, ``<``. NAME is a
class name (case-insensitive), a label index, or ``overall``. An unsigned NUMBER bounds the
accuracy after repair, in percent (``car>=90``: car stays at 90 % or more). A NUMBER written with
a sign bounds the change in points, after minus before (``overall>=-1``: overall accuracy drops by
at most one point; ``pedestrian>=+2``: pedestrian gains at least two points).

NAME may end in ``@STRATUM`` to check the label (or ``overall``) on one stratum of a robustness
audit rather than on the clean data: ``pedestrian@fog_3>=70``. The caller supplies the
comparison of each stratum (:func:`check_requirements`, ``strata``).

A ``!`` asks for confidence rather than a point estimate (95 %, see docs/evaluation.md):
``pedestrian>=75!`` holds only when the lower end of the Wilson 95 % interval of the accuracy
after repair is at least 75 (with ``<=``/``<``, the upper end is checked); ``pedestrian+!`` holds
only when the accuracy rose and McNemar's exact test on the inputs whose correctness changed
gives p < 0.05 (it needs the per-input comparison, ``compare --paired``). A ``!`` after a
signed number (a change bound) is refused. A stratum takes the interval form
(``pedestrian@fog_3>=70!``) but not the rise, which needs per-input results of the stratum.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from repair.core.label_results import OVERALL, Comparison, LabelChange, find_label
from repair.core.stats import wilson_interval
from repair.errors import ConfigError

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_PATTERN = re.compile(
    r"^\s*(?P<name>[^<>=]+?)\s*(?P<op>>=|<=|>|<)\s*(?P<value>[+-]?(\d+(\.\d*)?|\.\d+))"
    r"\s*(?P<mark>!?)\s*$"
)
RISE = "+"  # the op of ``NAME+!``: a rise significant at SIGNIFICANCE
_RISE_PATTERN = re.compile(r"^\s*(?P<name>[^<>=!]+?)\s*\+\s*!\s*$")
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Requirement:
    """``name op value``; ``relative`` when ``value`` bounds the change rather than the level."""

    name: str
    op: str
    value: float
    relative: bool
    stratum: str | None = None  # ``fog_3`` in ``pedestrian@fog_3>=70``
    significant: bool = False  # the ``!`` mark: a bound on the interval, or a significant rise

    @property
    def subject(self) -> str:
        return self.name if self.stratum is None else f"{self.name}@{self.stratum}"

    def __str__(self) -> str:
        if self.op == RISE:
            return f"{self.subject}+!"
        number = f"{self.value:+g}" if self.relative else f"{self.value:g}"
        return f"{self.subject}{self.op}{number}{'!' if self.significant else ''}"

    def describe(self) -> str:
        if self.op == RISE:
            return f"{self.subject} rise significant at {SIGNIFICANCE:g} (McNemar exact)"
        if self.significant:
            end = "lower" if self.op in (">=", ">") else "upper"
            return f"{self.subject} accuracy 95% interval {end} end {self.op} {self.value:g}%"
        if self.relative:
            return f"{self.subject} change in points {self.op} {self.value:+g}"
        return f"{self.subject} accuracy {self.op} {self.value:g}%"


@dataclass(frozen=True)
class RequirementResult:
    """A requirement, the value it was checked against (None: label absent) and the verdict."""

    requirement: Requirement
    actual: float | None
    passed: bool
    detail: str | None = None  # what a ``!`` requirement was checked on, for people

    def describe(self) -> str:
        req = self.requirement
        if self.actual is None:
            return f"{req.describe()}: label absent from the results"
        if self.detail is not None:
            return f"{req.describe()}: {self.detail}"
        shown = f"{self.actual:+.2f}" if req.relative else f"{self.actual:.2f}%"
        return f"{req.describe()}: got {shown}"

    def to_dict(self) -> dict[str, object]:
        return {
            "requirement": str(self.requirement),
            "actual": None if self.actual is None else round(self.actual, 4),
            "passed": self.passed,
        }


def parse_requirements(text: str) -> list[Requirement]:
    """Parse comma-separated requirements; ConfigError names the part it cannot read."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise ConfigError(f"--require needs at least one requirement like car>=90; got {text!r}")
    requirements = []
    for part in parts:
        rise = _RISE_PATTERN.match(part)
        match = rise or _PATTERN.match(part)
        if match is None:
            raise ConfigError(
                "--require parts look like 'car>=90', 'overall>=-1', 'car>=90!' or 'car+!'; "
                f"cannot read {part.strip()!r}"
            )
        name, at, stratum = match["name"].partition("@")
        if at and not (name.strip() and stratum.strip()):
            raise ConfigError(
                "--require stratum selectors look like 'pedestrian@fog_3>=70'; "
                f"cannot read {part.strip()!r}"
            )
        where = {"stratum": stratum.strip() if at else None}
        if rise is not None:
            requirements.append(
                Requirement(name.strip(), RISE, 0.0, relative=True, significant=True, **where)
            )
            continue
        value = match["value"]
        relative, significant = value[0] in "+-", bool(match["mark"])
        if relative and significant:
            raise ConfigError(
                f"a '!' goes with an accuracy level ('car>=90!') or a rise ('car+!'), not with "
                f"a change in points; cannot read {part.strip()!r}"
            )
        requirements.append(
            Requirement(
                name.strip(), match["op"], float(value), relative, significant=significant, **where
            )
        )
    return requirements


def _label_row(requirement: Requirement, comparison: Comparison) -> LabelChange:
    rows = [row.after or row.before for row in comparison.labels]
    found = find_label([s for s in rows if s is not None], requirement.name)
    if found is None:
        known = ", ".join([row.name for row in comparison.labels] + [OVERALL])
        raise ConfigError(f"--require names an unknown label {requirement.name!r}. Known: {known}")
    return next(row for row in comparison.labels if row.label == found.label)


def _counts_after(requirement: Requirement, comparison: Comparison) -> tuple[str, int, int] | None:
    """(p-value key, correct, total) after repair; None where the label is absent after."""
    if requirement.name.lower() == OVERALL:
        scores = [row.after for row in comparison.labels if row.after is not None]
        return OVERALL, sum(s.correct for s in scores), sum(s.total for s in scores)
    row = _label_row(requirement, comparison)
    if row.after is None:
        return None
    return str(row.label), row.after.correct, row.after.total


def _check_significant(
    requirement: Requirement, comparison: Comparison, p_values: Mapping[str, float] | None
) -> RequirementResult:
    """A ``!`` requirement: a bound on the Wilson interval, or a significant rise."""
    counts = _counts_after(requirement, comparison)
    if counts is None:
        return RequirementResult(requirement, None, False)
    key, correct, total = counts
    if requirement.op == RISE:
        if p_values is None:
            raise ConfigError(
                f"'{requirement}' needs the per-input comparison: use "
                "`repair utils compare --paired --model_dirs BEFORE,AFTER --data_dir D`"
            )
        change = (
            comparison.overall_change
            if key == OVERALL
            else _label_row(requirement, comparison).change
        )
        p = p_values[key]
        passed = change is not None and change > 0 and p < SIGNIFICANCE
        shown = "n/a" if change is None else f"{change:+.2f}"
        return RequirementResult(requirement, p, passed, f"change {shown} points, p = {p:.3g}")
    low, high = wilson_interval(correct, total)
    end = low if requirement.op in (">=", ">") else high
    end = round(end, 9)
    passed = _OPERATORS[requirement.op](end, requirement.value)
    accuracy = 100.0 * correct / total if total else 0.0
    detail = f"got {accuracy:.2f}% [{low:.2f}, {high:.2f}] on {total} inputs"
    return RequirementResult(requirement, end, passed, detail)


def _check_one(requirement: Requirement, comparison: Comparison) -> RequirementResult:
    if requirement.name.lower() == OVERALL:
        before, after = comparison.overall_before, comparison.overall_after
    else:
        row = _label_row(requirement, comparison)
        if row.after is None or (requirement.relative and row.before is None):
            return RequirementResult(requirement, None, False)
        before = None if row.before is None else row.before.accuracy
        after = row.after.accuracy
    # Rounded so that 74.99999999 from float noise does not fail ``>=75``.
    actual = round(after - before if requirement.relative else after, 9)
    passed = _OPERATORS[requirement.op](actual, requirement.value)
    return RequirementResult(requirement, actual, passed)


def check_requirements(
    requirements: Sequence[Requirement],
    comparison: Comparison,
    strata: Callable[[str], Comparison] | None = None,
    p_values: Mapping[str, float] | None = None,
) -> list[RequirementResult]:
    """Check each requirement against ``comparison``, or against ``strata(stratum)`` for a
    stratum selector; ConfigError for an unknown label name or a selector without ``strata``.

    ``p_values``: McNemar's exact p-value per label index (as text) and ``overall``, from a
    paired comparison of ``comparison``; ``NAME+!`` requirements need it.
    """
    results = []
    for requirement in requirements:
        against, p = comparison, p_values
        if requirement.stratum is not None:
            if strata is None:
                raise ConfigError(
                    f"--require {requirement} selects a stratum: give audit folders "
                    "(audit_labels.csv) as --before and --after"
                )
            if requirement.op == RISE:
                raise ConfigError(
                    f"--require {requirement}: a significant rise needs per-input results, "
                    "which an audit's strata do not have; use NAME@STRATUM>=X! instead"
                )
            against, p = strata(requirement.stratum), None
        if requirement.significant:
            results.append(_check_significant(requirement, against, p))
        else:
            results.append(_check_one(requirement, against))
    return results
