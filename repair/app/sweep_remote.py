"""Sweep units on workers that share no disk with the driver (a Ray cluster).

The driver decides what is done (the unit folders are on its disk), puts each input file the
remaining units need into the object store once (the model, the chunk files, the test split, a
chain's last kept model), and sends each task with the handles. The worker writes them into a
private temporary folder, runs the units there, and returns every file of every unit folder as
bytes, with its own paths in the text files written back as the driver's. The driver writes each
unit folder, unit.json last (a unit without it is not done), so no worker path appears in a
unit's files and a killed driver leaves folders a rerun redoes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from repair.app.sweep_unit import (
    UNIT_FILENAME,
    Task,
    clear_unit,
    done_record,
    records_of,
    run_task,
)
from repair.core.files import atomic_path, write_json_atomic

TEXT_SUFFIXES = (".json", ".csv", ".txt")


@dataclass(frozen=True)
class ShippedTask:
    """The units of a task still to run (the driver's paths), the driver path of the kept model
    a chain continues from, and the object-store handle of each input file."""

    task: Task
    start_model: str | None
    inputs: dict[str, tuple[str, Any]]  # the driver's path string -> (file name, handle)


def _model_file(path: str) -> Path:
    from repair.core.model import resolve_model_path

    return Path(resolve_model_path(path))


def done_prefix(task: Task) -> list[dict[str, Any]]:
    """The records of the task's leading units already done (on the driver's disk)."""
    records = []
    for spec in task.units:
        record = done_record(spec)
        if record is None:
            break
        records.append({**record, "resumed": True})
    return records


def ship(
    task: Task, done: list[dict[str, Any]], share: Callable[[bytes], Any], shared: dict
) -> ShippedTask:
    """The task's remaining units with their inputs in the object store (``shared`` caches
    the handles, so each file is put once per sweep)."""
    remaining = task.units[len(done) :]
    start = done[-1]["kept_model"] if done and remaining[0].model is None else None
    wanted: list[tuple[str, Path]] = []
    for spec in remaining:
        if spec.model is not None:
            wanted.append((spec.model, _model_file(spec.model)))
        wanted += [(spec.chunk_file, Path(spec.chunk_file)), (spec.test_data, Path(spec.test_data))]
    if start is not None:
        wanted.append((start, _model_file(start)))
    inputs = {}
    for text, path in wanted:
        if text not in shared:
            shared[text] = (path.name, share(path.read_bytes()))
        inputs[text] = shared[text]
    return ShippedTask(Task(remaining), start, inputs)


def _unmap(text: str, mapping: list[tuple[str, str]]) -> str:
    for local, driver in mapping:
        text = text.replace(local, driver)
    return text


def _folder_files(folder: Path, mapping: list[tuple[str, str]]) -> dict[str, bytes]:
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix in TEXT_SUFFIXES:
            data = _unmap(data.decode("utf-8"), mapping).encode("utf-8")
        files[path.relative_to(folder).as_posix()] = data
    return files


def run_shipped(item: ShippedTask) -> dict[str, Any]:
    """In a worker: fetch the inputs, run the units in a temporary folder, return their files
    and records with the driver's paths, and the node they ran on."""
    from repair.executors.ray import fetch, node_id

    root = Path(tempfile.mkdtemp(prefix="repair-sweep-unit-"))
    try:
        local: dict[str, str] = {}
        for number, (text, (name, handle)) in enumerate(item.inputs.items()):
            target = root / "inputs" / str(number) / name
            target.parent.mkdir(parents=True)
            target.write_bytes(fetch(handle))
            local[text] = str(target)
        specs = tuple(
            replace(spec, model=None if spec.model is None else local[spec.model],
                    chunk_file=local[spec.chunk_file], test_data=local[spec.test_data],
                    folder=str(root / "units" / spec.unit))
            for spec in item.task.units
        )  # fmt: skip
        start = None if item.start_model is None else local[item.start_model]
        records = run_task(Task(specs), start=start)
        mapping = [(local[text], text) for text in local]
        pairs = zip(specs, item.task.units, strict=True)
        mapping += [(spec.folder, original.folder) for spec, original in pairs]
        mapping.sort(key=lambda pair: -len(pair[0]))  # longest first: a prefix cuts no longer one
        node = node_id()
        out = []
        for spec, record in zip(specs, records, strict=False):  # a chain may stop early
            record = {**json.loads(_unmap(json.dumps(record), mapping)), "node": node}
            files = _folder_files(Path(spec.folder), mapping)
            files.pop(UNIT_FILENAME, None)  # the driver writes it from the record, last
            out.append({"record": record, "files": files})
        return {"units": out}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def write_unit(folder: Path, record: dict[str, Any], files: dict[str, bytes]) -> None:
    """On the driver: replace what an earlier run left, write the files, unit.json last."""
    clear_unit(folder)
    for name, data in files.items():
        with atomic_path(folder / name) as tmp:
            tmp.write_bytes(data)
    write_json_atomic(folder / UNIT_FILENAME, {k: v for k, v in record.items() if k != "resumed"})


def run_remote_tasks(pool: Any, tasks: list[Task], bar: Any) -> dict[int, list[dict[str, Any]]]:
    """Run ``tasks`` on ``pool`` (a Ray executor) through the object store; records by task."""
    by_task: dict[int, list[dict[str, Any]]] = {}
    shared: dict = {}
    remote: list[int] = []
    items: list[ShippedTask] = []
    for index, task in enumerate(tasks):
        done = done_prefix(task)
        by_task[index] = done
        if len(done) < len(task.units):
            remote.append(index)
            items.append(ship(task, done, pool.share, shared))
        bar.update(len(done))
    for outcome in pool.map_unordered(run_shipped, items):
        index = remote[outcome.index]
        if outcome.error is None:
            for unit in outcome.value["units"]:
                record = unit["record"]
                spec = next(s for s in tasks[index].units if s.unit == record["unit"])
                write_unit(Path(spec.folder), record, unit["files"])
                by_task[index].append(record)
        else:
            by_task[index] += records_of(outcome, items[outcome.index].task)
        bar.update(len(items[outcome.index].task.units))
    return by_task
