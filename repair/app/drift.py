"""``repair drift`` as a keyword-only function: compare two splits, write the drift files.

Two split files in; drift.json, the label and cluster tables and drift.png out (one set,
committed at once), plus what to repair next.

The statistics are computed on arrays by :func:`repair.drift.report.compare_embeddings`; this
module loads the model, embeds both splits and writes files. TensorFlow is imported inside.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repair.core.files import csv_text, write_json_atomic, write_text_atomic
from repair.core.run_files import holds_target_layout, negative_dir, positive_dir
from repair.core.staging import staged
from repair.drift.cluster import ClusterRow
from repair.drift.labels import LabelRow
from repair.drift.report import DriftReport, DriftSettings, compare_embeddings
from repair.errors import DataFormatError

DRIFT_COMMAND = "drift"
DRIFT_JSON = "drift.json"
LABELS_CSV = "drift_labels.csv"
CLUSTERS_CSV = "drift_clusters.csv"
CHART_PNG = "drift.png"
LABEL_COLUMNS = (
    "label",
    "name",
    "baseline_count",
    "baseline_share",
    "current_count",
    "current_share",
    "share_change",
    "drift_score",
    "drift_p_value",
    "drift",
    "baseline_accuracy",
    "current_accuracy",
    "accuracy_change",
    "priority",
)
CLUSTER_COLUMNS = (
    "cluster",
    "baseline_count",
    "baseline_share",
    "current_count",
    "current_share",
    "share_change",
    "majority_label",
    "majority_name",
    "majority_purity",
    "baseline_error_rate",
    "current_error_rate",
)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def labels_csv(rows: Sequence[LabelRow]) -> str:
    table = [LABEL_COLUMNS]
    table += [[_cell(row.to_dict()[c]) for c in LABEL_COLUMNS] for row in rows]
    return csv_text(table)


def clusters_csv(rows: Sequence[ClusterRow], class_names: Sequence[str]) -> str:
    table = [CLUSTER_COLUMNS]
    for row in rows:
        values = {**row.to_dict(), "majority_name": class_names[row.majority_label]}
        table.append([_cell(values[c]) for c in CLUSTER_COLUMNS])
    return csv_text(table)


def suggested_commands(
    model_dir: Path, current: Path, label: int, target_layer: int | None
) -> list[str]:
    """The target / localize / optimize commands that repair ``label`` on the current set."""
    data_dir = current.parent
    negatives = negative_dir(data_dir, label)
    q = shlex.quote
    layer = f" --target_layer={target_layer}" if target_layer is not None else ""
    return [
        f"repair target --model_dir={q(str(model_dir))} --data_dir={q(str(data_dir))} "
        f"--target_data={q(current.name)}",
        f"repair localize --method=Arachne --model_dir={q(str(model_dir))} "
        f"--target_data_dir={q(str(negatives))}{layer}",
        f"repair optimize --method=Arachne --model_dir={q(str(model_dir))} "
        f"--target_data_dir={q(str(negatives))} "
        f"--positive_inputs_dir={q(str(positive_dir(data_dir)))}",
    ]


@dataclass
class DriftRun:
    """What ``repair drift`` did: the report, the JSON it wrote, its files and suggestions."""

    report: DriftReport
    summary: dict[str, object]
    files: list[Path]
    commands: list[str]
    negatives: dict[int, int] | None = None


def _summary(
    report: DriftReport,
    *,
    model_dir: Path,
    baseline: Path,
    current: Path,
    layer: dict[str, object],
    sizes: tuple[int, int],
    settings: DriftSettings,
) -> dict[str, object]:
    top = report.suggestions()
    return {
        "model": str(model_dir),
        "baseline": {"path": str(baseline), "inputs": sizes[0]},
        "current": {"path": str(current), "inputs": sizes[1]},
        "layer": layer,
        "random_state": settings.random_state,
        "drift": report.drift,
        "drifted_methods": [name for name, test in report.tests.items() if test.drift],
        "methods": {name: test.to_dict() for name, test in report.tests.items()},
        "drifted_labels": report.drifted_labels,
        "repair_next": [{"label": r.label, "name": r.name, "priority": r.priority} for r in top],
        "seconds": report.timings,
    }


@dataclass
class SetComparison:
    """One current set against the embedded baseline: the report, its summary, the files written
    and the current set's embedding."""

    report: DriftReport
    summary: dict[str, object]
    files: list[Path]
    embedded: object  # a repair.drift.embeddings.Embedded


