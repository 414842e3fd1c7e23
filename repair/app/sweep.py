"""``repair sweep``: many repairs, each a unit, run by an executor, resumable.

A unit is target -> localize -> optimize -> measure for one (variant, label, chunk, seed), a
function of its :class:`UnitSpec` only, writing into its own folder
``<output_dir>/[variant_<v>/]label_<l>/chunk_<c>/seed_<s>/``:

* ``data/``: the chunk's positive/negative layout (``repair target`` with the unit's model);
* ``weights.csv``, ``pareto_front.png``, ``history.csv``, ``summary.json``, ``repair/model.keras``
  (localize and optimize, the optimize seed being the unit's seed);
* ``unit.json``, written last: the spec and the unit's results. A unit is done exactly when its
  ``unit.json`` exists with a matching spec and status ``ok`` or ``skipped``; a rerun skips it,
  and reruns a killed unit (no ``unit.json``) or a failed one (status ``error``).

A chunk without misclassified inputs of the label is ``skipped``: nothing to repair, the kept
model is the unit's start model. With ``chain=True`` the units of one (variant, label, seed) run
in chunk order as one task, chunk c+1 starting from chunk c's kept model, as the tutorial's
bash loop does; chains run in parallel. Otherwise every unit starts from the sweep's model.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from repair.app.sweep_spec import Variant, chunk_file
from repair.core import run_files
from repair.core.files import csv_text, write_json_atomic, write_text_atomic
from repair.executors import Outcome, make_executor

UNIT_FILENAME = "unit.json"
SWEEP_CSV = "sweep.csv"
SWEEP_JSON = "sweep.json"
SWEEP_PNG = "sweep.png"
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
CSV_COLUMNS = (
    "unit", "variant", "label", "chunk", "seed", "status", *MEASURES, "wall_time_s", "folder",
    "message",
)  # fmt: skip


@dataclass(frozen=True)
class UnitSpec:
    """Everything a unit depends on. ``model`` is the start model; in a chain, units after the
    first start from the previous unit's kept model (``model`` is None, ``after`` names the
    previous unit's spec digest)."""

    unit: str
    variant: int
    label: int
    chunk: int
    seed: int
    method: type
    options: Variant
    model: str | None
    chunk_file: str
    test_data: str
    folder: str
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


def unit_name(variant: int | None, label: int, chunk: int, seed: int) -> str:
    prefix = "" if variant is None else f"variant_{variant}/"
    return f"{prefix}label_{label}/chunk_{chunk}/seed_{seed}"


# --- one unit ------------------------------------------------------------------------------


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


def run_task(task: Task) -> list[dict[str, Any]]:
    """Run the units of ``task`` in order (skipping done ones); a chain stops at an error.

    The units' own progress bars and notes are off: the sweep shows one bar of units, and each
    unit's outcome is in its unit.json.
    """
    quiet = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            return _run_units(task)
    finally:
        if quiet is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = quiet


def _run_units(task: Task) -> list[dict[str, Any]]:
    records = []
    previous: dict[str, Any] | None = None
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


# --- worker set-up (TensorFlow once per worker) ----------------------------------------------


def worker_setup(threads: int | None, gpu_memory_growth: bool = True) -> None:
    """Give TensorFlow ``threads`` threads, turn GPU memory growth on, import it (once).

    TensorFlow's kernels are made deterministic in every worker (and in this process with the
    serial executor): otherwise parallel reductions sum in varying order, and the same unit
    would differ in the last bits from one executor to another.
    """
    if threads:
        for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
            os.environ[name] = str(threads)
    from repair.core.tf import tf

    tf.config.experimental.enable_op_determinism()

    try:
        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        if gpu_memory_growth:
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:  # TensorFlow already started in this process (serial, tests)
        pass


