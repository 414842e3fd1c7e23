"""The held-out evaluation protocol (Arachne journal version): is a repair general or lucky?

For each run seed, the target negatives are split at random into a half the repair sees and a
half it never sees, stratified by the label the model predicts for them (so both halves hold
the same kinds of mistakes). A repair that only memorises its inputs fixes the first half and
not the second; the break rate is measured on every positive, not only the sampled ones that
guarded the search. Over runs: mean, sample std and the 95 % t interval of the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from repair.core.stats import Spread, spread
from repair.errors import ConfigError

METRICS = (
    ("repair_rate", "repair rate (repair half)"),
    ("heldout_fixed", "fixed share (held-out half)"),
    ("break_rate", "break rate (all positives)"),
    ("test_change", "test accuracy change"),
    ("test_label_change", "test accuracy change (target labels)"),
)


def check_fraction(fraction: float) -> None:
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"--holdout must be a fraction in (0, 1), like 0.5; got {fraction}")


def split_halves(
    predicted: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions (repair half, held-out half) of ``predicted`` (n,) labels: in each
    predicted-label group, ``fraction`` of the inputs held out (the fractional remainder goes to
    either side at random, so neither side is favoured)."""
    check_fraction(fraction)
    held: list[np.ndarray] = []
    for label in np.unique(predicted):
        group = rng.permutation(np.flatnonzero(predicted == label))
        exact = fraction * len(group)
        count = int(np.floor(exact)) + int(rng.random() < exact - np.floor(exact))
        held.append(group[:count])
    held_out = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
    mask = np.zeros(len(predicted), dtype=bool)
    mask[held_out] = True
    return np.flatnonzero(~mask), held_out


@dataclass(frozen=True)
class HoldoutRun:
    """One run (percent; test values in points, None without test data)."""

    run: int
    seed: int
    repair_size: int
    heldout_size: int
    repair_rate: float
    heldout_fixed: float
    break_rate: float
    test_change: float | None = None
    test_label_change: float | None = None
    wall_time_s: float | None = None


def summarize(runs: Sequence[HoldoutRun]) -> dict[str, Spread | None]:
    """Each metric's spread over ``runs`` (None where no run has it)."""
    return {key: spread([getattr(run, key) for run in runs]) for key, _ in METRICS}


def report_dict(runs: Sequence[HoldoutRun], settings: dict[str, object]) -> dict[str, object]:
    summary = summarize(runs)
    return {
        "protocol": "holdout",
        **settings,
        "runs": [asdict(run) for run in runs],
        "summary": {k: None if v is None else v.to_dict() for k, v in summary.items()},
    }


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_holdout(report: dict[str, object]) -> str:
    """A Markdown table: one row per run, then mean, sample std and the 95 % interval."""
    keys = [key for key, _ in METRICS]
    lines = [
        f"held-out protocol: {report['fraction']:g} of {report['negatives']} negatives held out "
        f"per run, {report['num_runs']} runs, method {report['method']}",
        "| run | seed | " + " | ".join(title for _, title in METRICS) + " |",
        "|---|---|" + "---|" * len(METRICS),
    ]
    for run in report["runs"]:  # type: ignore[attr-defined]
        cells = [_cell(run[key]) for key in keys]
        lines.append(f"| {run['run']} | {run['seed']} | " + " | ".join(cells) + " |")
    summary = report["summary"]
    for label, field in (("mean", "mean"), ("std", "std")):
        cells = [_cell(None if summary[k] is None else summary[k][field]) for k in keys]  # type: ignore[index]
        lines.append(f"| {label} | | " + " | ".join(cells) + " |")
    cells = []
    for key in keys:
        row = summary[key]  # type: ignore[index]
        cells.append(
            "n/a" if row is None or row["low"] is None else f"[{row['low']:.2f}, {row['high']:.2f}]"
        )
    lines.append("| 95% CI | | " + " | ".join(cells) + " |")
    return "\n".join(lines)
