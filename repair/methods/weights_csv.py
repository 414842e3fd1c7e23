"""The weight files of SPEC §5: ``weights.csv`` and ``history.csv``, written atomically.

``weights.csv`` has no header. After ``localize`` its rows are ``layer,i,j,value``; after
``optimize`` they are ``layer,i,j,original,repaired``. ``layer`` is the index in
``model.layers``, ``i`` the kernel row (input neuron), ``j`` the kernel column (output neuron).
"""

from __future__ import annotations

import csv
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


def read_locations(path: Path) -> np.ndarray:
    """The (M, 3) int array of ``layer,i,j`` of a weights.csv; extra columns are ignored."""
    if not path.is_file():
        raise InputNotFoundError(f"{path} not found: run `repair localize` first")
    locations = []
    with path.open(newline="", encoding="utf-8") as file:
        for number, row in enumerate(csv.reader(file), start=1):
            if not row:
                continue
            try:
                locations.append([int(float(cell)) for cell in row[:3]])
            except ValueError:
                raise DataFormatError(
                    f"line {number} of {path} must start with layer,i,j integers; got {row}"
                ) from None
            if len(locations[-1]) != 3 or min(locations[-1]) < 0:
                raise DataFormatError(
                    f"line {number} of {path} must start with 3 non-negative integers; got {row}"
                )
    if not locations:
        raise DataFormatError(f"{path} lists no weights")
    return np.asarray(locations, dtype=np.int64)


def write_history(path: Path, rows: Sequence[tuple[int, float, int, int]]) -> Path:
    """One row per iteration: iteration, best fitness, patched negatives, intact positives."""
    lines = [HISTORY_HEADER, *((t, repr(float(f)), int(p), int(k)) for t, f, p, k in rows)]
    return write_text_atomic(path, csv_text(lines))
