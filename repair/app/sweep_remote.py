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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.app import shipping
from repair.app.sweep_unit import (
    UNIT_FILENAME,
    Task,
    UnitSpec,
    clear_unit,
    done_record,
    records_of,
    run_task,
)
from repair.core.files import write_json_atomic


@dataclass(frozen=True)
class ShippedTask:
    """The units of a task still to run (the driver's paths), the driver path of the kept model
    a chain continues from, and the parcel of their inputs."""

    task: Task
    start_model: str | None
    parcel: shipping.Parcel


def done_prefix(task: Task) -> list[dict[str, Any]]:
    """The records of the task's leading units already done (on the driver's disk)."""
    records = []
    for spec in task.units:
        record = done_record(spec)
        if record is None:
            break
        records.append({**record, "resumed": True})
    return records


def _inputs(spec: UnitSpec) -> list[shipping.Input]:
    found = [shipping.Input(spec.chunk_file), shipping.Input(spec.test_data)]
    if spec.model is not None:
        found.append(shipping.model_input(spec.model, spec.method))
    return found + shipping.option_inputs(spec.options)


def ship(task: Task, done: list[dict[str, Any]], packer: shipping.Packer) -> ShippedTask:
    """The task's remaining units with their inputs in the object store (the packer puts each
    file once per sweep)."""
    remaining = task.units[len(done) :]
    start = done[-1]["kept_model"] if done and remaining[0].model is None else None
    wanted = [item for spec in remaining for item in _inputs(spec)]
    if start is not None:
        wanted.append(shipping.model_input(start, remaining[0].method))
    return ShippedTask(Task(remaining), start, packer.pack(wanted))


def run_shipped(item: ShippedTask) -> dict[str, Any]:
    """In a worker: fetch the inputs, run the units in a temporary folder, return their files
    and records with the driver's paths, and the node they ran on."""
    from repair.executors.ray import fetch, node_id

    with tempfile.TemporaryDirectory(
        prefix="repair-sweep-unit-", ignore_cleanup_errors=True
    ) as folder:
        root = Path(folder)
        mapping = shipping.unpack(item.parcel, root / "inputs", fetch)
        specs = tuple(
            shipping.relocated(spec, [(spec.folder, str(root / "units" / spec.unit)), *mapping])
            for spec in item.task.units
        )
        start = None if item.start_model is None else shipping.relocate(item.start_model, mapping)
        records = run_task(Task(specs), start=start)
        back = shipping.reverse(mapping)
        back += [(s.folder, o.folder) for s, o in zip(specs, item.task.units, strict=True)]
        node = node_id()
        out = []
        for spec, record in zip(specs, records, strict=False):  # a chain may stop early
            record = {**json.loads(shipping.unmap(json.dumps(record), back)), "node": node}
            files = shipping.folder_files(Path(spec.folder), back)
            files.pop(UNIT_FILENAME, None)  # the driver writes it from the record, last
            out.append({"record": record, "files": files})
        return {"units": out}


def write_unit(folder: Path, record: dict[str, Any], files: dict[str, bytes]) -> None:
    """On the driver: replace what an earlier run left, write the files, unit.json last."""
    clear_unit(folder)
    shipping.write_files(folder, files)
    write_json_atomic(folder / UNIT_FILENAME, {k: v for k, v in record.items() if k != "resumed"})


def run_remote_tasks(pool: Any, tasks: list[Task], bar: Any) -> dict[int, list[dict[str, Any]]]:
    """Run ``tasks`` on ``pool`` (a Ray executor) through the object store; records by task."""
    by_task: dict[int, list[dict[str, Any]]] = {}
    packer = shipping.Packer(pool.share)
    remote: list[int] = []
    items: list[ShippedTask] = []
    for index, task in enumerate(tasks):
        done = done_prefix(task)
        by_task[index] = done
        if len(done) < len(task.units):
            remote.append(index)
            items.append(ship(task, done, packer))
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
