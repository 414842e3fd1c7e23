"""``repair drift`` as a keyword-only function: two split files in, drift.json, the label and
cluster tables and drift.png out (all written atomically), plus what to repair next.

The statistics are computed by :func:`compare_embeddings` on arrays; this module only loads
the model, embeds both splits and writes files.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from repair.core.files import csv_text, write_json_atomic, write_text_atomic
from repair.drift.classifier import classifier_drift
from repair.drift.cluster import ClusterRow, cluster_drift
from repair.drift.labels import LabelRow, label_rows, ranked
from repair.drift.mmd import MAX_DIM, mmd_drift, pca_projector
from repair.drift.prediction import prediction_drift
from repair.drift.stats import DriftTest
from repair.errors import ConfigError

METHODS = ("cluster", "classifier", "mmd", "prediction")
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


def parse_methods(text: str | Sequence[str]) -> tuple[str, ...]:
    """``'cluster,mmd'`` -> ``('cluster', 'mmd')`` in the canonical order; ConfigError on an
    unknown or missing name."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in METHODS]
    if unknown or not names:
        raise ConfigError(
            f"--methods takes a comma-separated subset of {','.join(METHODS)}; "
            f"got {','.join(names) if names else 'nothing'}"
        )
    return tuple(m for m in METHODS if m in names)


@dataclass(frozen=True)
class DriftSettings:
    """The options of a drift run, checked once."""

    methods: tuple[str, ...] = METHODS
    clusters: int = 20
    permutations: int = 500
    random_state: int = 0

    def __post_init__(self) -> None:
        parse_methods(self.methods)
        if self.clusters < 2:
            raise ConfigError(f"--clusters must be at least 2; got {self.clusters}")
        if self.permutations < 1:
            raise ConfigError(f"--permutations must be a positive integer; got {self.permutations}")


@dataclass
class DriftReport:
    """The outcome of comparing two sets' embeddings (no file names, no model)."""

    tests: dict[str, DriftTest]
    labels: list[LabelRow]
    clusters: list[ClusterRow] | None
    class_names: tuple[str, ...]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def drift(self) -> bool:
        return any(test.drift for test in self.tests.values())

    @property
    def drifted_labels(self) -> list[int]:
        return [row.label for row in self.labels if row.drift]

    def suggestions(self) -> list[LabelRow]:
        return ranked(self.labels)


def _timed(timings: dict[str, float], name: str, call):  # noqa: ANN001, ANN202
    start = time.perf_counter()
    result = call()
    timings[name] = round(time.perf_counter() - start, 3)
    return result


def compare_embeddings(
    baseline: np.ndarray,
    current: np.ndarray,
    *,
    baseline_true: np.ndarray,
    baseline_predicted: np.ndarray,
    current_true: np.ndarray,
    current_predicted: np.ndarray,
    num_classes: int,
    class_names: Sequence[str] | None = None,
    settings: DriftSettings = DriftSettings(),  # noqa: B008 (frozen, so shared safely)
) -> DriftReport:
    """Every method of ``settings`` and the per-label table for embeddings (n, d) and (m, d)."""
    if len(baseline) <= settings.clusters and "cluster" in settings.methods:
        raise ConfigError(
            f"--clusters must be smaller than the baseline's {len(baseline)} inputs; "
            f"got {settings.clusters}"
        )
    names = tuple(class_names or ()) or tuple(str(k) for k in range(num_classes))
    seed, perms = settings.random_state, settings.permutations
    project = pca_projector(baseline, MAX_DIM, seed)
    timings: dict[str, float] = {}
    tests: dict[str, DriftTest] = {}
    clusters = None
    calls = {
        "classifier": lambda: classifier_drift(baseline, current, permutations=perms, seed=seed),
        "mmd": lambda: mmd_drift(baseline, current, permutations=perms, seed=seed, project=project),
        "prediction": lambda: prediction_drift(
            baseline_predicted, current_predicted, num_classes, permutations=perms, seed=seed
        ),
    }
    for method in settings.methods:
        if method == "cluster":
            tests[method], clusters = _timed(
                timings,
                method,
                lambda: cluster_drift(
                    baseline,
                    current,
                    clusters=settings.clusters,
                    permutations=perms,
                    seed=seed,
                    baseline_labels=baseline_true,
                    baseline_wrong=baseline_true != baseline_predicted,
                    current_wrong=current_true != current_predicted,
                ),
            )
        else:
            tests[method] = _timed(timings, method, calls[method])
    labels = _timed(
        timings,
        "labels",
        lambda: label_rows(
            baseline,
            current,
            baseline_true=baseline_true,
            baseline_predicted=baseline_predicted,
            current_true=current_true,
            current_predicted=current_predicted,
            class_names=names,
            permutations=perms,
            seed=seed,
            project=project,
        ),
    )
    return DriftReport(tests, labels, clusters, names, timings)


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
    negatives = data_dir / "negative" / str(label)
    q = shlex.quote
    layer = f" --target_layer={target_layer}" if target_layer is not None else ""
    return [
        f"repair target --model_dir={q(str(model_dir))} --data_dir={q(str(data_dir))} "
        f"--target_data={q(current.name)}",
        f"repair localize --method=Arachne --model_dir={q(str(model_dir))} "
        f"--target_data_dir={q(str(negatives))}{layer}",
        f"repair optimize --method=Arachne --model_dir={q(str(model_dir))} "
        f"--target_data_dir={q(str(negatives))} "
        f"--positive_inputs_dir={q(str(data_dir / 'positive'))}",
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
) -> DriftRun:
    """Embed ``baseline`` and ``current`` at the input of the layer Arachne would repair, compare
    them and write drift.json, drift_labels.csv, drift_clusters.csv and drift.png."""
    from repair.core.model import load_model
    from repair.drift.embeddings import embed_split, embedding_layer
    from repair.reports import save_png
    from repair.reports.drift import drift_figure

    model = load_model(model_dir)
    index = embedding_layer(model, layer)
    start = time.perf_counter()
    a = embed_split(model, baseline, index, batch_size, "embed baseline")
    b = embed_split(model, current, index, batch_size, "embed current")
    if a.info.num_classes != b.info.num_classes:
        raise ConfigError(
            f"{baseline} has {a.info.num_classes} classes and {current} "
            f"{b.info.num_classes}; drift compares splits of one dataset"
        )
    embed_seconds = round(time.perf_counter() - start, 3)
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
        baseline=baseline,
        current=current,
        layer=layer_info,
        sizes=(len(a.true), len(b.true)),
        settings=settings,
    )
    files = [
        write_json_atomic(output_dir / DRIFT_JSON, summary),
        write_text_atomic(output_dir / LABELS_CSV, labels_csv(report.labels)),
    ]
    if report.clusters is not None:
        text = clusters_csv(report.clusters, report.class_names)
        files.append(write_text_atomic(output_dir / CLUSTERS_CSV, text))
    title = f"{current.name} vs {baseline.name}, input of layer {index} ({layer_info['name']})"
    files.append(
        save_png(drift_figure(report.clusters, report.labels, title), output_dir / CHART_PNG)
    )
    top = report.suggestions()
    commands = (
        suggested_commands(model_dir, current, top[0].label, None if layer is None else index)
        if top
        else []
    )
    negatives = None
    if write_negatives is not None:
        negatives = write_drifted_negatives(model, current, write_negatives, report, b, batch_size)
    return DriftRun(report, summary, files, commands, negatives)


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
