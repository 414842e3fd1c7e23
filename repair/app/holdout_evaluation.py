"""``repair evaluate --holdout F``: the runs of the held-out protocol, planned as jobs.

The protocol itself is :mod:`repair.variability.holdout`; the jobs are run by
:func:`repair.app.evaluation.run_all` on the chosen executor.

Run ``k`` (seed ``random_state + k``) writes ``<output_dir>/run_<k>/``: ``data/negative/repair.h5``
(the half it repairs), ``data/heldout/repair.h5`` (the half it never sees), and what
``localize`` and ``optimize`` write (``repair/model.keras``, ``summary.json``, ...), so
``repair variability --runs_dir`` reads it like any evaluate folder. The halves are drawn in the
calling process (from the run's seed only); each run is one picklable :class:`HoldoutSpec`,
so it goes to any executor like a plain evaluate run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from repair.app.evaluation import RunSpec, evaluate_run
from repair.core import run_files
from repair.errors import DataFormatError
from repair.variability.holdout import HoldoutRun, check_fraction, report_dict, split_halves


def _accuracy(correct: np.ndarray) -> float:
    return 100.0 * float(np.mean(correct)) if correct.size else float("nan")


@dataclass(frozen=True)
class BaselineOnTest:
    """The original model on the test file: correct (n,) bool, and target (n,) bool, the inputs
    of the target negatives' labels."""

    path: Path
    correct: np.ndarray
    target: np.ndarray


@dataclass(frozen=True)
class HoldoutSpec:
    """One held-out run: the positions of the two halves in ``negatives_file``, and the plain
    run (``run.target_data_dir`` is where the repair half goes)."""

    run: RunSpec
    negatives_file: Path
    repair_part: np.ndarray
    held_part: np.ndarray
    test: BaselineOnTest | None


@dataclass(frozen=True)
class HoldoutPlan:
    """The runs to hand to an executor and what the report needs besides them."""

    specs: list[HoldoutSpec]
    negatives: int
    target_labels: np.ndarray
    test: BaselineOnTest | None


def plan_holdout(
    runs: list[RunSpec], *, fraction: float, test_data: Path | None, batch_size: int
) -> HoldoutPlan:
    """The held-out version of the plain ``runs``: each repairs its own half of the negatives of
    its ``target_data_dir`` (drawn from its seed, stratified by predicted label)."""
    from repair.core.model import predict_file

    check_fraction(fraction)
    first = runs[0]
    negatives_file = run_files.split_path(first.target_data_dir, "--target_data_dir")
    _, negatives = predict_file(first.model_dir, negatives_file, batch_size, "negatives")
    target_labels = np.unique(negatives.true)
    test = None
    if test_data is not None:
        _, before = predict_file(first.model_dir, test_data, batch_size, "test (original)")
        test = BaselineOnTest(Path(test_data), before.correct, np.isin(before.true, target_labels))
    specs = []
    for run in runs:
        repair_part, held_part = split_halves(
            negatives.predicted, fraction, np.random.default_rng(run.seed)
        )
        if not len(repair_part) or not len(held_part):
            raise DataFormatError(
                f"--holdout {fraction:g} of {len(negatives.true)} negatives leaves an empty half"
            )
        data = run.run_dir / run_files.HOLDOUT_DATA_DIRNAME
        halves = replace(run, target_data_dir=run_files.negative_dir(data), reference=None)
        specs.append(HoldoutSpec(halves, negatives_file, repair_part, held_part, test))
    return HoldoutPlan(specs, int(len(negatives.true)), target_labels, test)


def heldout_file(run_dir: Path) -> Path:
    """``run_<k>/data/heldout/repair.h5``: the half run ``k`` never sees."""
    data = Path(run_dir) / run_files.HOLDOUT_DATA_DIRNAME
    return data / run_files.HELDOUT_DIRNAME / run_files.SPLIT_FILENAME


def run_holdout(spec: HoldoutSpec) -> HoldoutRun:
    """Write the run's halves, repair on the first, measure on both (and on the test file)."""
    from repair.core.model import predict_file
    from repair.variability.analysis import write_subset

    run = spec.run
    held_file = write_subset(spec.negatives_file, spec.held_part, heldout_file(run.run_dir))
    write_subset(
        spec.negatives_file, spec.repair_part, run.target_data_dir / run_files.SPLIT_FILENAME
    )
    started = time.perf_counter()
    rates = evaluate_run(run)
    wall = time.perf_counter() - started
    repaired = run_files.repaired_model_dir(run.run_dir)
    _, held = predict_file(repaired, held_file, run.batch_size, "held-out half")
    changes: dict[str, float] = {}
    if spec.test is not None:
        _, after = predict_file(repaired, spec.test.path, run.batch_size, "test (repaired)")
        before, label = spec.test.correct, spec.test.target
        changes = {
            "test_change": _accuracy(after.correct) - _accuracy(before),
            "test_label_change": _accuracy(after.correct[label]) - _accuracy(before[label]),
        }
    return HoldoutRun(
        run.run, rates.seed, len(spec.repair_part), len(spec.held_part), rates.repair_rate,
        _accuracy(held.correct), rates.break_rate, **changes, wall_time_s=round(wall, 3),
    )  # fmt: skip


def holdout_report(
    plan: HoldoutPlan, runs: list[HoldoutRun], settings: dict[str, Any], fraction: float
) -> dict[str, Any]:
    """``evaluate --holdout --json``: the settings, every run and each metric's spread."""
    return report_dict(
        runs,
        {
            **settings,
            "fraction": fraction,
            "negatives": plan.negatives,
            "target_labels": [int(x) for x in plan.target_labels],
            "test_accuracy_before": None if plan.test is None else _accuracy(plan.test.correct),
        },
    )
