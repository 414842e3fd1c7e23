"""DRWeightMerge's localisation: Arachne's, once per misclassification type, merged.

Each type's negatives (``negative/<true>/<predicted>`` or ``negative/<true>`` of `repair target`)
get Arachne's localisation (top N_g by gradient loss, then the Pareto front with forward
impact); the weight sets are merged as a union in which a weight several types chose (a shared
weight) appears once. ``dr_types.json`` records the resolved types, their weights and which
weights each chose, for ``optimize``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from repair.core.data import SplitInfo, SplitReader
from repair.core.files import write_json_atomic
from repair.core.run_files import DR_TYPES_FILENAME
from repair.core.tf import keras
from repair.errors import DataFormatError, InputNotFoundError
from repair.methods.arachne.config import NUM_GRAD_PER_NEGATIVE
from repair.methods.arachne.localize import choose_weights, objectives_of_layer
from repair.methods.drweightmerge.config import DRLocalizeConfig
from repair.methods.drweightmerge.settings import (
    SETTINGS_FILENAME,
    DRSettings,
    MisType,
    default_settings,
    read_settings,
)


def negative_root(option: str | None, negatives: SplitReader) -> Path:
    """``--negative_root_dir``, or the folder of the negatives' split file."""
    return Path(option) if option is not None else negatives.path.parent


def load_settings(options: DRLocalizeConfig, root: Path, info: SplitInfo) -> DRSettings:
    """The settings of ``--weight_path``, of ``root/dr_setting.json``, or the defaults."""
    names = [info.class_name(k) for k in range(info.num_classes)]
    if options.weight_path is not None:
        return read_settings(Path(options.weight_path), names)
    if (root / SETTINGS_FILENAME).is_file():
        return read_settings(root / SETTINGS_FILENAME, names)
    return default_settings(root, info.num_classes)


def localize_type(
    model: keras.Model, layers: list[int], reader: SplitReader, batch_size: int, num_grad: int
) -> np.ndarray:
    """(M_t, 3) ``layer,i,j``: Arachne's choice over ``layers`` for one type's negatives."""
    objectives = {
        index: objectives_of_layer(model, index, reader.batches(batch_size)) for index in layers
    }
    return choose_weights(model, objectives, num_grad).locations


def merge_locations(found: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The union (M, 3) of the types' locations, in order of first appearance, and the shared
    ones (S, 3): chosen by two types or more, kept once in the union."""
    seen: dict[tuple[int, int, int], int] = {}
    for locations in found:
        for row in {tuple(map(int, row)): None for row in locations}:
            seen[row] = seen.get(row, 0) + 1
    union = np.array(list(seen), dtype=np.int64).reshape(-1, 3)
    shared = np.array([row for row, n in seen.items() if n > 1], dtype=np.int64).reshape(-1, 3)
    return union, shared


def localize_all(
    model: keras.Model,
    settings: DRSettings,
    paths: list[Path],
    layers: list[int],
    batch_size: int,
    num_grad: int | None,
) -> tuple[list[np.ndarray], list[int]]:
    """Each type's locations and its number of negatives."""
    found, sizes = [], []
    for path in paths:
        with SplitReader(path) as reader:
            count = num_grad or NUM_GRAD_PER_NEGATIVE * len(reader)
            found.append(localize_type(model, layers, reader, batch_size, count))
            sizes.append(len(reader))
    return found, sizes


def write_types(
    path: Path, settings: DRSettings, found: list[np.ndarray], sizes: list[int], shared
) -> Path:  # noqa: ANN001
    """``dr_types.json``: the types (key, true, predicted, weight, negatives, weights chosen),
    the label weights of accuracy, and the shared weights."""
    record = {
        "types": [
            {
                "type": kind.key,
                "true": kind.true,
                "predicted": kind.predicted,
                "weight": kind.weight,
                "negatives": size,
                "weights": locations.tolist(),
            }
            for kind, locations, size in zip(settings.types, found, sizes, strict=True)
        ],
        "precisions": {str(label): weight for label, weight in settings.precisions.items()},
        "shared": shared.tolist(),
    }
    return write_json_atomic(path, record)


def read_types(output_dir: Path) -> DRSettings:
    """The settings ``localize`` resolved, from ``output_dir/dr_types.json``."""
    path = output_dir / DR_TYPES_FILENAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        types = tuple(
            MisType(
                int(row["true"]),
                None if row["predicted"] is None else int(row["predicted"]),
                float(row["weight"]),
            )
            for row in record["types"]
        )
        precisions = {int(k): float(v) for k, v in record["precisions"].items()}
    except FileNotFoundError:
        raise InputNotFoundError(
            f"{path} not found: run `repair localize --method=DRWeightMerge` first"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise DataFormatError(f"{path} is not a DRWeightMerge record: {error}") from None
    return DRSettings(types, precisions)
