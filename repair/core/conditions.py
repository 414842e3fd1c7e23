"""Operating conditions as ``key=value`` pairs (``weather=rainy,timeofday=night``), ANDed.

BDD100K labels every frame with ``weather``, ``timeofday`` and ``scene``; a condition names
some of them. Parsing refuses what would otherwise select nothing silently: a part without
``=``, an empty key or value, one key given two values; :func:`check_known` refuses a key or a
value that the data does not hold, naming those it does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from repair.errors import ConfigError

EXAMPLE = "weather=rainy,timeofday=night"


def parse_conditions(text: str, option: str) -> dict[str, str]:
    """``'weather=rainy, timeofday=night'`` -> ``{'weather': 'rainy', 'timeofday': 'night'}``.

    Keys and values are trimmed; a value keeps its inner spaces (``scene=city street``). A
    ConfigError names ``option`` and the part that is wrong.
    """
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise ConfigError(f"{option} must be key=value pairs like {EXAMPLE}; got {text!r}")
    conditions: dict[str, str] = {}
    for part in parts:
        key, equals, value = (piece.strip() for piece in part.partition("="))
        if not equals or not key or not value:
            raise ConfigError(
                f"{option} must be key=value pairs separated by commas, like {EXAMPLE}; "
                f"got {part!r} in {text!r}"
            )
        if conditions.get(key, value) != value:
            raise ConfigError(
                f"{option} gives {key} two values ({conditions[key]!r} and {value!r}); the "
                "pairs are ANDed, so no input could match both"
            )
        conditions[key] = value
    return conditions


def matches(attributes: Mapping[str, object], conditions: Mapping[str, str]) -> bool:
    """Whether ``attributes`` (one input's key -> value) holds every pair of ``conditions``."""
    return all(
        key in attributes and str(attributes[key]) == value for key, value in conditions.items()
    )


def known_values(records: Iterable[Mapping[str, object]]) -> dict[str, set[str]]:
    """Every key of ``records`` -> the set of values it takes (as text)."""
    values: dict[str, set[str]] = {}
    for record in records:
        for key, value in record.items():
            values.setdefault(key, set()).add(str(value))
    return values


def check_known(
    conditions: Mapping[str, str], known: Mapping[str, set[str]], option: str, where: str
) -> None:
    """ConfigError when a key of ``conditions`` is not in ``known`` (key -> values seen in
    ``where``) or its value is not among the key's values; the message names what exists."""
    for key, value in conditions.items():
        if key not in known:
            keys = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"{option}: no attribute {key!r} in {where}; attributes: {keys}")
        if value not in known[key]:
            values = ", ".join(sorted(known[key]))
            raise ConfigError(
                f"{option}: {key} is never {value!r} in {where}; its values: {values}"
            )
