"""``localize`` and ``optimize`` on folders: the part every repair method shares.

Loads and checks the model and the data, refuses empty input sets, saves the repaired model to
``<output_dir>/repair/model.keras`` and writes ``summary.json`` (docs/formats.md). The repair
rate is the share of negatives the repaired model classifies correctly, the break rate the share
of positives it gets wrong, both in percent and on the whole sets given. ``localize`` commits its
files, ``optimize`` its outputs (weights.csv, history.csv, the model, summary.json), as one set."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from repair.core import run_files
from repair.core.data import SplitReader
from repair.core.run_files import split_path
from repair.core.staging import staged
from repair.errors import DataFormatError
from repair.methods.base import LocalizeResult, RepairMethod, RepairTask


def open_inputs(stack: ExitStack, folder: Path, option: str, kind: str, model: Any) -> SplitReader:
    """Open ``folder/repair.h5``, check it fits ``model`` and holds at least one input."""
    from repair.core.model import check_model_matches

    reader = stack.enter_context(SplitReader(split_path(folder, option), allow_empty=True))
    if len(reader) == 0:
        raise DataFormatError(f"{reader.path} holds no {kind} inputs ({option}): nothing to use")
    check_model_matches(model, reader.info)
    return reader


def new_seed() -> int:
    """A fresh seed when none is given; it is recorded, so the run can be repeated."""
    return int(np.random.SeedSequence().entropy % (2**32))


@contextmanager
def repair_task(
    *,
    model_dir: Path,
    target_data_dir: Path,
    output_dir: Path | None,
    positive_inputs_dir: Path | None = None,
    batch_size: int = 32,
    seed: int = 0,
    device: str = "auto",
    model: Any = None,
) -> Iterator[RepairTask]:
    """The model (``model``, or loaded from ``model_dir``) and open inputs as a
    :class:`RepairTask`; files close when the block ends."""
    from repair.core.model import load_model

    model = load_model(model_dir) if model is None else model
    with ExitStack() as stack:
        negatives = open_inputs(
            stack, target_data_dir, "--target_data_dir", run_files.NEGATIVE_DIRNAME, model
        )
        positives = None
        if positive_inputs_dir is not None:
            option, kind = "--positive_inputs_dir", run_files.POSITIVE_DIRNAME
            positives = open_inputs(stack, positive_inputs_dir, option, kind, model)
        output = Path(output_dir or target_data_dir)
        output.mkdir(parents=True, exist_ok=True)
        yield RepairTask(
            model, negatives, output, positives, batch_size, seed, device, Path(model_dir)
        )


LOCALIZE_COMMAND = "localize"


def make_options(method_class: type, options: Any, step: str) -> Any:
    """``options`` or the method's defaults for ``step`` (``localize`` or ``optimize``)."""
    return options if options is not None else getattr(method_class, f"{step}_options")()


def localize(
    *,
    method: type[RepairMethod],
    model_dir: Path,
    target_data_dir: Path,
    output_dir: Path | None = None,
    options: Any = None,
    batch_size: int = 32,
    positive_inputs_dir: Path | None = None,
    seed: int = 0,
) -> LocalizeResult:
    """Localize with ``method``; its files go to ``output_dir`` (default: target_data_dir).

    ``positive_inputs_dir``: positives for a method that localizes against them too (Arachne's
    bidirectional localizer); without it, such a method takes the ``positive/`` folder that
    ``repair target`` wrote beside the ``negative/`` one holding ``target_data_dir`` (and says
    so in the result's notes). ``seed``: for a method that samples them. A Pareto front the
    method returns is drawn here as ``pareto_front.png``. The files are committed as one set
    (:mod:`repair.core.staging`): a ``pareto_front.png`` the last localize drew goes when this
    one draws none.
    """
    options = make_options(method, options, "localize")
    notes: tuple[str, ...] = ()
    if positive_inputs_dir is None and method.localize_reads_positives(options):
        positive_inputs_dir = run_files.positives_beside(target_data_dir)
        if positive_inputs_dir is not None:
            beside = run_files.layout_root(target_data_dir) / run_files.NEGATIVE_DIRNAME
            notes = (f"positive inputs: {positive_inputs_dir} (found beside {beside})",)
    output = Path(output_dir or target_data_dir)
    with staged(output, LOCALIZE_COMMAND) as stage:
        result = _localize_into(
            stage,
            method,
            model_dir,
            target_data_dir,
            options,
            batch_size,
            positive_inputs_dir,
            seed,
        )
    moved = [Path(path) for path in result.files]
    moved = [output / p.relative_to(stage) if p.is_relative_to(stage) else p for p in moved]
    return replace(result, files=tuple(moved), notes=(*result.notes, *notes))