def compare_set(  # noqa: PLR0913
    model,  # noqa: ANN001 (a keras.Model)
    baseline,  # noqa: ANN001 (the baseline's Embedded)
    current: Path,
    *,
    model_dir: Path,
    baseline_path: Path,
    index: int,
    layer: int | None,
    settings: DriftSettings,
    output_dir: Path,
    batch_size: int,
    baseline_seconds: float = 0.0,
    inside_stage: bool = False,
) -> SetComparison:
    """Embed ``current``, compare it with the embedded ``baseline`` and write drift.json, the
    tables and drift.png into ``output_dir``; the summary's embed time adds
    ``baseline_seconds``. ``inside_stage``: ``output_dir`` lies in a caller's staging folder,
    which commits it, so the files are written there directly."""
    from repair.drift.embeddings import embed_split

    start = time.perf_counter()
    b = embed_split(model, current, index, batch_size, f"embed {current.name}")
    a = baseline
    if a.info.num_classes != b.info.num_classes:
        raise DataFormatError(
            f"{baseline_path} has {a.info.num_classes} classes and {current} "
            f"{b.info.num_classes}; drift compares splits of one dataset"
        )
    embed_seconds = round(baseline_seconds + time.perf_counter() - start, 3)
    report = compare_embeddings(
        a.features,
        b.features,
        baseline_true=a.true,
        baseline_predicted=a.predicted,
        current_true=b.true,
        current_predicted=b.predicted,
        num_classes=a.info.num_classes,
        class_names=a.info.class_names,
        settings=settings,
    )
    report.timings = {"embed": embed_seconds, **report.timings}
    layer_info = {
        "index": index,
        "name": model.layers[index].name,
        "dimensions": int(a.features.shape[1]),
        "default": layer is None,
    }
    summary = _summary(
        report,
        model_dir=model_dir,
        baseline=baseline_path,
        current=current,
        layer=layer_info,
        sizes=(len(a.true), len(b.true)),
        settings=settings,
    )
    title = f"{current.name} vs {baseline_path.name}, input of layer {index} ({layer_info['name']})"
    files = write_outputs(output_dir, report, summary, title, inside_stage=inside_stage)
    return SetComparison(report, summary, files, b)


def embed_baseline(model, baseline: Path, layer: int | None, batch_size: int):  # noqa: ANN001, ANN201
    """The embedding layer's index and the baseline's Embedded."""
    from repair.drift.embeddings import embed_split, embedding_layer

    index = embedding_layer(model, layer)
    return index, embed_split(model, baseline, index, batch_size, "embed baseline")


def settings_params(settings: DriftSettings) -> dict[str, object]:
    """The drift settings as MLflow parameters."""
    return {
        "methods": ",".join(settings.methods),
        "clusters": settings.clusters,
        "permutations": settings.permutations,
        "random_state": settings.random_state,
    }


