"""The run folder's file names and formats, read and written here and nowhere else.

A repair run folder holds ``weights.csv`` (localize, then optimize), ``history.csv``,
``summary.json`` and ``repair/model.keras`` (optimize), ``results.json`` (a model measured per
label) and, in a data folder, the ``repair target`` layout (``positive/``, ``negative/<true>/``,
each with ``repair.h5`` and ``labels.json``), and the crops ``utils risk_calculation_tool``
copies (``matched_data/``, ``misrecognition_data/``). Every write is atomic; ``optimize``
commits its whole output set at once (:func:`staged_outputs`).

``weights.csv`` has no header. After ``localize`` its rows are ``layer,i,j,value``; after
``optimize`` they are ``layer,i,j,original,repaired``. ``layer`` is the index in
``model.layers``, ``i`` the kernel row (input neuron), ``j`` the kernel column (output neuron).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from repair.core.files import csv_text, write_json_atomic, write_text_atomic
from repair.core.staging import recover, staged, staging_prefix
from repair.errors import DataFormatError, InputNotFoundError

if TYPE_CHECKING:  # numpy is imported where it is used: the CLI reads the names at startup
    import numpy as np

WEIGHTS_FILENAME = "weights.csv"
HISTORY_FILENAME = "history.csv"
SUMMARY_FILENAME = "summary.json"
REPAIRED_DIRNAME = "repair"
MODEL_FILENAME = "model.keras"
CHECKPOINT_DIRNAME = "checkpoints"  # beside the model `repair train` writes: epoch_NNN.keras
RESULTS_FILENAME = "results.json"
PARETO_FILENAME = "pareto_front.png"
# DRWeightMerge: the misclassification types localize resolved and the weights of each.
DR_TYPES_FILENAME = "dr_types.json"
EVALUATE_RESULT_FILENAME = "result.txt"
# What `evaluate --json` prints, kept beside result.txt so later commands know what was scored.
EVALUATE_REPORT_FILENAME = "evaluate.json"
# `repair drift` with several current sets: one row per set, and its chart.
DRIFT_OVER_TIME_CSV = "drift_over_time.csv"
DRIFT_OVER_TIME_PNG = "drift_over_time.png"
# `repair saliency`: the Grad-CAM maps, and one overlay PNG per input (named by its position).
SALIENCY_FILENAME = "saliency.h5"
OVERLAYS_DIRNAME = "overlays"
# The `repair target` layout inside a data folder.
SPLIT_FILENAME = "repair.h5"
LABELS_FILENAME = "labels.json"
POSITIVE_DIRNAME = "positive"
NEGATIVE_DIRNAME = "negative"
TARGET_HOLDOUT_DIRNAME = "holdout"  # `repair target --holdout`: holdout/<source file name>
# `evaluate --holdout`: run_<k>/data/negative/ (the repair half), run_<k>/data/heldout/.
HOLDOUT_DATA_DIRNAME = "data"
HELDOUT_DIRNAME = "heldout"
# `repair utils risk_calculation_tool`: crops of the matched and of the misrecognised images.
MATCHED_DIRNAME = "matched_data"
MISRECOGNITION_DIRNAME = "misrecognition_data"
HISTORY_HEADER = ("iteration", "best_fitness", "patched", "intact")


def _number(value: float) -> str:
    """Shortest text that reads back to the same float32."""
    import numpy as np

    return repr(float(np.float32(value)))


def write_localized(path: Path, locations: np.ndarray, values: np.ndarray) -> Path:
    """Rows ``layer,i,j,value``; locations (M, 3) int, values (M,) the current weights."""
    rows = [(*map(int, loc), _number(v)) for loc, v in zip(locations, values, strict=True)]
    return write_text_atomic(path, csv_text(rows))


def write_repaired(
    path: Path, locations: np.ndarray, original: np.ndarray, repaired: np.ndarray
) -> Path:
    """Rows ``layer,i,j,original,repaired``; locations (M, 3), original and repaired (M,)."""
    rows = [
        (*map(int, loc), _number(a), _number(b))
        for loc, a, b in zip(locations, original, repaired, strict=True)
    ]
    return write_text_atomic(path, csv_text(rows))


def _index(cell: str) -> int | None:
    """A non-negative integer cell (``6`` or ``6.0``); None for ``6.7``, ``-1``, ``inf``, ``x``."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return int(value) if value.is_integer() and value >= 0 else None


def _finite(cell: str) -> bool:
    import numpy as np

    try:
        return bool(np.isfinite(float(cell)))
    except ValueError:
        return False


def _check_row(row: list[str], number: int, path: Path) -> list[int]:
    where = f"line {number} of {path}"
    if len(row) < 3:
        raise DataFormatError(f"{where} must start with layer,i,j; got {','.join(row)!r}")
    indices = [_index(cell) for cell in row[:3]]
    for name, cell, index in zip(("layer", "i", "j"), row, indices, strict=False):
        if index is None:
            raise DataFormatError(f"{where}: {name} must be a non-negative integer; got {cell!r}")
    for cell in row[3:]:
        if not _finite(cell):
            raise DataFormatError(f"{where}: weight values must be finite numbers; got {cell!r}")
    return indices  # type: ignore[return-value]


