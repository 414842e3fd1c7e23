"""Run a repair method's ``localize`` or ``optimize`` on folders: the part every method shares.

Loads and checks the model and the data, refuses empty input sets, saves the repaired model to
``<output_dir>/repair/model.keras`` and writes ``summary.json`` (SPEC §5). The repair rate is
the share of negatives the repaired model classifies correctly, the break rate the share of
positives it gets wrong, both in percent and on the whole sets given.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from repair.core.data import SplitReader
from repair.core.files import write_json_atomic
from repair.errors import DataFormatError, InputNotFoundError
from repair.methods import load_method
from repair.methods.base import LocalizeResult, RepairTask

SPLIT_FILENAME = "repair.h5"
SUMMARY_FILENAME = "summary.json"
REPAIRED_DIRNAME = "repair"


def split_path(folder: Path, option: str) -> Path:
    """``folder/repair.h5``, or a clear error naming ``option``."""
    path = Path(folder) / SPLIT_FILENAME
    if not path.is_file():
        raise InputNotFoundError(
            f"no {SPLIT_FILENAME} in {folder} (given as {option}); use a folder made by "
            "`repair target`, such as outputs/negative/3 or outputs/positive"
        )
    return path


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
    model_dir: Path,
    target_data_dir: Path,
    output_dir: Path | None,
    positive_inputs_dir: Path | None = None,
    batch_size: int = 32,
    seed: int = 0,
    device: str = "auto",
) -> Iterator[RepairTask]:
    """The model and open inputs as a :class:`RepairTask`; files close when the block ends."""
    from repair.core.model import load_model

    model = load_model(model_dir)
    with ExitStack() as stack:
        negatives = open_inputs(stack, target_data_dir, "--target_data_dir", "negative", model)
        positives = None
        if positive_inputs_dir is not None:
            positives = open_inputs(
                stack, positive_inputs_dir, "--positive_inputs_dir", "positive", model
            )
        output = Path(output_dir or target_data_dir)
        output.mkdir(parents=True, exist_ok=True)
        yield RepairTask(model, negatives, output, positives, batch_size, seed, device)


def make_options(method_class: type, options: Any, step: str) -> Any:
    """``options`` or the method's defaults for ``step`` (``localize`` or ``optimize``)."""
    return options if options is not None else getattr(method_class, f"{step}_options")()


def run_localize(
    method: str,
    model_dir: Path,
    target_data_dir: Path,
    output_dir: Path | None = None,
    options: Any = None,
    batch_size: int = 32,
) -> LocalizeResult:
    """Localize with ``method``; its files go to ``output_dir`` (default: target_data_dir)."""
    method_class = load_method(method)
    with repair_task(model_dir, target_data_dir, output_dir, batch_size=batch_size) as task:
        return method_class().localize(task, make_options(method_class, options, "localize"))


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


def run_optimize(
    method: str,
    model_dir: Path,
    target_data_dir: Path,
    positive_inputs_dir: Path,
    output_dir: Path | None = None,
    options: Any = None,
    batch_size: int = 32,
    seed: int | None = None,
    device: str = "auto",
) -> dict[str, Any]:
    """Optimize with ``method``, save the repaired model and summary.json; return the summary."""
    from repair.core.model import save_model

    method_class = load_method(method)
    options = make_options(method_class, options, "optimize")
    seed = new_seed() if seed is None else seed
    started = time.perf_counter()
    with repair_task(
        model_dir, target_data_dir, output_dir, positive_inputs_dir, batch_size, seed, device
    ) as task:
        result = method_class().optimize(task, options)
        model_path = save_model(result.model, task.output_dir / REPAIRED_DIRNAME)
        wall_time = time.perf_counter() - started
        summary = {
            "method": method_class.name,
            "model_dir": str(model_dir),
            "target_data_dir": str(target_data_dir),
            "positive_inputs_dir": str(positive_inputs_dir),
            "output_dir": str(task.output_dir),
            "repaired_model": str(model_path),
            "settings": {"batch_size": batch_size, "device": device, **_settings(options)},
            "seed": seed,
            **rates(result.model, task.negatives, task.positives, batch_size),
            "wall_time_s": round(wall_time, 3),
            "details": result.details,
        }
        write_json_atomic(task.output_dir / SUMMARY_FILENAME, summary)
    return summary
