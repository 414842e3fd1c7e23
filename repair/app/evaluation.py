"""``evaluate``: repeat localize + optimize with different seeds and summarise the rates.

Run ``k`` uses seed ``random_state + k`` and writes into ``<output_dir>/run_<k>/``. With test
data, the test repair rate is the share of test inputs the original model misclassifies (among
the labels of the negatives) that the repaired model gets right, and the test break rate the
share of test inputs the original model gets right that the repaired model gets wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from repair.app.runner import localize, optimize
from repair.core import run_files
from repair.core.files import write_text_atomic
from repair.core.run_files import EVALUATE_RESULT_FILENAME as RESULT_FILENAME
from repair.core.run_files import split_path
from repair.errors import RepairError
from repair.methods.base import RepairMethod


@dataclass(frozen=True)
class RunRates:
    """One run: seed, rates on the repair data and, with test data, on it (percent)."""

    run: int
    seed: int
    repair_rate: float
    break_rate: float
    test_repair_rate: float | None = None
    test_break_rate: float | None = None
    test_accuracy: float | None = None


@dataclass(frozen=True)
class HeldOutBaseline:
    """The original model on the test file: labels (n,), correct (n,) bool, target (n,) bool."""

    path: Path
    labels: np.ndarray
    correct: np.ndarray
    target: np.ndarray

    @property
    def accuracy(self) -> float:
        return 100.0 * float(np.mean(self.correct))


def _predictions(model_dir: Path, test_data: Path, batch_size: int) -> tuple[np.ndarray, ...]:
    from repair.core.model import predict_file

    _, predictions = predict_file(model_dir, test_data, batch_size, "test")
    return predictions.true, predictions.correct


def held_out_baseline(
    model_dir: Path, target_data_dir: Path, test_data: Path, batch_size: int
) -> HeldOutBaseline:
    from repair.core.data import SplitReader

    labels, correct = _predictions(model_dir, test_data, batch_size)
    with SplitReader(split_path(target_data_dir, "--target_data_dir")) as reader:
        target_labels = np.unique(reader.labels())
    return HeldOutBaseline(test_data, labels, correct, ~correct & np.isin(labels, target_labels))


def _percent(part: np.ndarray) -> float | None:
    return 100.0 * float(np.mean(part)) if part.size else None


def held_out_rates(
    reference: HeldOutBaseline, repaired_dir: Path, batch_size: int
) -> dict[str, Any]:
    _, correct = _predictions(repaired_dir, reference.path, batch_size)
    return {
        "test_repair_rate": _percent(correct[reference.target]),
        "test_break_rate": _percent(~correct[reference.correct]),
        "test_accuracy": 100.0 * float(np.mean(correct)),
    }


def mean_std(values: list[float | None]) -> tuple[float, float] | None:
    """Mean and sample standard deviation (n - 1 in the denominator; 0 for a single run)."""
    numbers = [v for v in values if v is not None]
    if not numbers:
        return None
    spread = float(np.std(numbers, ddof=1)) if len(numbers) > 1 else 0.0
    return float(np.mean(numbers)), spread


@dataclass(frozen=True)
class RunSpec:
    """One evaluate run: localize and optimize into ``run_dir`` with ``seed``."""

    run: int
    method: type[RepairMethod]
    model_dir: Path
    target_data_dir: Path
    positive_inputs_dir: Path
    run_dir: Path
    localize_options: Any
    optimize_options: Any
    batch_size: int
    seed: int
    device: str
    reference: HeldOutBaseline | None


def evaluate_run(spec: RunSpec) -> RunRates:
    """Localize, optimize and (with test data) measure one run."""
    localize(
        method=spec.method,
        model_dir=spec.model_dir,
        target_data_dir=spec.target_data_dir,
        output_dir=spec.run_dir,
        options=spec.localize_options,
        batch_size=spec.batch_size,
        positive_inputs_dir=spec.positive_inputs_dir,
        seed=spec.seed,
    )
    summary = optimize(
        method=spec.method,
        model_dir=spec.model_dir,
        target_data_dir=spec.target_data_dir,
        positive_inputs_dir=spec.positive_inputs_dir,
        output_dir=spec.run_dir,
        options=spec.optimize_options,
        batch_size=spec.batch_size,
        seed=spec.seed,
        device=spec.device,
    )
    tested = {}
    if spec.reference is not None:
        repaired = run_files.repaired_model_dir(spec.run_dir)
        tested = held_out_rates(spec.reference, repaired, spec.batch_size)
    return RunRates(
        spec.run, summary["seed"], summary["repair_rate"], summary["break_rate"], **tested
    )


def run_all(
    function: Callable[[Any], Any],
    specs: Sequence[Any],
    *,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    facts: dict[str, Any] | None = None,
) -> list[Any]:
    """``function(spec)`` for every spec on the ``executor`` (``serial``, ``local`` with
    ``workers`` processes, or ``ray``), in spec order: the one loop of ``repair evaluate``.
    On workers without the driver's disk (Ray), the inputs travel and ``facts`` gets the node of
    each run, the bytes sent and the retries (:mod:`repair.app.evaluation_remote`)."""
    from repair.app.sweep import unit_executor

    values: list[Any] = [None] * len(specs)
    with unit_executor(executor, len(specs), workers=workers, ray_address=ray_address) as pool:
        if getattr(pool, "ships_files", False):
            from repair.app.evaluation_remote import run_shipped_runs, ship_runs

            items = ship_runs(pool, function, list(specs))
            outcomes = run_shipped_runs(pool, items, {} if facts is None else facts)
        else:
            outcomes = pool.map_unordered(function, specs)
        for outcome in outcomes:
            if outcome.error is not None:
                raise RepairError(f"run {outcome.index} failed: {outcome.error}")
            values[outcome.index] = outcome.value
    return values


def scored_split(target_data_dir: Path, positive_inputs_dir: Path) -> Path | None:
    """The split the runs are scored on: the file ``repair target`` split into the
    ``negative/`` folder holding ``target_data_dir`` and the ``positive/`` folder beside it
    (``positive_inputs_dir``). Found by its size (positives + negatives + what ``target
    --holdout`` kept out of them); None when the inputs are not such a layout or no file fits."""
    from repair.core.data import SplitReader

    def size(path: Path) -> int | None:
        try:
            with SplitReader(path, allow_empty=True) as reader:
                return len(reader)
        except RepairError:  # missing, or not a split file: not the source
            return None

    root = run_files.layout_root(target_data_dir)
    if root is None or Path(positive_inputs_dir).resolve() != run_files.positive_dir(root):
        return None
    parts = [size(run_files.negative_dir(root) / run_files.SPLIT_FILENAME)]
    parts.append(size(run_files.positive_dir(root) / run_files.SPLIT_FILENAME))
    if None in parts:
        return None
    candidates = sorted(root.glob("*.h5"), key=lambda p: (p.name != run_files.SPLIT_FILENAME, p))
    for candidate in candidates:
        held = size(root / run_files.TARGET_HOLDOUT_DIRNAME / candidate.name) or 0
        if size(candidate) == sum(parts) + held:
            return candidate
    return None


def evaluate_method(
    *,
    method: type[RepairMethod],
    model_dir: Path,
    target_data_dir: Path,
    positive_inputs_dir: Path,
    output_dir: Path,
    num_runs: int,
    localize_options: Any = None,
    optimize_options: Any = None,
    batch_size: int = 32,
    random_state: int = 0,
    device: str = "auto",
    test_data: Path | None = None,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    holdout: float | None = None,
    mlflow_uri: str | None = None,
) -> dict[str, Any]:
    """Run ``num_runs`` repairs; write result.txt and evaluate.json; return the report.

    A one-axis sweep over seeds on the ``executor`` (``serial``, ``local`` with ``workers``
    processes, or ``ray``); with ``holdout``, the held-out protocol's runs on the same executor
    (see :func:`_evaluate`). With ``mlflow_uri``, one MLflow run: the settings, each run's rates
    as one step, the means and the output folder.
    """
    from repair.app.tracking import command_run

    params = {
        "method": method.name, "model_dir": model_dir, "target_data_dir": target_data_dir,
        "positive_inputs_dir": positive_inputs_dir, "output_dir": output_dir,
        "num_runs": num_runs, "batch_size": batch_size, "random_state": random_state,
        "device": device, "test_data": test_data, "executor": executor, "holdout": holdout,
        "localize": _options_dict(localize_options), "optimize": _options_dict(optimize_options),
    }  # fmt: skip
    with command_run(mlflow_uri, "evaluate", params) as tracked:
        report = _evaluate(
            method=method, model_dir=model_dir, target_data_dir=target_data_dir,
            positive_inputs_dir=positive_inputs_dir, output_dir=output_dir, num_runs=num_runs,
            localize_options=localize_options, optimize_options=optimize_options,
            batch_size=batch_size, random_state=random_state, device=device,
            test_data=test_data, executor=executor, workers=workers, ray_address=ray_address,
            holdout=holdout,
        )  # fmt: skip
        tracked.log_report(_trackable(report))
        tracked.log_files([Path(output_dir)])
    return report


def _options_dict(options: Any) -> dict[str, Any]:
    return asdict(options) if is_dataclass(options) else {}


def _trackable(report: dict[str, Any]) -> dict[str, Any]:
    """The report with each ``(mean, std)`` pair as ``{"mean": m, "std": s}``."""
    pairs = report.get("mean_std", {})
    named = {k: None if v is None else {"mean": v[0], "std": v[1]} for k, v in pairs.items()}
    return {**report, "mean_std": named}


def _evaluate(
    *,
    method: type[RepairMethod],
    model_dir: Path,
    target_data_dir: Path,
    positive_inputs_dir: Path,
    output_dir: Path,
    num_runs: int,
    localize_options: Any,
    optimize_options: Any,
    batch_size: int,
    random_state: int,
    device: str,
    test_data: Path | None,
    executor: str,
    workers: int | None,
    ray_address: str | None,
    holdout: float | None,
) -> dict[str, Any]:
    """The runs of :func:`evaluate_method`: run ``k`` is one call of :func:`evaluate_run`
    (with ``holdout``, of :func:`repair.app.holdout_evaluation.run_holdout` on its half of the
    negatives), handed to the ``executor`` by :func:`run_all`."""
    reference = None
    if test_data is not None and holdout is None:
        reference = held_out_baseline(model_dir, target_data_dir, test_data, batch_size)
    specs = [
        RunSpec(
            run=run,
            method=method,
            model_dir=Path(model_dir).resolve(),
            target_data_dir=Path(target_data_dir).resolve(),
            positive_inputs_dir=Path(positive_inputs_dir).resolve(),
            run_dir=(Path(output_dir) / f"run_{run}").resolve(),
            localize_options=localize_options,
            optimize_options=optimize_options,
            batch_size=batch_size,
            seed=random_state + run,
            device=device,
            reference=reference,
        )
        for run in range(num_runs)
    ]
    # What the runs' rates are measured on, for `repair variability --runs_dir` to default to:
    # the test file when plain runs measured their rates on it, else the repair split.
    if test_data is not None and holdout is None:
        scored: Path | None = Path(test_data)
    else:
        scored = scored_split(target_data_dir, positive_inputs_dir)
    settings = {
        "method": method.name,
        "model_dir": str(model_dir),
        "target_data_dir": str(target_data_dir),
        "positive_inputs_dir": str(positive_inputs_dir),
        "output_dir": str(output_dir),
        "num_runs": num_runs,
        "test_data": None if test_data is None else str(test_data),
        "scored_split": None if scored is None else str(scored),
    }
    cluster: dict[str, Any] = {}  # on Ray: nodes, object_store_bytes, retried
    where = {"executor": executor, "workers": workers, "ray_address": ray_address}  # run_all's
    where["facts"] = cluster
    if holdout is not None:
        from repair.app import holdout_evaluation as held
        from repair.variability.holdout import format_holdout

        plan = held.plan_holdout(
            specs, fraction=holdout, test_data=test_data, batch_size=batch_size
        )
        runs = run_all(held.run_holdout, plan.specs, **where)
        report = held.holdout_report(plan, runs, settings, holdout)
        text = format_holdout(report) + "\n"
    else:
        rates: list[RunRates] = run_all(evaluate_run, specs, **where)
        report = {
            **settings,
            "test_accuracy_before": None if reference is None else reference.accuracy,
            "runs": [asdict(run) for run in rates],
            "mean_std": {
                key: mean_std([getattr(run, key) for run in rates])
                for key in ("repair_rate", "break_rate", "test_repair_rate", "test_break_rate")
            },
        }
        text = format_report(report)
    report.update(cluster)
    run_files.write_evaluate_report(Path(output_dir), report)
    write_text_atomic(Path(output_dir) / RESULT_FILENAME, text)
    return report


def _pm(value: tuple[float, float] | None) -> str:
    return "n/a" if value is None else f"{value[0]:.2f} ± {value[1]:.2f}%"


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def format_report(report: dict[str, Any]) -> str:
    """result.txt: settings, one line per run, then mean ± std (like the reference's)."""
    lines = ["# Settings"]
    for key in ("method", "model_dir", "target_data_dir", "positive_inputs_dir", "output_dir"):
        lines.append(f"{key}: {report[key]}")
    lines += [f"num_runs: {report['num_runs']}", f"test_data: {report['test_data']}", ""]
    lines.append("# Results (RR: repair rate, BR: break rate, on the repair data)")
    for run in report["runs"]:
        line = f"{run['run']}: seed {run['seed']}, RR {_rate(run['repair_rate'])}, "
        line += f"BR {_rate(run['break_rate'])}"
        if report["test_data"] is not None:
            line += f"; test RR {_rate(run['test_repair_rate'])}, "
            line += f"test BR {_rate(run['test_break_rate'])}, "
            line += f"test accuracy {_rate(run['test_accuracy'])}"
        lines.append(line)
    stats = report["mean_std"]
    lines.append(
        f"\nMean ± sample std (n - 1) over {report['num_runs']} "
        f"run{'s' if report['num_runs'] != 1 else ''}: "
        f"RR {_pm(stats['repair_rate'])}, BR {_pm(stats['break_rate'])}"
    )
    if report["test_data"] is not None:
        lines.append(
            f"Test: RR {_pm(stats['test_repair_rate'])}, BR {_pm(stats['test_break_rate'])} "
            f"(accuracy before {_rate(report['test_accuracy_before'])})"
        )
    return "\n".join(lines) + "\n"
