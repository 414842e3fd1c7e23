"""``repair sweep``: many repairs, each a unit, run by an executor, resumable.

A sweep is the grid labels x chunks x seeds x method-option variants (:mod:`repair.app.sweep_spec`
reads it); each point is a unit (:mod:`repair.app.sweep_unit`) that repairs in its own folder
``<output_dir>/[variant_<v>/]label_<l>/chunk_<c>/seed_<s>/`` and records itself in ``unit.json``,
so a rerun skips the units done. With ``chain=True`` the units of one (variant, label, seed) run
in chunk order as one task, chunk c+1 starting from chunk c's kept model, as the tutorial's
bash loop does; chains run in parallel. Otherwise every unit starts from the sweep's model.
The tables of the results (:mod:`repair.app.sweep_summary`) go to ``sweep.csv`` and
``sweep.json``, their chart to ``sweep.png``.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from repair.app.sweep_spec import Variant, chunk_file
from repair.app.sweep_summary import group_stats, sweep_csv, unit_row
from repair.app.sweep_unit import Task, UnitSpec, error_record, records_of, run_task, unit_name
from repair.core.files import write_json_atomic, write_text_atomic
from repair.errors import ConfigError
from repair.executors import make_executor

SWEEP_CSV = "sweep.csv"
SWEEP_JSON = "sweep.json"
SWEEP_PNG = "sweep.png"
DEVICES = ("auto", "cpu", "gpu")  # as --device of optimize


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
    ``tasks``), each with cores / workers TensorFlow threads and CPUs, set up once per worker;
    on a Ray cluster joined with ``ray_address``, one CPU per call, as many at once as it fits."""
    from repair.executors import cpu_count

    parallel = min(workers or cpu_count(), max(1, tasks))
    threads = max(1, cpu_count() // parallel) if kind != "serial" else None
    if kind == "ray" and ray_address is not None:
        # The cluster's nodes are not this machine (a node smaller than its share of this
        # machine's cores would never take a task): one CPU and one TensorFlow thread per task.
        threads = 1
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
    """The grid and where it runs. ``chunks``: chunk numbers, or ``(WHOLE_CHUNK,)`` with
    ``chunks_dir`` the data folder. The settings a TOML spec may give are checked as the
    command-line options are (ConfigError names the option)."""

    model_dir: Path
    chunks_dir: Path
    test_data: Path
    output_dir: Path
    method: type
    labels: tuple[int, ...]
    chunks: tuple[int | str, ...]
    seeds: tuple[int, ...]
    variants: tuple[Variant, ...]
    chain: bool = False
    batch_size: int = 32
    device: str = "auto"

    def __post_init__(self) -> None:
        size = self.batch_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f"--batch_size must be a positive integer; got {size!r}")
        if self.device not in DEVICES:
            raise ConfigError(f"--device must be {', '.join(DEVICES)}; got {self.device!r}")

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
    retried: int  # units whose task ran again after its node was lost (Ray)
    wall_time_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": len(self.records),
            "ran": self.ran,
            "resumed": self.resumed,
            "errors": self.errors,
            "retried": self.retried,
            "wall_time_s": round(self.wall_time_s, 3),
            "files": [str(p) for p in self.files],
            "groups": list(self.groups),
            **self.extra,
        }


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
        retried = 0
        with unit_executor(
            executor, len(tasks), workers=workers, ray_address=ray_address, gpus=gpus_per_unit
        ) as pool:
            if getattr(pool, "ships_files", False):  # workers without the driver's disk
                from repair.app.sweep_remote import run_remote_tasks

                by_task = run_remote_tasks(pool, tasks, bar)
                retried = pool.retried()
                extra = {**(extra or {}), "object_store_bytes": pool.shared_bytes}
            else:
                for outcome in pool.map_unordered(run_task, tasks):
                    by_task[outcome.index] = records_of(outcome, tasks[outcome.index])
                    bar.update(len(tasks[outcome.index].units))
        bar.close()
        records = [r for index in range(len(tasks)) for r in by_task.get(index, [])]
        records += _missing(tasks, by_task)
        result = _report(sweep, records, time.perf_counter() - started, extra or {}, retried)
        log_sweep(tracked, result, sweep.output_dir)
        return result


def _missing(tasks: list[Task], by_task: dict[int, list[dict]]) -> list[dict[str, Any]]:
    """Units of a chain that stopped at an error: recorded as not run."""
    missing = []
    for index, task in enumerate(tasks):
        for spec in task.units[len(by_task.get(index, [])) :]:
            missing.append(error_record(spec, "not run: an earlier chunk of its chain failed"))
    return missing


def _report(
    sweep: Sweep, records: list[dict[str, Any]], wall: float, extra: dict[str, Any], retried: int
) -> SweepResult:
    order = {spec.name: i for i, spec in enumerate(s for t in sweep.units() for s in t.units)}
    records.sort(key=lambda r: order[r["unit"]])
    rows = [unit_row(r, sweep.output_dir) for r in records]
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
        "retried": retried,
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
        retried=retried,
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
