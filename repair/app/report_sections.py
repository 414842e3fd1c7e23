"""One HTML section per piece of evidence: its numbers, sourced, and its charts, inlined.

Numbers are shown as the files hold them (every cell carries ``data-file`` and ``data-key``); a
JSON file is shown flattened to ``key/path: value`` rows, a CSV file as its table. Long files are
cut at ``MAX_ROWS`` rows, and the page says how many rows it left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from repair.app.report_evidence import Evidence
from repair.reports.html import Cell, Number, escape, figure, section, source_line, table

MAX_ROWS = 60
TITLES = {
    "results": "Per-label results",
    "repair": "Repair run",
    "evaluate": "Repeated repairs (evaluate)",
    "sweep": "Sweep",
    "audit": "Robustness audit",
    "drift_over_time": "Drift over time",
    "drift": "Drift",
    "variability": "Variability",
}
SKIPPED_KEYS = ("details",)  # long method internals in summary.json


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(key/path, value)`` for every scalar in nested JSON, depth first."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in SKIPPED_KEYS:
                continue
            yield from flatten(value, f"{prefix}{key}/")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from flatten(value, f"{prefix}{index}/")
    else:
        yield prefix.rstrip("/"), data


def _value_cell(value: Any, file: str, key: str) -> Cell:
    if is_number(value):
        return Number(value, file, key, digits=4)
    return escape("null" if value is None else value)


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def records_table(records: list[dict], file: str, prefix: str) -> str:
    """A list of JSON objects (per label, per run, per group) as one row each."""
    rows = [dict(flatten(record)) for record in records]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    shown = [
        [_value_cell(row.get(column), file, f"{prefix}{number}/{column}") for column in columns]
        for number, row in enumerate(rows[:MAX_ROWS])
    ]
    return table(columns, shown) + _left_out(len(rows), file)


def json_table(data: Any, file: str) -> str:
    """Scalars as ``key/path: value`` rows; each list of objects as a table of its own."""
    if _is_records(data):
        return records_table(data, file, "")
    items = data.items() if isinstance(data, dict) else [("", data)]
    scalars, tables = [], []
    for key, value in items:
        if key in SKIPPED_KEYS:
            continue
        if _is_records(value):
            tables.append(f"<h3>{escape(key)}</h3>{records_table(value, file, f'{key}/')}")
        else:
            scalars.extend(flatten(value, f"{key}/" if key != "" else ""))
    shown = [(escape(key), _value_cell(value, file, key)) for key, value in scalars[:MAX_ROWS]]
    return table(["key", "value"], shown) + _left_out(len(scalars), file) + "".join(tables)


def csv_table(rows: list[list[str]], file: str) -> str:
    """A CSV file's table; a numeric cell's key is ``ROW/COLUMN`` (ROW from 0 after the header)."""
    if not rows:
        return "<p>(empty)</p>"
    header, body = rows[0], rows[1:]
    shown = []
    for number, row in enumerate(body[:MAX_ROWS]):
        cells: list[Cell] = []
        for column, text in zip(header, row, strict=False):
            value = _as_number(text)
            key = f"{number}/{column}"
            if value is None:
                cells.append(escape(text))
            else:
                whole = text.strip().lstrip("-").isdigit()
                cells.append(Number(int(value) if whole else value, file, key, digits=4))
        shown.append(cells)
    return table(header, shown) + _left_out(len(body), file)


def _left_out(count: int, file: str) -> str:
    if count <= MAX_ROWS:
        return ""
    return f"<p>{count - MAX_ROWS} more rows in <code>{escape(file)}</code>.</p>"


def results_table(entries: list, file: str) -> str:
    """results.json: one row per label (success, failure and accuracy as written)."""
    rows = []
    for index, (label, counts) in enumerate(entries):
        rows.append([
            escape(label), escape(counts.get("name", label)),
            Number(counts["success"], file, f"{index}/1/success"),
            Number(counts["failure"], file, f"{index}/1/failure"),
            Number(counts["score"], file, f"{index}/1/score") if "score" in counts else None,
        ])  # fmt: skip
    return table(["label", "name", "correct", "incorrect", "accuracy %"], rows)


def evidence_section(evidence: Evidence, anchor: str) -> str:
    """The section of one piece of evidence."""
    file = str(evidence.main)
    parts = [source_line(evidence.main)]
    if evidence.kind == "results":
        parts.append(results_table(evidence.data, file))
    elif evidence.main.suffix == ".csv":
        parts.append(csv_table(evidence.data, file))
    else:
        parts.append(json_table(evidence.data, file))
    for name, rows in evidence.tables.items():
        path = str(evidence.folder / name)
        parts.append(f"<h3>{escape(name)}</h3>{source_line(path)}{csv_table(rows, path)}")
    charts = [figure(path, path.name) for path in evidence.images()]
    if charts:
        parts.append(f"<div>{''.join(charts)}</div>")
    title = f"{TITLES[evidence.kind]}: {evidence.folder.name or evidence.folder}"
    return section(title, "".join(parts), anchor)
