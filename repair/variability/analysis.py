"""The parts of ``repair variability``: find the models, predict, build the report's rows.

Reads models and the split and computes with :mod:`repair.variability.matrix`; the command
itself (:func:`repair.app.variability.variability`) writes ``variability.json``,
``per_input.csv``, ``unstable/repair.h5`` and draws ``variability.png``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from repair.core.run_files import MODEL_FILENAME, REPAIRED_DIRNAME, SPLIT_FILENAME
from repair.errors import DataFormatError, InputNotFoundError
from repair.variability import matrix

REPORT_FILENAME = "variability.json"
PER_INPUT_FILENAME = "per_input.csv"
UNSTABLE_DIRNAME = "unstable"
CHART_FILENAME = "variability.png"
# run_<k>/ (evaluate) and label_*/chunk_*/seed_*/ (sweep): every repaired model at any depth.
RUN_MODEL_GLOB = f"**/{REPAIRED_DIRNAME}/{MODEL_FILENAME}"


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def find_run_models(runs_dir: Path) -> list[Path]:
    """The repaired models under ``runs_dir`` (``*/repair/model.keras`` at any depth), in
    natural order (run_2 before run_10)."""
    found = sorted(Path(runs_dir).glob(RUN_MODEL_GLOB), key=_natural_key)
    if not found:
        raise InputNotFoundError(
            f"no repaired models (*/repair/model.keras) under {runs_dir}; give the folder "
            "`repair evaluate` or `repair sweep` wrote"
        )
    return found


def _summary(run_model: Path) -> dict[str, Any]:
    from repair.core.run_files import read_summary

    return read_summary(run_model.parent.parent)


def runs_origin(run_models: Sequence[Path]) -> tuple[Path, np.ndarray | None]:
    """The model every run repaired (from its summary.json) and the labels of the negatives
    they targeted (None when the target files are gone: every mistake then counts)."""
    summaries = [_summary(model) for model in run_models]
    origins = {str(s.get("model_dir")) for s in summaries}
    if len(origins) != 1 or "None" in origins:
        raise DataFormatError(
            f"the runs repaired different models ({', '.join(sorted(origins))}); give a folder "
            "whose runs share one, or name it with --original_model_dir"
        )
    labels = []
    for summary in summaries:
        target = Path(str(summary.get("target_data_dir"))) / SPLIT_FILENAME
        if not target.is_file():
            return Path(origins.pop()), None
        from repair.core.data import SplitReader

        with SplitReader(target) as reader:
            labels.append(np.unique(reader.labels()))
    return Path(origins.pop()), np.unique(np.concatenate(labels))


def predict_all(
    model_dirs: Sequence[Path], split: Path, batch_size: int
) -> tuple[Any, np.ndarray, np.ndarray]:
    """The split's header, its true labels (n,) and every model's predictions (K, n)."""
    from tqdm import tqdm

    from repair.core.model import predict_file

    rows, info, true = [], None, None
    for model_dir in tqdm(model_dirs, desc="models", unit="model", leave=False):
        info, predictions = predict_file(model_dir, split, batch_size, str(model_dir)[-30:])
        true = predictions.true
        rows.append(predictions.predicted)
    return info, true, np.stack(rows)


def per_input_rows(
    result: matrix.PerInput, true: np.ndarray, ids: np.ndarray | None, k: int
) -> list[list[object]]:
    header = [
        "position",
        "image_id",
        "label",
        "correct",
        "models",
        "majority",
        "majority_share",
        "disagreement",
    ]
    rows: list[list[object]] = [header]
    for i in result.order:
        rows.append([
            int(i), "" if ids is None else ids[i], int(true[i]), int(result.correct_count[i]), k,
            int(result.majority[i]), round(float(result.majority_share[i]), 4),
            round(float(result.disagreement[i]), 4),
        ])  # fmt: skip
    return rows


def write_subset(split: Path, positions: np.ndarray, output: Path) -> Path:
    """The inputs at ``positions`` of ``split`` as the split file ``output`` (ids, attribute
    ids and class names kept; inputs of a split without ids are named ``<stem>_<position>``)."""
    from repair.core.data import SplitReader, write_split

    with SplitReader(split) as reader:
        batch = reader.read_indices(positions)
        ids = batch.image_ids
        if ids is None:  # name each input by its position, so it can be found again
            ids = np.array([f"{split.stem}_{p}" for p in positions], dtype=object)
        return write_split(
            output, batch.images, batch.labels, reader.info.num_classes,
            reader.info.class_names, ids, batch.attribute_ids,
        )  # fmt: skip


@dataclass(frozen=True)
class Measured:
    """K models on one split: the report (variability.json), the per_input.csv rows and the
    positions of the unstable inputs (right in some models, not all)."""

    report: dict[str, Any]
    per_input: list[list[object]]
    unstable: np.ndarray


def measure_variability(
    *,
    split: Path,
    model_dirs: Sequence[Path] | None = None,
    runs_dir: Path | None = None,
    original_model_dir: Path | None = None,
    batch_size: int = 256,
) -> Measured:
    """Predict K models (``model_dirs``) or the repaired models of ``runs_dir`` on ``split``
    and measure how they vary; for runs, also what they fixed and broke against the original."""
    target_labels = None
    if runs_dir is not None:
        model_dirs = find_run_models(runs_dir)
        origin, target_labels = runs_origin(model_dirs)
        original_model_dir = original_model_dir or origin
    if not model_dirs:
        raise DataFormatError("give at least one model (--model_dirs) or a runs folder")
    info, true, predictions = predict_all(list(model_dirs), split, batch_size)
    correct = matrix.correctness(predictions, true)
    k = len(model_dirs)
    report: dict[str, Any] = {
        "K": k,
        "models": [str(m) for m in model_dirs],
        "split": str(split),
        "n": int(len(true)),
        "overall": matrix.accuracy_spread(correct, "overall").to_dict(),
        "labels": [
            {"label": label, **row.to_dict()}
            for label, row in matrix.label_spreads(correct, true, info.class_names)
        ],
        "mean_pairwise_disagreement": round(
            100.0 * matrix.mean_pairwise_disagreement(predictions), 4
        ),
    }
    if runs_dir is not None:
        report["runs"] = runs_part(
            original_model_dir, split, batch_size, true, correct, target_labels
        )
    unstable = np.flatnonzero(matrix.unstable_mask(correct))
    report["unstable"] = int(len(unstable))
    rows = per_input_rows(matrix.per_input(predictions, true), true, split_ids(split), k)
    return Measured(report, rows, unstable)


def split_ids(split: Path) -> np.ndarray | None:
    """The image ids (n,) of a split without reading its images; None when it has none."""
    import h5py

    from repair.core.data.format import IMAGE_IDS, decode_strings

    with h5py.File(split, "r") as file:
        return decode_strings(file[IMAGE_IDS][...]) if IMAGE_IDS in file else None


def runs_part(
    original_model_dir: Path,
    split: Path,
    batch_size: int,
    true: np.ndarray,
    correct: np.ndarray,
    target_labels: np.ndarray | None,
) -> dict[str, Any]:
    from repair.core.model import predict_file

    _, original = predict_file(original_model_dir, split, batch_size, "original model")
    negatives = ~original.correct
    if target_labels is not None:
        negatives &= np.isin(true, target_labels)
    invariants = matrix.run_invariants(original.correct, correct, negatives)
    return {
        "original_model": str(original_model_dir),
        "original_accuracy": round(100.0 * float(np.mean(original.correct)), 4),
        "target_labels": None if target_labels is None else [int(x) for x in target_labels],
        **invariants.to_dict(),
    }