def run_drift(
    *,
    model_dir: Path,
    baseline: Path,
    current: Path,
    layer: int | None = None,
    settings: DriftSettings = DriftSettings(),  # noqa: B008 (frozen, so shared safely)
    output_dir: Path = Path("drift"),
    batch_size: int = 256,
    write_negatives: Path | None = None,
    mlflow_uri: str | None = None,
) -> DriftRun:
    """Embed ``baseline`` and ``current`` at the input of the layer Arachne would repair, compare
    them and write drift.json, drift_labels.csv, drift_clusters.csv and drift.png (logged to
    MLflow at ``mlflow_uri`` when given)."""
    from repair.app.tracking import command_run
    from repair.core.model import load_model

    if write_negatives is not None:
        check_negatives_dir(write_negatives)
    params = {
        **settings_params(settings),
        "model_dir": model_dir,
        "baseline": baseline,
        "current": current,
        "layer": layer,
        "batch_size": batch_size,
    }
    with command_run(mlflow_uri, "drift", params) as tracked:
        model = load_model(model_dir)
        start = time.perf_counter()
        index, a = embed_baseline(model, baseline, layer, batch_size)
        one = compare_set(
            model,
            a,
            current,
            model_dir=model_dir,
            baseline_path=baseline,
            index=index,
            layer=layer,
            settings=settings,
            output_dir=output_dir,
            batch_size=batch_size,
            baseline_seconds=time.perf_counter() - start,
        )
        report = one.report
        top = report.suggestions()
        commands = (
            suggested_commands(model_dir, current, top[0].label, None if layer is None else index)
            if top
            else []
        )
        negatives = None
        if write_negatives is not None:
            negatives = write_drifted_negatives(
                model, current, write_negatives, report, one.embedded, batch_size
            )
        tracked.log_report(one.summary)
        tracked.log_files(one.files, root=output_dir)
        return DriftRun(report, one.summary, one.files, commands, negatives)


def write_drifted_negatives(  # noqa: PLR0913
    model,  # noqa: ANN001 (a keras.Model)
    current: Path,
    output_dir: Path,
    report: DriftReport,
    embedded,  # noqa: ANN001 (the current set's Embedded)
    batch_size: int,
) -> dict[int, int]:
    """Write the current set's misclassified inputs of the drifted labels in ``repair target``'s
    layout under ``output_dir``; returns label -> count written ({} when there are none)."""
    from repair.core.split import split_positive_negative

    labels = np.array(report.drifted_labels, dtype=np.int64)
    if not (embedded.wrong & np.isin(embedded.true, labels)).any():
        return {}

    def keep(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        return (true != predicted) & np.isin(true, labels)

    summary = split_positive_negative(model, current, output_dir, batch_size, keep=keep)
    return {label: summary.negative_count(label) for label in sorted(summary.negatives)}


def write_outputs(
    output_dir: Path,
    report: DriftReport,
    summary: dict[str, object],
    title: str,
    *,
    inside_stage: bool = False,
) -> list[Path]:
    """Write drift.json, the CSV tables and drift.png into ``output_dir`` as one set (an
    interrupted run leaves the previous set whole; a drift_clusters.csv the last run wrote goes
    when the cluster method did not run this time). ``inside_stage``: ``output_dir`` is in a
    caller's staging folder, which commits the set, so the files go there directly."""
    if inside_stage:
        return _write_set(output_dir, report, summary, title)
    with staged(output_dir, DRIFT_COMMAND, last=DRIFT_JSON) as stage:
        names = [path.name for path in _write_set(stage, report, summary, title)]
    return [output_dir / name for name in names]


def _write_set(
    folder: Path, report: DriftReport, summary: dict[str, object], title: str
) -> list[Path]:
    from repair.reports import save_png
    from repair.reports.drift import drift_figure

    folder.mkdir(parents=True, exist_ok=True)
    """drift.json, the tables and drift.png written into ``folder``; returns them in that order
    (drift.json is written last, so it marks a finished set)."""
    tables = [write_text_atomic(folder / LABELS_CSV, labels_csv(report.labels))]
    if report.clusters is not None:
        text = clusters_csv(report.clusters, report.class_names)
        tables.append(write_text_atomic(folder / CLUSTERS_CSV, text))
    chart = save_png(drift_figure(report.clusters, report.labels, title), folder / CHART_PNG)
    return [write_json_atomic(folder / DRIFT_JSON, summary), *tables, chart]


def check_negatives_dir(folder: Path) -> None:
    """Refuse a folder holding a whole ``repair target`` layout: writing the negatives there
    would replace its positives, which ``optimize`` needs."""
    if holds_target_layout(folder):
        raise DataFormatError(
            f"{folder} holds repair target's positive/ folder; --write_negatives would replace "
            "that layout: name another folder"
        )