def _localize_into(  # noqa: PLR0913
    stage: Path,
    method: type[RepairMethod],
    model_dir: Path,
    target_data_dir: Path,
    options: Any,
    batch_size: int,
    positive_inputs_dir: Path | None,
    seed: int,
) -> LocalizeResult:
    """Run ``method``'s localize with its files (and the Pareto chart) written into ``stage``."""
    with repair_task(
        model_dir=model_dir,
        target_data_dir=target_data_dir,
        output_dir=stage,
        positive_inputs_dir=positive_inputs_dir,
        batch_size=batch_size,
        seed=seed,
    ) as task:
        result = method().localize(task, options)
        if result.pareto is None:
            return result
        from repair.reports import save_png
        from repair.reports.pareto import pareto_figure

        front = result.pareto
        figure = pareto_figure(front.objectives, front.front, front.title)
        chart = save_png(figure, task.output_dir / run_files.PARETO_FILENAME)
        return replace(result, files=(*result.files, chart))


def rates(model: Any, negatives: SplitReader, positives: SplitReader, batch_size: int) -> dict:
    """Patched negatives and broken positives of ``model``, counts and percents."""
    from repair.core.model import predict_split

    fixed = int(np.sum(predict_split(model, negatives, batch_size, "check negatives").correct))
    kept = int(np.sum(predict_split(model, positives, batch_size, "check positives").correct))
    broken = len(positives) - kept
    return {
        "negatives": len(negatives),
        "patched": fixed,
        "repair_rate": 100.0 * fixed / len(negatives),
        "positives": len(positives),
        "broken": broken,
        "break_rate": 100.0 * broken / len(positives),
    }


def _settings(options: Any) -> dict:
    return asdict(options) if is_dataclass(options) else {}


@dataclass(frozen=True)
class OptimizeSummary:
    """What ``optimize`` did: ``data`` is summary.json's content (method, paths, settings, seed,
    negatives, patched, repair_rate, positives, broken, break_rate, wall_time_s, details)."""

    data: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    @property
    def kept_original(self) -> bool:
        return bool(self.data.get("details", {}).get("kept_original", False))


def optimize(
    *,
    method: type[RepairMethod],
    model_dir: Path,
    target_data_dir: Path,
    positive_inputs_dir: Path,
    output_dir: Path | None = None,
    options: Any = None,
    batch_size: int = 32,
    seed: int | None = None,
    device: str = "auto",
    mlflow_uri: str | None = None,
) -> OptimizeSummary:
    """Optimize with ``method``; commit the repaired model, the method's files and summary.json
    into ``output_dir`` (default: target_data_dir) as one set; with ``mlflow_uri``, log the
    settings, the rates and those files to MLflow."""
    from repair.app.tracking import command_run
    from repair.core.model import save_model

    with command_run(mlflow_uri, "optimize", {}) as tracked:
        options = make_options(method, options, "optimize")
        seed = new_seed() if seed is None else seed
        started = time.perf_counter()
        output = Path(output_dir or target_data_dir)
        with (
            run_files.staged_outputs(output) as stage,
            repair_task(
                model_dir=model_dir,
                target_data_dir=target_data_dir,
                output_dir=stage,
                positive_inputs_dir=positive_inputs_dir,
                batch_size=batch_size,
                seed=seed,
                device=device,
            ) as task,
        ):
            result = method().optimize(task, options)
            save_model(result.model, run_files.repaired_model_dir(stage))
            summary = {
                "method": method.name,
                "model_dir": str(model_dir),
                "target_data_dir": str(target_data_dir),
                "positive_inputs_dir": str(positive_inputs_dir),
                "output_dir": str(output),
                "repaired_model": str(
                    run_files.repaired_model_dir(output) / run_files.MODEL_FILENAME
                ),
                "settings": {"batch_size": batch_size, "device": device, **_settings(options)},
                "seed": seed,
                **rates(result.model, task.negatives, task.positives, batch_size),
                "wall_time_s": round(time.perf_counter() - started, 3),
                "details": result.details,
            }
            run_files.write_summary(stage, summary)
        log_optimize(tracked, summary, output)
        return OptimizeSummary(summary)


TRACKED_FILES = (
    run_files.SUMMARY_FILENAME,
    run_files.HISTORY_FILENAME,
    run_files.WEIGHTS_FILENAME,
    run_files.PARETO_FILENAME,
)
SUMMARY_PARAMS = ("method", "model_dir", "target_data_dir", "positive_inputs_dir", "seed")


def log_optimize(tracked: Any, summary: dict[str, Any], output: Path) -> None:
    """An optimize run's settings as parameters, its counts and rates as metrics, and the files
    it committed (the repaired model too) as artifacts."""
    tracked.log_params({**{k: summary[k] for k in SUMMARY_PARAMS}, "settings": summary["settings"]})
    tracked.log_report({k: v for k, v in summary.items() if k not in ("settings", "seed")})
    files = [output / name for name in TRACKED_FILES]
    tracked.log_files([*files, run_files.repaired_model_dir(output)], root=output)