def read_locations(path: Path) -> np.ndarray:
    """The (M, 3) int array of ``layer,i,j`` of a weights.csv (value columns checked, unused).

    Refuses, naming the line, what would otherwise be read wrongly: ``6.7`` (not truncated to
    6), ``inf``, text that is not UTF-8.
    """
    import numpy as np

    if not path.is_file():
        raise InputNotFoundError(f"{path} not found: run `repair localize` first")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataFormatError(
            f"{path} is not UTF-8 text (byte {error.start}); expected layer,i,j,value rows"
        ) from None
    locations = [
        _check_row(row, number, path)
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if row
    ]
    if not locations:
        raise DataFormatError(f"{path} lists no weights")
    return np.asarray(locations, dtype=np.int64)


def write_history(path: Path, rows: Sequence[tuple[int, float, int, int]]) -> Path:
    """One row per iteration: iteration, best fitness, patched negatives, intact positives."""
    lines = [HISTORY_HEADER, *((t, repr(float(f)), int(p), int(k)) for t, f, p, k in rows)]
    return write_text_atomic(path, csv_text(lines))


def split_path(folder: Path, option: str) -> Path:
    """``folder/repair.h5``, or a clear error naming ``option``."""
    path = Path(folder) / SPLIT_FILENAME
    if not path.is_file():
        raise InputNotFoundError(
            f"no {SPLIT_FILENAME} in {folder} (given as {option}); use a folder made by "
            "`repair target`, such as outputs/negative/3 or outputs/positive"
        )
    return path


def repaired_model_dir(output_dir: Path) -> Path:
    """Where ``optimize`` saves the repaired model (a folder holding ``model.keras``)."""
    return Path(output_dir) / REPAIRED_DIRNAME


def write_evaluate_report(output_dir: Path, report: dict) -> Path:
    """``evaluate.json``: the report ``repair evaluate --json`` prints."""
    return write_json_atomic(Path(output_dir) / EVALUATE_REPORT_FILENAME, report)


def read_evaluate_report(runs_dir: Path) -> dict | None:
    """The ``evaluate.json`` of an evaluate folder; None where there is none (a sweep folder,
    or one written before evaluate kept it)."""
    path = Path(runs_dir) / EVALUATE_REPORT_FILENAME
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataFormatError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(report, dict):
        raise DataFormatError(f"{path} must hold a JSON object; got {type(report).__name__}")
    return report


def write_summary(output_dir: Path, summary: dict) -> Path:
    """``summary.json`` of an optimize run."""
    return write_json_atomic(Path(output_dir) / SUMMARY_FILENAME, summary)


def read_summary(output_dir: Path) -> dict:
    """The ``summary.json`` an optimize run wrote in ``output_dir`` (after finishing its commit)."""
    summary = read_summary_if_any(output_dir)
    if summary is None:
        path = Path(output_dir) / SUMMARY_FILENAME
        raise InputNotFoundError(f"{path} not found: run `repair optimize` first")
    return summary


def read_summary_if_any(output_dir: Path) -> dict | None:
    """:func:`read_summary`, or None where ``output_dir`` holds no optimize run."""
    recover_staged(Path(output_dir))
    path = Path(output_dir) / SUMMARY_FILENAME
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataFormatError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(summary, dict):
        raise DataFormatError(f"{path} must hold a JSON object; got {type(summary).__name__}")
    return summary


# optimize's output set: written into a hidden staging folder, then committed at once.
OPTIMIZE_COMMAND = "optimize"
STAGING_PREFIX = staging_prefix(OPTIMIZE_COMMAND)


def recover_staged(output_dir: Path) -> None:
    """Finish an optimize output set a killed run had committed; drop one it had not."""
    recover(Path(output_dir), OPTIMIZE_COMMAND)


def staged_outputs(output_dir: Path) -> AbstractContextManager[Path]:
    """A staging folder holding links to ``output_dir``'s files, for optimize's outputs,
    committed into ``output_dir`` as one set (``summary.json`` last; what an earlier optimize
    wrote and this one does not is removed; weights.csv stays localize's); see
    :func:`repair.core.staging.staged`."""
    return staged(
        Path(output_dir),
        OPTIMIZE_COMMAND,
        link_inputs=True,
        borrowed=(WEIGHTS_FILENAME,),
        last=SUMMARY_FILENAME,
    )


# --- the `repair target` layout ---------------------------------------------------------------


def positive_dir(data_dir: Path) -> Path:
    """``data_dir/positive``: every input the model gets right."""
    return Path(data_dir) / POSITIVE_DIRNAME


def negative_dir(data_dir: Path, label: int | None = None) -> Path:
    """``data_dir/negative``, or ``data_dir/negative/<label>`` for one true label."""
    folder = Path(data_dir) / NEGATIVE_DIRNAME
    return folder if label is None else folder / str(label)


def holds_target_layout(folder: Path) -> bool:
    """Whether ``folder`` is a data folder ``repair target`` wrote into (it has ``positive/``)."""
    return positive_dir(folder).is_dir()


def layout_root(target_data_dir: Path) -> Path | None:
    """The data folder whose ``negative/`` holds ``target_data_dir`` (``negative``,
    ``negative/<true>`` or ``negative/<true>/<pred>``); None outside a target layout."""
    folder = Path(target_data_dir).resolve()
    for candidate in (folder, *folder.parents[:2]):
        if candidate.name == NEGATIVE_DIRNAME:
            return candidate.parent
    return None


def positives_beside(target_data_dir: Path) -> Path | None:
    """The ``positive/`` folder ``repair target`` wrote beside the ``negative/`` one holding
    ``target_data_dir``, when it holds a split file; else None."""
    root = layout_root(target_data_dir)
    if root is None or not (positive_dir(root) / SPLIT_FILENAME).is_file():
        return None
    return positive_dir(root)
