"""Operating conditions: ``key=value`` tests on a split's per-image string keys.

A condition names a per-image string key of a split file and one of its values, such as
``timeofday=night`` (docs/formats.md, "Dataset splits": ``prepare bdd-objects`` stores the BDD
frame attributes ``weather``, ``timeofday`` and ``scene``; ``utils add_attributes`` adds keys
from a CSV). Several conditions, comma-separated, are ANDed: ``weather=rainy,timeofday=night``.
``repair target --where``, the audit's ``--strata``, the requirement selectors
(``pedestrian@timeofday=night>=70``) and the risk tool all parse and match them here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from repair.errors import ConfigError

# The BDD100K frame attributes ``prepare bdd-objects`` stores, and the value of a frame without.
FRAME_ATTRIBUTES = ("weather", "timeofday", "scene")
UNDEFINED = "undefined"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True)
class Condition:
    """Images whose per-image key ``key`` equals ``value``."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


def is_condition(text: str) -> bool:
    """Whether ``text`` (a stratum name) is a condition rather than a corruption stratum."""
    return "=" in text


def parse_conditions(text: str, option: str = "--where") -> tuple[Condition, ...]:
    """``weather=rainy,timeofday=night`` as conditions (ANDed); ConfigError names the part.

    A key given twice with two values could match nothing, so it is refused."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ConfigError(f"{option} needs conditions like 'timeofday=night'; got {text!r}")
    conditions: dict[str, Condition] = {}
    for part in parts:
        key, equals, value = (piece.strip() for piece in part.partition("="))
        if not equals or not _KEY.fullmatch(key) or not value or "=" in value:
            raise ConfigError(
                f"{option} parts look like 'timeofday=night' (a per-image key, '=', a value); "
                f"cannot read {part!r}"
            )
        known = conditions.setdefault(key, Condition(key, value))
        if known.value != value:
            raise ConfigError(
                f"{option} gives '{key}' two values ({known.value}, {value}); conditions are "
                "ANDed, so an image cannot match both"
            )
    return tuple(conditions.values())


def string_keys(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The per-image keys among ``columns`` that hold strings (numbers are not conditions)."""
    return {
        name: values
        for name, values in columns.items()
        if values.dtype == object or values.dtype.kind in "US"
    }


def values_of(column: np.ndarray) -> list[str]:
    """The distinct values of a per-image string key, sorted."""
    return sorted({str(v) for v in column})


def check_conditions(
    conditions: Sequence[Condition],
    columns: Mapping[str, np.ndarray],
    where: str,
    option: str = "--where",
) -> None:
    """Every key is a string key of ``columns`` and every value occurs in it; otherwise one
    ConfigError naming what the split (``where``) does have."""
    keys = string_keys(columns)
    for condition in conditions:
        if condition.key not in keys:
            known = ", ".join(sorted(keys)) or "none"
            raise ConfigError(
                f"{option} {condition}: {where} has no per-image string key "
                f"'{condition.key}'; its keys: {known}"
            )
        present = values_of(keys[condition.key])
        if condition.value not in present:
            raise ConfigError(
                f"{option} {condition}: no image of {where} has {condition.key}="
                f"{condition.value}; its values: {', '.join(present)}"
            )


def condition_mask(
    conditions: Sequence[Condition], columns: Mapping[str, np.ndarray], size: int
) -> np.ndarray:
    """(size,) bool: the images that match every condition (all of them for none).

    ``columns``: per-image key -> (size,) values; a key absent from them matches nothing."""
    mask = np.ones(size, dtype=bool)
    for condition in conditions:
        column = columns.get(condition.key)
        if column is None:
            return np.zeros(size, dtype=bool)
        mask &= np.asarray([str(v) for v in column], dtype=object) == condition.value
    return mask


def describe(conditions: Sequence[Condition]) -> str:
    """``weather=rainy,timeofday=night``: the conditions as they are written."""
    return ",".join(str(condition) for condition in conditions)
