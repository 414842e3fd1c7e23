"""Operating conditions as audit strata (``repair audit --strata weather,timeofday``).

For each named per-image string key (the BDD frame attributes ``prepare bdd-objects`` stores,
or keys from ``utils add_attributes``) and each of its values in a file, one row of category
``condition`` and kind ``key=value`` (``timeofday=night``), without an intensity, in audit.csv
and audit_labels.csv. A condition spans the strata of its file: on a clean file it is the
accuracy under that condition; on ``corrupted/fog_3.h5`` under fog and that condition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from repair.core.conditions import string_keys, values_of
from repair.errors import ConfigError
from repair.robustness.audit import CLEAN, CONDITION, AuditRow, Stratum, audit_file

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def parse_strata_keys(text: str) -> list[str]:
    """``weather,timeofday`` -> the keys, each once; ConfigError names a malformed one."""
    keys = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not keys:
        raise ConfigError(f"--strata needs per-image keys like 'weather,timeofday'; got {text!r}")
    for key in keys:
        if not _KEY.fullmatch(key):
            raise ConfigError(
                f"--strata takes per-image key names (letters, digits, _), comma-separated, "
                f"such as weather,timeofday; got {key!r}"
            )
    return keys


def condition_columns(
    keys: Sequence[str], columns: Mapping[str, np.ndarray], file: str
) -> dict[str, np.ndarray]:
    """The columns of ``keys``; ConfigError names the string keys ``file`` has instead."""
    present = string_keys(columns)
    for key in keys:
        if key not in present:
            known = ", ".join(sorted(present)) or "none"
            raise ConfigError(
                f"--strata {key}: {file} has no per-image string key '{key}'; its keys: {known}"
            )
    return {key: present[key] for key in keys}


def condition_strata(column: np.ndarray, key: str) -> tuple[list[Stratum], np.ndarray]:
    """One ``key=value`` stratum per value of ``column`` (sorted) and each image's index."""
    values = values_of(column)
    strata = [Stratum(CONDITION, f"{key}={value}", 0.0) for value in values]
    position = {value: k for k, value in enumerate(values)}
    return strata, np.array([position[str(v)] for v in column], dtype=np.int64)


def condition_rows(
    model: str,
    file: str,
    columns: Mapping[str, np.ndarray],
    true: np.ndarray,
    predicted: np.ndarray,
    class_names: Sequence[str],
) -> tuple[list[AuditRow], list[AuditRow]]:
    """Rows of audit.csv and audit_labels.csv for every condition of ``columns`` (key -> (N,)
    values) on one file; true / predicted: (N,) label indices."""
    rows, label_rows = [], []
    for key, column in columns.items():
        strata, which = condition_strata(column, key)
        found, per_label = audit_file(model, file, strata, which, true, predicted, class_names)
        rows += found
        label_rows += per_label
    return rows, label_rows


def is_condition_row(row: AuditRow) -> bool:
    return row.stratum.category == CONDITION


def chart_file(rows: Sequence[AuditRow]) -> str:
    """The file whose conditions the chart shows and a requirement reads by default: test.h5
    when audited with conditions, else the first clean file, else the first file."""
    files = list(dict.fromkeys(r.file for r in rows if is_condition_row(r)))
    clean = {r.file for r in rows if r.stratum.category == CLEAN}
    if "test.h5" in files:
        return "test.h5"
    return next((f for f in files if f in clean), files[0] if files else "")


def key_of(row: AuditRow) -> str:
    """``timeofday`` of a ``timeofday=night`` row."""
    return row.stratum.kind.partition("=")[0]


def condition_chart_name(key: str) -> str:
    """``audit_condition_timeofday.png``: the chart of per-label accuracy by ``key``'s values."""
    return f"audit_condition_{key}.png"
