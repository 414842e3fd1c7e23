"""Compare two sets' embeddings with every chosen method and the per-label view.

Arrays in, a :class:`DriftReport` out. ``repair drift`` (:mod:`repair.app.drift`) adds the
files.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from repair.drift.classifier import classifier_drift
from repair.drift.cluster import ClusterRow, cluster_drift
from repair.drift.labels import LabelRow, label_rows, ranked
from repair.drift.mmd import MAX_DIM, mmd_drift, pca_projector
from repair.drift.prediction import prediction_drift
from repair.drift.stats import DriftTest
from repair.errors import ConfigError

METHODS = ("cluster", "classifier", "mmd", "prediction")


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
