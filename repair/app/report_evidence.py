"""What ``repair report`` finds in the folders it is given: each kind of evidence, by file name.

A folder is evidence of a kind when it holds that kind's file (``results.json``,
``summary.json``, ``evaluate.json``, ``sweep.json``, ``audit.csv``, ``drift_over_time.csv``,
``drift.json``, ``variability.json``). The folders given are walked; below a sweep, an evaluate
or a drift-over-time folder nothing more is collected (their units, runs and sets are what those
summaries summarise), nor inside hidden, ``data`` or ``repair`` folders.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repair.app.drift import DRIFT_JSON
from repair.app.sweep import SWEEP_JSON
from repair.core import run_files
from repair.errors import DataFormatError, InputNotFoundError
from repair.robustness.audit import AUDIT_FILE, TRANSFER_FILE
from repair.variability.analysis import PER_INPUT_FILENAME
from repair.variability.analysis import REPORT_FILENAME as VARIABILITY_JSON

# kind -> the file that marks a folder as that kind's evidence, in the report's order
KINDS: dict[str, str] = {
    "results": run_files.RESULTS_FILENAME,
    "repair": run_files.SUMMARY_FILENAME,
    "evaluate": run_files.EVALUATE_REPORT_FILENAME,
    "sweep": SWEEP_JSON,
    "audit": AUDIT_FILE,
    "drift_over_time": run_files.DRIFT_OVER_TIME_CSV,
    "drift": DRIFT_JSON,
    "variability": VARIABILITY_JSON,
}
STOP_BELOW = ("evaluate", "sweep", "drift_over_time")
SKIPPED_DIRS = (run_files.HOLDOUT_DATA_DIRNAME, run_files.REPAIRED_DIRNAME, "overlays")
TABLES = {  # the CSV files shown with each kind, when present
    "repair": (run_files.HISTORY_FILENAME,),
    "audit": (TRANSFER_FILE,),
}


@dataclass
class Evidence:
    """One folder's evidence of one kind: the marking file's content and the CSV tables."""

    kind: str
    folder: Path
    main: Path
    data: Any
    tables: dict[str, list[list[str]]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.folder)

    def images(self) -> list[Path]:
        """The folder's PNG charts (the command drew them from the same numbers)."""
        return sorted(self.folder.glob("*.png"))


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle)]


def _read(kind: str, path: Path) -> Any:
    """The file's content, checked as far as the report relies on it (DataFormatError)."""
    try:
        if path.suffix != ".json":
            return read_csv(path)
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DataFormatError(f"cannot read {path} ({kind} evidence): {error}") from None
    if kind == "results":
        from repair.core.label_results import read_results

        read_results(path)  # the results reader's own checks, with its messages
    elif not isinstance(data, dict):
        raise DataFormatError(f"{path} is not {kind} evidence: expected a JSON object")
    return data


def _kinds_in(folder: Path, names: set[str]) -> list[Evidence]:
    found = []
    for kind, filename in KINDS.items():
        if filename not in names:
            continue
        main = folder / filename
        evidence = Evidence(kind, folder, main, _read(kind, main))
        for table in TABLES.get(kind, ()):
            if (folder / table).is_file():
                evidence.tables[table] = read_csv(folder / table)
        found.append(evidence)
    return found


def find_evidence(folders: list[Path]) -> list[Evidence]:
    """The evidence under each folder, in the order given then walked (sorted)."""
    found: list[Evidence] = []
    for top in folders:
        if not Path(top).is_dir():
            raise InputNotFoundError(f"--input_dirs: no such folder: {top}")
        for root, dirs, files in os.walk(top):
            folder = Path(root)
            here = _kinds_in(folder, set(files))
            found.extend(here)
            if any(item.kind in STOP_BELOW for item in here):
                dirs.clear()
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
    return found


def per_input_rows(evidence: Evidence) -> list[dict[str, str]]:
    """A variability run's per_input.csv as dicts (most variable inputs first)."""
    path = evidence.folder / PER_INPUT_FILENAME
    if not path.is_file():
        return []
    rows = read_csv(path)
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]
