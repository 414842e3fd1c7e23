"""Requirements on a repaired model, such as ``pedestrian>=75,car>=90,overall>=-1``.

Each requirement is ``NAME OP NUMBER`` with OP one of ``>=``, ``<=``, ``>``, ``<``. NAME is a
class name (case-insensitive), a label index, or ``overall``. An unsigned NUMBER bounds the
accuracy after repair, in percent (``car>=90``: car stays at 90 % or more). A NUMBER written with
a sign bounds the change in points, after minus before (``overall>=-1``: overall accuracy drops by
at most one point; ``pedestrian>=+2``: pedestrian gains at least two points).

NAME may end in ``@STRATUM`` to check the label (or ``overall``) on one stratum of a robustness
audit rather than on the clean data: ``pedestrian@fog_3>=70``. The caller supplies the
comparison of each stratum (:func:`check_requirements`, ``strata``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from repair.core.label_results import OVERALL, Comparison, find_label
from repair.errors import ConfigError

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_PATTERN = re.compile(
    r"^\s*(?P<name>[^<>=]+?)\s*(?P<op>>=|<=|>|<)\s*(?P<value>[+-]?(\d+(\.\d*)?|\.\d+))\s*$"
)


@dataclass(frozen=True)
class Requirement:
    """``name op value``; ``relative`` when ``value`` bounds the change rather than the level."""

    name: str
    op: str
    value: float
    relative: bool
    stratum: str | None = None  # ``fog_3`` in ``pedestrian@fog_3>=70``

    @property
    def subject(self) -> str:
        return self.name if self.stratum is None else f"{self.name}@{self.stratum}"

    def __str__(self) -> str:
        number = f"{self.value:+g}" if self.relative else f"{self.value:g}"
        return f"{self.subject}{self.op}{number}"

    def describe(self) -> str:
        if self.relative:
            return f"{self.subject} change in points {self.op} {self.value:+g}"
        return f"{self.subject} accuracy {self.op} {self.value:g}%"


@dataclass(frozen=True)
class RequirementResult:
    """A requirement, the value it was checked against (None: label absent) and the verdict."""

    requirement: Requirement
    actual: float | None
    passed: bool

    def describe(self) -> str:
        req = self.requirement
        if self.actual is None:
            return f"{req.describe()}: label absent from the results"
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
        match = _PATTERN.match(part)
        if match is None:
            raise ConfigError(
                "--require parts look like 'car>=90' or 'overall>=-1'; "
                f"cannot read {part.strip()!r}"
            )
        value = match["value"]
        name, at, stratum = match["name"].partition("@")
        if at and not (name.strip() and stratum.strip()):
            raise ConfigError(
                "--require stratum selectors look like 'pedestrian@fog_3>=70'; "
                f"cannot read {part.strip()!r}"
            )
        requirements.append(
            Requirement(
                name.strip(),
                match["op"],
                float(value),
                value[0] in "+-",
                stratum.strip() if at else None,
            )
        )
    return requirements


def _check_one(requirement: Requirement, comparison: Comparison) -> RequirementResult:
    if requirement.name.lower() == OVERALL:
        before, after = comparison.overall_before, comparison.overall_after
    else:
        rows = [row.after or row.before for row in comparison.labels]
        found = find_label([s for s in rows if s is not None], requirement.name)
        if found is None:
            known = ", ".join([row.name for row in comparison.labels] + [OVERALL])
            raise ConfigError(
                f"--require names an unknown label {requirement.name!r}. Known: {known}"
            )
        row = next(row for row in comparison.labels if row.label == found.label)
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
) -> list[RequirementResult]:
    """Check each requirement against ``comparison``, or against ``strata(stratum)`` for a
    stratum selector; ConfigError for an unknown label name or a selector without ``strata``."""
    results = []
    for requirement in requirements:
        against = comparison
        if requirement.stratum is not None:
            if strata is None:
                raise ConfigError(
                    f"--require {requirement} selects a stratum: give audit folders "
                    "(audit_labels.csv) as --before and --after"
                )
            against = strata(requirement.stratum)
        results.append(_check_one(requirement, against))
    return results
