"""MLflow tracking of one command: its parameters, its numbers and the files it wrote.

Off unless a tracking URI is given (``--mlflow URI`` or ``REPAIR_MLFLOW_URI``). MLflow is an
optional extra (``pip install 'repair[mlflow]'``, the ``mlflow-skinny`` client), imported only
here and only when asked. Each command is one MLflow run in the experiment ``repair`` (named
after the command); a sweep's units are runs nested under it. Numbers are the numeric leaves of
the command's report, keys joined by dots (``methods.mmd.score``); a list of records is logged
one step per record. Runs go through an explicit ``MlflowClient``: no global MLflow state, and
MLflow's usage telemetry is switched off (the toolkit opens no network connection itself).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from repair.errors import RepairError

ENV_URI = "REPAIR_MLFLOW_URI"
EXPERIMENT = "repair"
INSTALL_HINT = "pip install 'repair[mlflow]'"
MAX_PARAM_CHARS = 6000  # MLflow's limit on a parameter value
KEY_CHARS = re.compile(r"[^\w\-. /]")


class MissingMlflowError(RepairError, ImportError):
    """``--mlflow`` was given but the MLflow client is not installed."""


class TrackingError(RepairError, OSError):
    """The MLflow tracking store cannot be opened or written."""


def _import_mlflow() -> Any:
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"  # no usage reports sent anywhere
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise MissingMlflowError(
            f"--mlflow needs the MLflow tracking client; install it with {INSTALL_HINT}"
        ) from None
    return MlflowClient


def is_file_store(uri: str) -> bool:
    """Whether ``uri`` names a local folder (a path or ``file:`` URI) rather than a server or a
    database."""
    return uri.startswith("file:") or "://" not in uri and not uri.startswith("sqlite:")


def flat_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested settings as ``{"a.b": "value"}`` strings (None and paths as text), each cut to
    MLflow's limit."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = metric_key(f"{prefix}{key}")
        if isinstance(value, Mapping):
            flat.update(flat_params(value, f"{name}."))
        else:
            text = value if isinstance(value, str) else str(value)
            flat[name] = text[:MAX_PARAM_CHARS]
    return flat


def metric_key(key: str) -> str:
    """``key`` with the characters MLflow refuses in a name replaced by ``_``."""
    return KEY_CHARS.sub("_", str(key))


def numeric_leaves(
    report: Any, prefix: str = "", stepped: bool = False
) -> Iterator[tuple[str, float, int]]:
    """``(dotted key, value, step)`` of every finite number in ``report``; a list of mappings
    gives one step per element (lists inside those, and other lists, are left out); booleans
    count as 0 / 1."""
    if isinstance(report, Mapping):
        for key, value in report.items():
            yield from numeric_leaves(value, f"{prefix}{metric_key(key)}.", stepped)
    elif isinstance(report, list | tuple):
        if not stepped and all(isinstance(item, Mapping) for item in report):
            for step, item in enumerate(report):
                for key, value, _ in numeric_leaves(item, prefix, stepped=True):
                    yield key, value, step
    elif isinstance(report, bool | int | float) and math.isfinite(float(report)):
        yield prefix.rstrip("."), float(report), 0


class Run:
    """One MLflow run, or nothing (``client`` None: tracking is off and every call is a no-op)."""

    def __init__(self, client: Any, run_id: str | None) -> None:
        self.client, self.run_id = client, run_id

    @property
    def active(self) -> bool:
        return self.client is not None

    def log_params(self, params: Mapping[str, Any]) -> None:
        if self.active and params:
            from mlflow.entities import Param

            items = [Param(k, v) for k, v in flat_params(params).items()]
            for start in range(0, len(items), 100):  # MLflow takes 100 parameters per batch
                self.client.log_batch(self.run_id, params=items[start : start + 100])

    def log_report(self, report: Any) -> None:
        """Every number of ``report`` as a metric (see :func:`numeric_leaves`)."""
        if not self.active:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, step) for k, v, step in numeric_leaves(report)]
        for start in range(0, len(metrics), 1000):
            self.client.log_batch(self.run_id, metrics=metrics[start : start + 1000])

    def log_files(self, paths: Iterable[Path], root: Path | None = None) -> None:
        """Each existing file (or folder) as an artifact, under its folder relative to
        ``root`` when it lies inside it."""
        if not self.active:
            return
        for path in map(Path, paths):
            where = None
            if root is not None and path.resolve().is_relative_to(Path(root).resolve()):
                parent = path.resolve().parent.relative_to(Path(root).resolve())
                where = None if str(parent) == "." else parent.as_posix()
            if path.is_dir():
                self.client.log_artifacts(self.run_id, str(path), where or path.name)
            elif path.is_file():
                self.client.log_artifact(self.run_id, str(path), where)

    @contextmanager
    def child(self, name: str, params: Mapping[str, Any] | None = None) -> Iterator[Run]:
        """A run nested under this one (a sweep's unit)."""
        if not self.active:
            yield self
            return
        parent = self.client.get_run(self.run_id)
        run = self.client.create_run(
            parent.info.experiment_id,
            run_name=name,
            tags={"mlflow.parentRunId": self.run_id, "repair.command": "unit"},
        )
        with _finishing(self.client, run.info.run_id) as nested:
            nested.log_params(params or {})
            yield nested


@contextmanager
def _finishing(client: Any, run_id: str) -> Iterator[Run]:
    """Mark the run FINISHED when the block ends, FAILED when it raises."""
    try:
        yield Run(client, run_id)
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")


@contextmanager
def command_run(uri: str | None, command: str, params: Mapping[str, Any]) -> Iterator[Run]:
    """The MLflow run of ``command`` at the tracking store ``uri`` (a no-op Run when None),
    with ``params`` logged; opened before the work so that a bad URI fails at once."""
    if not uri:
        yield Run(None, None)
        return
    client_class = _import_mlflow()
    if is_file_store(uri):  # a local folder: MLflow 3 keeps it behind an opt-in
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        client = client_class(tracking_uri=uri)
        found = client.get_experiment_by_name(EXPERIMENT)
        experiment = found.experiment_id if found else client.create_experiment(EXPERIMENT)
        run = client.create_run(experiment, run_name=command, tags={"repair.command": command})
    except Exception as error:  # MLflow raises many kinds: a bad URI, a missing driver, a server
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise TrackingError(f"--mlflow cannot use the tracking store {uri!r}: {first}") from None
    with _finishing(client, run.info.run_id) as tracked:
        tracked.log_params(params)
        yield tracked


def sweep_params(sweep: Any, executor: str, workers: int | None) -> dict[str, Any]:
    """A sweep's grid and settings as MLflow parameters (a unit's own are on its nested run)."""
    return {
        "method": sweep.method.name, "model_dir": sweep.model_dir, "chunks_dir": sweep.chunks_dir,
        "test_data": sweep.test_data, "output_dir": sweep.output_dir,
        "labels": ",".join(map(str, sweep.labels)), "chunks": ",".join(map(str, sweep.chunks)),
        "seeds": ",".join(map(str, sweep.seeds)), "variants": len(sweep.variants),
        "chain": "chunk" if sweep.chain else "none", "batch_size": sweep.batch_size,
        "device": sweep.device, "executor": executor, "workers": workers,
    }  # fmt: skip


UNIT_PARAMS = ("variant", "label", "chunk", "seed")


def log_sweep(tracked: Run, result: Any, output_dir: Path) -> None:
    """The sweep's counts and per-group statistics (one step per group) and files on the
    parent run; per unit a nested run with its grid position, its numbers and its folder."""
    if not tracked.active:
        return
    summary = {k: v for k, v in result.to_dict().items() if k != "files"}
    tracked.log_report(summary)
    tracked.log_files(result.files, root=output_dir)
    for record in result.records:
        spec = record.get("spec", {})
        params = {key: spec.get(key) for key in UNIT_PARAMS}
        with tracked.child(record["unit"], {**params, "status": record.get("status")}) as unit:
            unit.log_report({k: v for k, v in record.items() if k not in ("spec", "unit")})
            unit.log_files([Path(output_dir) / record["unit"]])
