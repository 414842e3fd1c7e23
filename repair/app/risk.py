"""``repair utils risk_calculation_tool`` as a keyword-only function.

How often a condition occurs, how often the model misses in it, and their product, the risk:
results.json and copies of the crops.

The reference toolkit's command lines and results.json schema are kept (docs/formats.md,
"Risk calculation"); the ``risk`` entry and the intervals are ours.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from repair.core.run_files import MATCHED_DIRNAME, MISRECOGNITION_DIRNAME, RESULTS_FILENAME
from repair.errors import ConfigError

if TYPE_CHECKING:
    from repair.core.conditions import Condition
from repair.risk.rates import RiskRow

CALC_TARGETS = ("scene_prob", "miss_rate", "scene_prob_and_miss_rate")
RISK_COMMAND = "risk"


@dataclass(frozen=True)
class RiskResult:
    """The response written to results.json, the risk per class (both targets only), the files
    written, and the crops that were not found in the crop folder."""

    response: dict
    rows: tuple[RiskRow, ...]
    class_names: tuple[str, ...]
    results: Path
    copied: int
    missing: tuple[str, ...]


def _check_options(
    calc_target: str,
    label: str | None,
    attributes: Sequence[Condition],
    labels: Path | None,
    model_dir: Path | None,
) -> tuple[bool, bool]:
    """Whether the scene probability and the miss rate are computed; ConfigError for an option
    the target needs and lacks, or one it would ignore."""
    if calc_target not in CALC_TARGETS:
        raise ConfigError(
            f"--calc_target must be one of {', '.join(CALC_TARGETS)}; got {calc_target!r}"
        )
    scene, miss = calc_target != "miss_rate", calc_target != "scene_prob"
    if not scene and (label is not None or attributes):
        raise ConfigError(
            "--label and --attributes select images for the scene probability; --calc_target "
            "miss_rate counts every image (use scene_prob_and_miss_rate)"
        )
    if miss and model_dir is None:
        raise ConfigError(f"--calc_target {calc_target} needs --model_dir (the model to test)")
    return scene, miss


def risk_calculation(
    *,
    calc_target: str,
    h5_dataset_path: Path,
    output_dir: Path,
    scalabel_format_label_path: Path | None = None,
    label: str | None = None,
    attributes: Sequence[Condition] = (),
    model_dir: Path | None = None,
    create_image_subset_output_path: Path | None = None,
    format_json: bool = False,
    batch_size: int = 256,
) -> RiskResult:
    """Count the images of ``h5_dataset_path`` (a split or a folder of them) that match the
    query (``label`` and the conditions ``attributes``, ANDed, on the frames of the label
    files or else on the splits' own per-image keys), test ``model_dir`` on them, and write
    output_dir/results.json; with ``create_image_subset_output_path``, copy the matched crops to
    matched_data/ and the misrecognised ones to misrecognition_data/<true>/<predicted>/."""
    from repair.app import risk_inputs as inputs
    from repair.core.files import make_output_dir, write_text_atomic
    from repair.core.staging import staged
    from repair.risk import rates

    attributes = tuple(attributes)
    labels = scalabel_format_label_path
    scene, miss = _check_options(calc_target, label, attributes, labels, model_dir)
    h5_files = inputs.expand(Path(h5_dataset_path), ".h5", "--h5_dataset_path")
    label_files = (
        inputs.expand(Path(labels), ".json", "--scalabel_format_label_path") if labels else []
    )
    crops = None
    if create_image_subset_output_path is not None:
        crops = inputs.crop_index(Path(create_image_subset_output_path))

    def query_for(info):
        return inputs.make_query(
            info=info,
            label=label,
            conditions=attributes,
            label_paths=label_files,
            label_source=str(labels),
            h5_paths=h5_files,
        )

    found = inputs.scan(
        h5_files, query_for, _predictor(model_dir, batch_size) if miss else None, batch_size
    )
    info = found.info
    names = tuple(info.class_name(k) for k in range(info.num_classes))
    true, predicted = found.labels()
    response: dict = {}
    rows: list[RiskRow] = []
    if scene:
        query = {} if label is None else {"label": str(info.label_index(label))}
        response["query"] = {**query, **{c.key: c.value for c in attributes}}
        response["scene_prob"] = rates.scene_prob_summary(found.total, found.matched)
    if miss:
        confusion = rates.confusion_counts(true, predicted, info.num_classes)
        response["miss_rate"] = rates.miss_rate_summary(confusion)
    if scene and miss:
        rows = rates.risk_rows(found.total, confusion, names)
        response["risk"] = rates.risk_json(rows)

    output_dir = make_output_dir(output_dir)
    with staged(output_dir, RISK_COMMAND, last=RESULTS_FILENAME) as staging:
        copied, missing = 0, []
        if crops is not None:
            copied, missing = _copy(
                found, crops, staging, scene, miss, true, predicted, h5_dataset_path
            )
        text = json.dumps({"response": response}, indent=4 if format_json else None)
        write_text_atomic(staging / RESULTS_FILENAME, text + "\n")
    return RiskResult(
        response, tuple(rows), names, output_dir / RESULTS_FILENAME, copied, tuple(missing)
    )


def _predictor(model_dir: Path | None, batch_size: int):
    """``predict(info, images) -> (n,) labels`` with the model loaded once."""
    from repair.core.model import check_model_matches, load_model, predict_scores

    model = load_model(model_dir)

    def predict(info, images: np.ndarray) -> np.ndarray:
        check_model_matches(model, info)
        return np.argmax(predict_scores(model, images, batch_size), axis=1)

    return predict


def _copy(
    found, crops, staging: Path, scene: bool, miss: bool, true, predicted, source
) -> tuple[int, list[str]]:
    """Copy the crops the reference copies; return how many were copied and the missing names."""
    from repair.app.risk_inputs import copy_crops
    from repair.errors import DataFormatError

    if found.image_ids is None:
        raise DataFormatError(
            f"--create_image_subset_output_path: {source} has no image_ids (the crop names), so "
            "no crop can be found to copy"
        )
    names, targets = [], []
    if scene:
        names += found.image_ids
        targets += [staging / MATCHED_DIRNAME] * len(found.image_ids)
    if miss:
        for row in np.flatnonzero(true != predicted):
            names.append(found.image_ids[row])
            targets.append(staging / MISRECOGNITION_DIRNAME / str(true[row]) / str(predicted[row]))
    missing = copy_crops(names, targets, crops, f"image_ids of {source}")
    return len(names) - len(missing), missing