def unit_executor(
    kind: str,
    tasks: int,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    gpus: float = 0,
) -> Any:
    """An executor for ``tasks`` repair calls: ``workers`` at once (default: the cores, at most
    ``tasks``), each with cores / workers TensorFlow threads and CPUs, set up once per worker."""
    from repair.executors import cpu_count

    parallel = min(workers or cpu_count(), max(1, tasks))
    threads = max(1, cpu_count() // parallel) if kind != "serial" else None
    return make_executor(
        kind,
        workers=parallel,
        initializer=worker_setup,
        initargs=(threads,),
        ray_address=ray_address,
        cpus_per_task=threads or 1,
        gpus_per_task=gpus,
    )


# --- the sweep -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """The grid and where it runs."""

    model_dir: Path
    chunks_dir: Path
    test_data: Path
    output_dir: Path
    method: type
    labels: tuple[int, ...]
    chunks: tuple[int, ...]
    seeds: tuple[int, ...]
    variants: tuple[Variant, ...]
    chain: bool = False
    batch_size: int = 32
    device: str = "auto"

    def units(self) -> list[Task]:
        """The executor's tasks: one per unit, or one per chain."""
        tasks = []
        many = len(self.variants) > 1
        for v, variant in enumerate(self.variants):
            for label in self.labels:
                for seed in self.seeds:
                    chain: list[UnitSpec] = []
                    for chunk in self.chunks:
                        name = unit_name(v if many else None, label, chunk, seed)
                        spec = UnitSpec(
                            unit=name,
                            variant=v, label=label, chunk=chunk, seed=seed,
                            method=self.method, options=variant,
                            model=str(self.model_dir.resolve()),
                            chunk_file=str(chunk_file(self.chunks_dir, chunk).resolve()),
                            test_data=str(self.test_data.resolve()),
                            folder=str((self.output_dir / name).resolve()),
                            batch_size=self.batch_size, device=self.device,
                        )  # fmt: skip
                        if self.chain and chain:
                            spec = replace(spec, model=None, after=chain[-1].digest())
                        if self.chain:
                            chain.append(spec)
                        else:
                            tasks.append(Task((spec,)))
                    if self.chain:
                        tasks.append(Task(tuple(chain)))
        return tasks


@dataclass(frozen=True)
class SweepResult:
    """The per-unit records (grid order), the per-group statistics and the files written."""

    records: tuple[dict[str, Any], ...]
    groups: tuple[dict[str, Any], ...]
    files: tuple[Path, ...]
    ran: int
    resumed: int
    errors: int
    wall_time_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": len(self.records),
            "ran": self.ran,
            "resumed": self.resumed,
            "errors": self.errors,
            "wall_time_s": round(self.wall_time_s, 3),
            "files": [str(p) for p in self.files],
            "groups": list(self.groups),
            **self.extra,
        }


def _row(record: dict[str, Any], output_dir: Path) -> dict[str, Any]:
    spec = record.get("spec", {})
    row = {key: record.get(key) for key in CSV_COLUMNS}
    row.update({key: spec.get(key) for key in ("variant", "label", "chunk", "seed")})
    row["folder"] = str(output_dir / record["unit"])
    return row


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def sweep_csv(rows: Sequence[dict[str, Any]]) -> str:
    """One row per unit (CSV_COLUMNS)."""
    return csv_text([CSV_COLUMNS, *([_number(row[c]) for c in CSV_COLUMNS] for row in rows)])


