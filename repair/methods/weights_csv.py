"""The weight files of SPEC §5: ``weights.csv`` and ``history.csv``, written atomically.

``weights.csv`` has no header. After ``localize`` its rows are ``layer,i,j,value``; after
``optimize`` they are ``layer,i,j,original,repaired``. ``layer`` is the index in
``model.layers``, ``i`` the kernel row (input neuron), ``j`` the kernel column (output neuron).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from repair.core.files import csv_text, write_text_atomic
from repair.errors import DataFormatError, InputNotFoundError

WEIGHTS_FILENAME = "weights.csv"
HISTORY_FILENAME = "history.csv"
HISTORY_HEADER = ("iteration", "best_fitness", "patched", "intact")


def _number(value: float) -> str:
    """Shortest text that reads back to the same float32."""
    return repr(float(np.float32(value)))


def write_localized(path: Path, locations: np.ndarray, values: np.ndarray) -> Path:
    """Rows ``layer,i,j,value``; locations (M, 3) int, values (M,) the current weights."""
    rows = [(*map(int, loc), _number(v)) for loc, v in zip(locations, values, strict=True)]
    return write_text_atomic(path, csv_text(rows))


def write_repaired(
    path: Path, locations: np.ndarray, original: np.ndarray, repaired: np.ndarray
) -> Path:
    """Rows ``layer,i,j,original,repaired``; locations (M, 3), original and repaired (M,)."""
    rows = [
        (*map(int, loc), _number(a), _number(b))
        for loc, a, b in zip(locations, original, repaired, strict=True)
    ]
    return write_text_atomic(path, csv_text(rows))


def _index(cell: str) -> int | None:
    """A non-negative integer cell (``6`` or ``6.0``); None for ``6.7``, ``-1``, ``inf``, ``x``."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return int(value) if value.is_integer() and value >= 0 else None


def _finite(cell: str) -> bool:
    try:
        return bool(np.isfinite(float(cell)))
    except ValueError:
        return False


def _check_row(row: list[str], number: int, path: Path) -> list[int]:
    where = f"line {number} of {path}"
    if len(row) < 3:
        raise DataFormatError(f"{where} must start with layer,i,j; got {','.join(row)!r}")
    indices = [_index(cell) for cell in row[:3]]
    for name, cell, index in zip(("layer", "i", "j"), row, indices, strict=False):
        if index is None:
            raise DataFormatError(f"{where}: {name} must be a non-negative integer; got {cell!r}")
    for cell in row[3:]:
        if not _finite(cell):
            raise DataFormatError(f"{where}: weight values must be finite numbers; got {cell!r}")
    return indices  # type: ignore[return-value]


def read_locations(path: Path) -> np.ndarray:
    """The (M, 3) int array of ``layer,i,j`` of a weights.csv (value columns checked, unused).

    Refuses, naming the line, what would otherwise be read wrongly: ``6.7`` (not truncated to
    6), ``inf``, text that is not UTF-8.
    """
    if not path.is_file():
        raise InputNotFoundError(f"{path} not found: run `repair localize` first")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataFormatError(
            f"{path} is not UTF-8 text (byte {error.start}); expected layer,i,j,value rows"
        ) from None
    locations = [
        _check_row(row, number, path)
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if row
    ]
    if not locations:
        raise DataFormatError(f"{path} lists no weights")
    return np.asarray(locations, dtype=np.int64)


def write_history(path: Path, rows: Sequence[tuple[int, float, int, int]]) -> Path:
    """One row per iteration: iteration, best fitness, patched negatives, intact positives."""
    lines = [HISTORY_HEADER, *((t, repr(float(f)), int(p), int(k)) for t, f, p, k in rows)]
    return write_text_atomic(path, csv_text(lines))
