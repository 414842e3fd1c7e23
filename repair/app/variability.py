"""``variability`` as a keyword-only function: K models on one split, and the files written.

:mod:`repair.variability.analysis` measures; this writes ``variability.json``,
``per_input.csv``, ``unstable/repair.h5`` (when some inputs are unstable) and draws
``variability.png`` with :mod:`repair.reports.variability`, committed as one set (a rerun
with no unstable input removes the last run's ``unstable/repair.h5``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VARIABILITY_COMMAND = "variability"


@dataclass(frozen=True)
class VariabilityResult:
    """The report (what variability.json holds) and the files written, in order."""

    report: dict[str, Any]
    written: tuple[Path, ...]


DEFAULT_SPLIT = "test.h5"


def measured_split(
    data_dir: Path, target_data: str | None, runs_dir: Path | None
) -> tuple[Path, str]:
    """The split to measure on and why: ``target_data`` when given; for an evaluate folder
    that recorded the split its runs were scored on (``evaluate.json``), that file's name in
    ``data_dir``; else ``test.h5``."""
    from repair.core.run_files import EVALUATE_REPORT_FILENAME, read_evaluate_report

    if target_data is not None:
        return Path(data_dir) / target_data, "--target_data"
    recorded = None if runs_dir is None else read_evaluate_report(runs_dir)
    scored = None if recorded is None else recorded.get("scored_split")
    if scored:
        why = f"the split the runs were scored on, per {Path(runs_dir) / EVALUATE_REPORT_FILENAME}"
        return Path(data_dir) / Path(str(scored)).name, why
    return Path(data_dir) / DEFAULT_SPLIT, "the default; give --target_data to choose"


def variability(
    *,
    data_dir: Path,
    model_dirs: Sequence[Path] | None = None,
    runs_dir: Path | None = None,
    original_model_dir: Path | None = None,
    target_data: str | None = None,
    output_dir: Path,
    batch_size: int = 256,
    mlflow_uri: str | None = None,
) -> VariabilityResult:
    """Measure K models (``model_dirs``) or the repaired models of ``runs_dir`` on
    ``data_dir/target_data`` (default: :func:`measured_split`); write the outputs into
    ``output_dir`` (and log them to MLflow at ``mlflow_uri`` when given). The report's
    ``split_reason`` says why that split was measured."""
    from repair.app.tracking import command_run
    from repair.core.files import csv_text, write_json_atomic, write_text_atomic
    from repair.core.run_files import SPLIT_FILENAME
    from repair.core.staging import staged
    from repair.reports._figure import save_png
    from repair.reports.variability import label_spread_chart
    from repair.variability.analysis import (
        CHART_FILENAME,
        PER_INPUT_FILENAME,
        REPORT_FILENAME,
        UNSTABLE_DIRNAME,
        measure_variability,
        write_subset,
    )

    split, reason = measured_split(data_dir, target_data, runs_dir)
    params = {"data_dir": data_dir, "target_data": target_data, "split": split,
              "runs_dir": runs_dir, "model_dirs": ",".join(map(str, model_dirs or [])),
              "original_model_dir": original_model_dir, "batch_size": batch_size}  # fmt: skip
    with command_run(mlflow_uri, "variability", params) as tracked:
        measured = measure_variability(
            split=split,
            model_dirs=model_dirs,
            runs_dir=runs_dir,
            original_model_dir=original_model_dir,
            batch_size=batch_size,
        )
        measured.report["split_reason"] = reason
        output_dir = Path(output_dir)
        names = [REPORT_FILENAME, PER_INPUT_FILENAME, CHART_FILENAME]
        with staged(output_dir, VARIABILITY_COMMAND) as stage:
            write_json_atomic(stage / REPORT_FILENAME, measured.report)
            write_text_atomic(stage / PER_INPUT_FILENAME, csv_text(measured.per_input))
            if len(measured.unstable):
                names.insert(2, f"{UNSTABLE_DIRNAME}/{SPLIT_FILENAME}")
                write_subset(split, measured.unstable, stage / UNSTABLE_DIRNAME / SPLIT_FILENAME)
            save_png(label_spread_chart(measured.report), stage / CHART_FILENAME)
        written = [output_dir / name for name in names]
        tracked.log_report(measured.report)
        tracked.log_files(written, root=output_dir)
        return VariabilityResult(measured.report, tuple(written))