def mean_and_sample_std(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean and sample standard deviation (n - 1) of the values that exist."""
    numbers = np.array([v for v in values if v is not None], dtype=float)
    if numbers.size == 0:
        return {"n": 0, "mean": None, "std": None}
    std = float(np.std(numbers, ddof=1)) if numbers.size > 1 else None
    return {"n": int(numbers.size), "mean": float(np.mean(numbers)), "std": std}


def group_stats(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per variant x label x chunk: units by status, and mean and sample std over seeds."""
    keys = sorted({(r["variant"], r["label"], r["chunk"]) for r in rows})
    groups = []
    for variant, label, chunk in keys:
        members = [
            r for r in rows if (r["variant"], r["label"], r["chunk"]) == (variant, label, chunk)
        ]
        usable = [r for r in members if r["status"] in ("ok", "skipped")]
        statuses = {s: sum(r["status"] == s for r in members) for s in ("ok", "skipped", "error")}
        groups.append(
            {
                "variant": variant,
                "label": label,
                "chunk": chunk,
                "seeds": len(members),
                **statuses,
                **{m: mean_and_sample_std([r[m] for r in usable]) for m in MEASURES},
            }
        )
    return groups


def run_sweep(
    sweep: Sweep,
    *,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    gpus_per_unit: float = 0,
    progress: Any = None,
    extra: dict[str, Any] | None = None,
    mlflow_uri: str | None = None,
) -> SweepResult:
    """Run every unit not already done; write sweep.csv, sweep.json and sweep.png (and, with
    ``mlflow_uri``, log the sweep as one MLflow run with a nested run per unit)."""
    from tqdm import tqdm

    from repair.app.tracking import command_run, log_sweep, sweep_params

    with command_run(mlflow_uri, "sweep", sweep_params(sweep, executor, workers)) as tracked:
        started = time.perf_counter()
        tasks = sweep.units()
        sweep.output_dir.mkdir(parents=True, exist_ok=True)
        total = sum(len(task.units) for task in tasks)
        by_task: dict[int, list[dict[str, Any]]] = {}
        bar = tqdm(total=total, desc="sweep", unit="unit", file=progress or sys.stderr, leave=False)
        with unit_executor(
            executor, len(tasks), workers=workers, ray_address=ray_address, gpus=gpus_per_unit
        ) as pool:
            for outcome in pool.map_unordered(run_task, tasks):
                by_task[outcome.index] = _records_of(outcome, tasks[outcome.index])
                bar.update(len(tasks[outcome.index].units))
        bar.close()
        records = [r for index in range(len(tasks)) for r in by_task.get(index, [])]
        records += _missing(tasks, by_task)
        result = _report(sweep, records, time.perf_counter() - started, extra or {})
        log_sweep(tracked, result, sweep.output_dir)
        return result


def _records_of(outcome: Outcome, task: Task) -> list[dict[str, Any]]:
    if outcome.error is None:
        return outcome.value
    return [_error_record(spec, outcome.error) for spec in task.units[:1]]


def _error_record(spec: UnitSpec, message: str) -> dict[str, Any]:
    return {"unit": spec.name, "spec": spec.record(), "status": "error", "message": message,
            "resumed": False}  # fmt: skip


def _missing(tasks: list[Task], by_task: dict[int, list[dict]]) -> list[dict[str, Any]]:
    """Units of a chain that stopped at an error: recorded as not run."""
    missing = []
    for index, task in enumerate(tasks):
        for spec in task.units[len(by_task.get(index, [])) :]:
            missing.append(_error_record(spec, "not run: an earlier chunk of its chain failed"))
    return missing


def _report(
    sweep: Sweep, records: list[dict[str, Any]], wall: float, extra: dict[str, Any]
) -> SweepResult:
    order = {spec.name: i for i, spec in enumerate(s for t in sweep.units() for s in t.units)}
    records.sort(key=lambda r: order[r["unit"]])
    rows = [_row(r, sweep.output_dir) for r in records]
    groups = group_stats(rows)
    out = sweep.output_dir
    files = [write_text_atomic(out / SWEEP_CSV, sweep_csv(rows))]
    summary = {
        "method": sweep.method.name,
        "model_dir": str(sweep.model_dir),
        "chunks_dir": str(sweep.chunks_dir),
        "test_data": str(sweep.test_data),
        "chain": "chunk" if sweep.chain else None,
        "variants": [v.record() for v in sweep.variants],
        "std": "sample standard deviation over seeds (n - 1)",
        "groups": groups,
    }
    files.append(write_json_atomic(out / SWEEP_JSON, summary))
    from repair.reports import save_png
    from repair.reports.sweep import sweep_figure

    figure = sweep_figure(groups, title=f"{sweep.method.name} sweep: {sweep.model_dir}")
    files.append(save_png(figure, out / SWEEP_PNG))
    return SweepResult(
        records=tuple(records),
        groups=tuple(groups),
        files=tuple(files),
        ran=sum(not r.get("resumed") for r in records),
        resumed=sum(bool(r.get("resumed")) for r in records),
        errors=sum(r["status"] == "error" for r in records),
        wall_time_s=wall,
        extra=extra,
    )


def make_variants(
    method: type, localize: dict[str, Any] | None, optimize: dict[str, Any] | None
) -> tuple[Variant, ...]:
    """Every combination of the localize and optimize option grids."""
    from repair.app.sweep_spec import option_grid

    first = option_grid(method.localize_options, localize or {}, "[localize]")
    second = option_grid(method.optimize_options, optimize or {}, "[optimize]")
    return tuple(Variant(a, b) for a in first for b in second)


def format_groups(groups: Sequence[dict[str, Any]], measures: Sequence[str]) -> str:
    """A Markdown table: per variant/label/chunk, mean ± sample std of ``measures``."""
    head = ["variant", "label", "chunk", "seeds", "ok", "skipped", "error", *measures]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in groups:
        cells = [str(g[k]) for k in head[:7]]
        for m in measures:
            stat = g[m]
            if stat["mean"] is None:
                cells.append("n/a")
            elif stat["std"] is None:
                cells.append(f"{stat['mean']:.2f}")
            else:
                cells.append(f"{stat['mean']:.2f} ± {stat['std']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
