"""``repair drift --current A,B,C``: drift over time, each current set against one baseline.

The baseline is embedded once; each set is compared with it exactly as the one-set form does
(:func:`repair.app.drift.compare_set`, same seed), its full outputs written to a subfolder named
after it, and one row per set goes to ``drift_over_time.csv`` beside the chart
``drift_over_time.png``. The whole set of files is committed at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from repair.app.drift import SetComparison, compare_set, embed_baseline
from repair.core.files import csv_text, write_text_atomic
from repair.core.run_files import DRIFT_OVER_TIME_CSV, DRIFT_OVER_TIME_PNG
from repair.core.staging import staged
from repair.drift.report import DriftSettings
from repair.errors import InputNotFoundError

DRIFT_OVER_TIME_COMMAND = "drift_over_time"  # its manifest: .repair-drift_over_time.json
FIELDS = ("statistic", "threshold", "p_value", "drift")


def natural_key(path: Path) -> list[object]:
    """Sort key that puts ``week2`` before ``week10``: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def set_names(paths: Sequence[Path]) -> list[str]:
    """Each set's subfolder name: its file stem, or ``<k>-<stem>`` (k from 1) when stems repeat."""
    stems = [path.stem for path in paths]
    if len(set(stems)) == len(stems):
        return stems
    return [f"{k}-{stem}" for k, stem in enumerate(stems, 1)]


def over_time_columns(methods: Sequence[str]) -> list[str]:
    """``set, path, n``, then per method ``<m>_statistic, _threshold, _p_value, _drift``, then
    ``drift`` (any method)."""
    return ["set", "path", "n", *(f"{m}_{f}" for m in methods for f in FIELDS), "drift"]


def over_time_row(name: str, comparison: SetComparison) -> dict[str, object]:
    """One set's row: the numbers of its drift.json, rounded as there."""
    summary = comparison.summary
    row: dict[str, object] = {
        "set": name,
        "path": summary["current"]["path"],  # type: ignore[index]
        "n": summary["current"]["inputs"],  # type: ignore[index]
    }
    for method, test in summary["methods"].items():  # type: ignore[union-attr]
        row[f"{method}_statistic"] = test["score"]
        row[f"{method}_threshold"] = test["threshold"]
        row[f"{method}_p_value"] = test["p_value"]
        row[f"{method}_drift"] = test["drift"]
    row["drift"] = summary["drift"]
    return row


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return repr(value) if isinstance(value, float) else value


@dataclass
class DriftOverTime:
    """Per set (in the order given) its name, comparison and row; the files written."""

    names: list[str]
    comparisons: list[SetComparison]
    rows: list[dict[str, object]]
    files: list[Path]


def run_drift_over_time(
    *,
    model_dir: Path,
    baseline: Path,
    currents: Sequence[Path],
    layer: int | None = None,
    settings: DriftSettings = DriftSettings(),  # noqa: B008 (frozen, so shared safely)
    output_dir: Path = Path("drift"),
    batch_size: int = 256,
    mlflow_uri: str | None = None,
) -> DriftOverTime:
    """Compare each of ``currents`` with ``baseline`` in the order given; write each set's
    one-set outputs under ``output_dir/<set>/`` and drift_over_time.csv and .png. With
    ``mlflow_uri``, one MLflow run: each set's numbers are one step (in the order given)."""
    from repair.app.drift import settings_params
    from repair.app.tracking import command_run

    for path in currents:  # before any work or folder: a typo in week 3 fails at once
        if not Path(path).is_file():
            raise InputNotFoundError(f"data file not found: {path}")
    params = {
        **settings_params(settings),
        "model_dir": model_dir,
        "baseline": baseline,
        "current": ",".join(map(str, currents)),
        "layer": layer,
        "batch_size": batch_size,
    }
    with command_run(mlflow_uri, "drift", params) as tracked:
        result = _compare_sets(
            model_dir, baseline, currents, layer, settings, output_dir, batch_size
        )
        tracked.log_report({"sets": [c.summary for c in result.comparisons]})
        tracked.log_files(
            [*result.files, *(output_dir / name for name in result.names)], root=output_dir
        )
    return result


def _compare_sets(  # noqa: PLR0913
    model_dir: Path,
    baseline: Path,
    currents: Sequence[Path],
    layer: int | None,
    settings: DriftSettings,
    output_dir: Path,
    batch_size: int,
) -> DriftOverTime:
    """The work of :func:`run_drift_over_time`, committed as one set of files."""
    from repair.core.model import load_model
    from repair.reports import save_png
    from repair.reports.drift import drift_over_time_figure

    model = load_model(model_dir)
    index, embedded = embed_baseline(model, baseline, layer, batch_size)
    names = set_names(currents)
    comparisons: list[SetComparison] = []
    with staged(output_dir, DRIFT_OVER_TIME_COMMAND, last=DRIFT_OVER_TIME_CSV) as stage:
        for name, current in zip(names, currents, strict=True):
            comparison = compare_set(
                model,
                embedded,
                current,
                model_dir=model_dir,
                baseline_path=baseline,
                index=index,
                layer=layer,
                settings=settings,
                output_dir=stage / name,
                batch_size=batch_size,
                inside_stage=True,
            )
            comparisons.append(comparison)
        rows = [over_time_row(n, c) for n, c in zip(names, comparisons, strict=True)]
        columns = over_time_columns(settings.methods)
        table = [columns, *([_cell(row[c]) for c in columns] for row in rows)]
        title = f"Drift against {baseline.name}, input of layer {index}"
        save_png(drift_over_time_figure(rows, settings.methods, title), stage / DRIFT_OVER_TIME_PNG)
        write_text_atomic(stage / DRIFT_OVER_TIME_CSV, csv_text(table))
    for name, comparison in zip(names, comparisons, strict=True):
        comparison.files = [output_dir / name / path.name for path in comparison.files]
    files = [output_dir / DRIFT_OVER_TIME_CSV, output_dir / DRIFT_OVER_TIME_PNG]
    return DriftOverTime(names, comparisons, rows, files)


def expand_sets(text: str) -> tuple[list[Path], bool]:
    """``--current``'s value as paths, and whether it asks for drift over time: a
    comma-separated list and/or glob patterns (each pattern's matches in natural order), or one
    path (the one-set form). ConfigError when a pattern matches nothing or an item is empty."""
    from glob import glob

    from repair.errors import ConfigError

    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise ConfigError(f"--current needs file paths separated by commas; got {text!r}")
    paths: list[Path] = []
    patterned = False
    for item in items:
        if not any(char in item for char in "*?["):
            paths.append(Path(item))
            continue
        patterned = True
        matches = sorted((Path(m) for m in glob(item) if Path(m).is_file()), key=natural_key)
        if not matches:
            raise ConfigError(f"--current pattern {item!r} matches no file")
        paths += matches
    return paths, patterned or len(paths) > 1
