"""``repair evaluate --holdout F``: the held-out protocol run on folders.

The protocol itself is :mod:`repair.variability.holdout`.

Run ``k`` (seed ``random_state + k``) writes ``<output_dir>/run_<k>/``: ``data/negative/repair.h5``
(the half it repairs), ``data/heldout/repair.h5`` (the half it never sees), and what
``localize`` and ``optimize`` write (``repair/model.keras``, ``summary.json``, ...), so
``repair variability --runs_dir`` reads it like any evaluate folder.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from repair.core.files import write_text_atomic
from repair.core.run_files import EVALUATE_RESULT_FILENAME, REPAIRED_DIRNAME, SPLIT_FILENAME
from repair.errors import DataFormatError
from repair.methods.base import RepairMethod
from repair.variability.holdout import (
    HoldoutRun,
    check_fraction,
    format_holdout,
    report_dict,
    split_halves,
)


def _accuracy(correct: np.ndarray) -> float:
    return 100.0 * float(np.mean(correct)) if correct.size else float("nan")


def evaluate_holdout(
    *,
    method: type[RepairMethod],
    model_dir: Path,
    target_data_dir: Path,
    positive_inputs_dir: Path,
    output_dir: Path,
    num_runs: int,
    fraction: float,
    localize_options: Any = None,
    optimize_options: Any = None,
    batch_size: int = 32,
    random_state: int = 0,
    device: str = "auto",
    test_data: Path | None = None,
) -> dict[str, Any]:
    """Run the protocol ``num_runs`` times; write result.txt; return the report."""
    from repair.app.runner import localize, optimize
    from repair.core.model import predict_file
    from repair.core.run_files import split_path
    from repair.variability.analysis import write_subset

    check_fraction(fraction)
    negatives_file = split_path(target_data_dir, "--target_data_dir")
    _, negatives = predict_file(model_dir, negatives_file, batch_size, "negatives")
    target_labels = np.unique(negatives.true)
    before = None
    if test_data is not None:
        _, before = predict_file(model_dir, test_data, batch_size, "test (original)")
    runs = []
    for run in range(num_runs):
        seed = random_state + run
        run_dir = Path(output_dir) / f"run_{run}"
        # The halves depend on the seed only, so a run is repeatable on its own.
        repair_part, held_part = split_halves(
            negatives.predicted, fraction, np.random.default_rng(seed)
        )
        if not len(repair_part) or not len(held_part):
            raise DataFormatError(
                f"--holdout {fraction:g} of {len(negatives.true)} negatives leaves an empty half"
            )
        repair_dir = run_dir / "data" / "negative"
        held_file = write_subset(
            negatives_file, held_part, run_dir / "data" / "heldout" / SPLIT_FILENAME
        )
        write_subset(negatives_file, repair_part, repair_dir / SPLIT_FILENAME)
        started = time.perf_counter()
        localize(
            method=method, model_dir=model_dir, target_data_dir=repair_dir, output_dir=run_dir,
            options=localize_options, batch_size=batch_size,
        )  # fmt: skip
        summary = optimize(
            method=method, model_dir=model_dir, target_data_dir=repair_dir,
            positive_inputs_dir=positive_inputs_dir, output_dir=run_dir,
            options=optimize_options, batch_size=batch_size, seed=seed, device=device,
        )  # fmt: skip
        wall = time.perf_counter() - started
        repaired = run_dir / REPAIRED_DIRNAME
        _, held = predict_file(repaired, held_file, batch_size, "held-out half")
        changes: dict[str, float] = {}
        if before is not None and test_data is not None:
            _, after = predict_file(repaired, test_data, batch_size, "test (repaired)")
            label = np.isin(after.true, target_labels)
            changes = {
                "test_change": _accuracy(after.correct) - _accuracy(before.correct),
                "test_label_change": _accuracy(after.correct[label])
                - _accuracy(before.correct[label]),
            }
        runs.append(
            HoldoutRun(
                run, seed, len(repair_part), len(held_part), summary["repair_rate"],
                _accuracy(held.correct), summary["break_rate"], **changes,
                wall_time_s=round(wall, 3),
            )
        )  # fmt: skip
    settings = {
        "method": method.name,
        "model_dir": str(model_dir),
        "target_data_dir": str(target_data_dir),
        "positive_inputs_dir": str(positive_inputs_dir),
        "output_dir": str(output_dir),
        "num_runs": num_runs,
        "fraction": fraction,
        "negatives": int(len(negatives.true)),
        "target_labels": [int(x) for x in target_labels],
        "test_data": None if test_data is None else str(test_data),
        "test_accuracy_before": None if before is None else _accuracy(before.correct),
    }
    report = report_dict(runs, settings)
    write_text_atomic(Path(output_dir) / EVALUATE_RESULT_FILENAME, format_holdout(report) + "\n")
    return report
