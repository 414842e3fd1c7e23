"""One unit of a sweep: its spec and folder, and target -> localize -> optimize -> measure in it.

A unit is a function of its :class:`UnitSpec` only and writes into its own folder
``<output_dir>/[variant_<v>/]label_<l>/chunk_<c>/seed_<s>/``:

* ``data/``: the chunk's positive/negative layout (``repair target`` with the unit's model);
* ``weights.csv``, ``pareto_front.png``, ``history.csv``, ``summary.json``, ``repair/model.keras``
  (localize and optimize, the optimize seed being the unit's seed);
* ``unit.json``, written last: the spec and the unit's results. A unit is done exactly when its
  ``unit.json`` exists with a matching spec and status ``ok`` or ``skipped``; a rerun skips it,
  and reruns a killed unit (no ``unit.json``) or a failed one (status ``error``).

A chunk without misclassified inputs of the label is ``skipped``: nothing to repair, the kept
model is the unit's start model. A :class:`Task` is what one executor call runs: one unit, or a
chain of units in chunk order, each starting from the previous one's kept model.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repair.app.sweep_spec import Variant
from repair.core import run_files
from repair.core.files import write_json_atomic
from repair.registry import PATH_OPTION

PATH = {PATH_OPTION: True}  # a spec field naming a file or folder (relocated on a worker)
UNIT_FILENAME = "unit.json"
DATA_DIRNAME = "data"
# What a unit writes in its folder; a rerun replaces these and nothing else.
UNIT_OUTPUTS = (
    UNIT_FILENAME,
    run_files.WEIGHTS_FILENAME,
    run_files.HISTORY_FILENAME,
    run_files.SUMMARY_FILENAME,
    run_files.PARETO_FILENAME,
)
UNIT_OUTPUT_DIRS = (DATA_DIRNAME, run_files.REPAIRED_DIRNAME)
MEASURES = (
    "negatives", "patched", "repair_rate", "positives", "broken", "break_rate",
    "test_accuracy", "label_accuracy",
)  # fmt: skip


@dataclass(frozen=True)
class UnitSpec:
    """Everything a unit depends on. ``model`` is the start model; in a chain, units after the
    first start from the previous unit's kept model (``model`` is None, ``after`` names the
    previous unit's spec digest)."""

    unit: str
    variant: int
    label: int
    chunk: int | str
    seed: int
    method: type
    options: Variant
    model: str | None = field(metadata=PATH)
    chunk_file: str = field(metadata=PATH)
    test_data: str = field(metadata=PATH)
    folder: str = field(metadata=PATH)
    batch_size: int = 32
    device: str = "auto"
    after: str | None = None

    @property
    def name(self) -> str:
        return self.unit

    def record(self) -> dict[str, Any]:
        """The spec as recorded in unit.json (and compared on resume)."""
        return {
            "variant": self.variant,
            "label": self.label,
            "chunk": self.chunk,
            "seed": self.seed,
            "method": self.method.name,
            "options": self.options.record(),
            "model": self.model,
            "chunk_file": self.chunk_file,
            "test_data": self.test_data,
            "batch_size": self.batch_size,
            "device": self.device,
            "after": self.after,
        }

    def digest(self) -> str:
        text = json.dumps(self.record(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def unit_name(variant: int | None, label: int, chunk: int | str, seed: int) -> str:
    prefix = "" if variant is None else f"variant_{variant}/"
    return f"{prefix}label_{label}/chunk_{chunk}/seed_{seed}"


def read_unit(folder: Path) -> dict[str, Any] | None:
    """The unit.json in ``folder``, or None when missing or unreadable."""
    try:
        return json.loads((folder / UNIT_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def done_record(spec: UnitSpec) -> dict[str, Any] | None:
    """The recorded result of ``spec`` if its unit finished with this very spec."""
    record = read_unit(Path(spec.folder))
    if record is None or record.get("status") not in ("ok", "skipped"):
        return None
    return record if record.get("spec") == json.loads(json.dumps(spec.record())) else None


def clear_unit(folder: Path) -> None:
    """Remove what an earlier run of this unit wrote (unit.json first: never trusted again)."""
    for name in UNIT_OUTPUTS:
        (folder / name).unlink(missing_ok=True)
    for name in UNIT_OUTPUT_DIRS:
        shutil.rmtree(folder / name, ignore_errors=True)


def _measure(model: Any, spec: UnitSpec) -> dict[str, Any]:
    from repair.app.commands import test

    scores = test(model=model, data_file=Path(spec.test_data), batch_size=max(spec.batch_size, 256))
    return {"test_accuracy": scores.accuracy, "label_accuracy": scores.score_of(spec.label)}


def run_unit(spec: UnitSpec, start_model: str | None = None) -> dict[str, Any]:
    """Target, localize, optimize and measure one unit; write unit.json last; the record.

    ``start_model`` overrides ``spec.model`` (a chain's previous kept model). An error is
    recorded (status ``error``, one-line message) instead of raised.
    """
    folder = Path(spec.folder)
    model_path = start_model or spec.model
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    clear_unit(folder)
    record: dict[str, Any] = {"unit": spec.name, "spec": spec.record(), "start_model": model_path}
    try:
        record.update(_repair(spec, folder, Path(model_path)))
    except Exception as error:
        from repair.executors import describe_error

        record.update(status="error", message=describe_error(error), kept_model=None)
    record["wall_time_s"] = round(time.perf_counter() - started, 3)
    write_json_atomic(folder / UNIT_FILENAME, record)
    return record


def _repair(spec: UnitSpec, folder: Path, model_path: Path) -> dict[str, Any]:
    from repair.app.commands import target
    from repair.app.runner import localize, optimize
    from repair.core.model import load_model

    data = folder / DATA_DIRNAME
    counts = target(
        model=load_model(model_path), source=Path(spec.chunk_file), data_dir=data,
        batch_size=max(spec.batch_size, 256),
    )  # fmt: skip
    negatives = data / run_files.NEGATIVE_DIRNAME / str(spec.label)
    if counts.negatives_of(spec.label) == 0:
        result = {
            "status": "skipped",
            "message": f"no misclassified inputs of label {spec.label} in this chunk",
            "negatives": 0, "patched": 0, "repair_rate": None, "positives": counts.positive,
            "broken": 0, "break_rate": 0.0, "kept_model": str(model_path),
        }  # fmt: skip
        return {**result, **_measure(model_path, spec)}
    localize(
        method=spec.method,
        model_dir=model_path,
        target_data_dir=negatives,
        output_dir=folder,
        options=spec.options.localize,
        batch_size=spec.batch_size,
        positive_inputs_dir=data / run_files.POSITIVE_DIRNAME,  # for a bidirectional localizer
        seed=spec.seed,
    )
    summary = optimize(
        method=spec.method,
        model_dir=model_path,
        target_data_dir=negatives,
        positive_inputs_dir=data / run_files.POSITIVE_DIRNAME,
        output_dir=folder,
        options=spec.options.optimize,
        batch_size=spec.batch_size,
        seed=spec.seed,
        device=spec.device,
    )
    kept = run_files.repaired_model_dir(folder) / run_files.MODEL_FILENAME
    result = {key: summary[key] for key in MEASURES[:6]}
    result.update(status="ok", message="", kept_model=str(kept))
    result["kept_original"] = summary.kept_original
    return {**result, **_measure(kept, spec)}


@dataclass(frozen=True)
class Task:
    """What one executor call runs: one unit, or a chain of units in chunk order."""

    units: tuple[UnitSpec, ...]


def run_task(task: Task, start: str | None = None) -> list[dict[str, Any]]:
    """Run the units of ``task`` in order (skipping done ones); a chain stops at an error.
    ``start``: the kept model the first unit starts from when it continues a chain.

    The units' own progress bars and notes are off: the sweep shows one bar of units, and each
    unit's outcome is in its unit.json.
    """
    quiet = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            return _run_units(task, start)
    finally:
        if quiet is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = quiet


def _run_units(task: Task, start_model: str | None) -> list[dict[str, Any]]:
    records = []
    previous: dict[str, Any] | None = None
    if start_model is not None:
        previous = {"kept_model": start_model}
    for spec in task.units:
        start = None if previous is None or spec.model is not None else previous["kept_model"]
        record = done_record(spec)
        if record is not None:
            record = {**record, "resumed": True}
        else:
            record = {**run_unit(spec, start), "resumed": False}
        records.append(record)
        if record["status"] == "error":
            break
        previous = record
    return records


def error_record(spec: UnitSpec, message: str) -> dict[str, Any]:
    """The record of a unit that did not finish (its task failed, or its chain stopped)."""
    return {"unit": spec.name, "spec": spec.record(), "status": "error", "message": message,
            "resumed": False}  # fmt: skip


def records_of(outcome: Any, task: Task) -> list[dict[str, Any]]:
    """The records an executor's outcome of ``task`` gives: its value, or an error record for
    the task's first unit (the worker died or raised)."""
    if outcome.error is None:
        return outcome.value
    return [error_record(spec, outcome.error) for spec in task.units[:1]]
