"""DRWeightMerge's settings file (``dr_setting.json``): the misclassification types and weights.

The reference toolkit's format: ``target_misclassifications`` ({true: [predicted, ...]}),
``general_misclassifications`` ([true, ...]: every misclassification of that label),
``weights_precisions`` ({label: w}) and ``weights_misclassifications`` ({"true,predicted" or
"true": w}; the reference's misspelling ``weights_mislassifications`` is read too). Labels are
class names or indices; each weight set is normalised to sum 1. Plain Python, no TensorFlow.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from repair.core.run_files import SPLIT_FILENAME
from repair.errors import ConfigError, InputNotFoundError

TARGET = "target_misclassifications"
GENERAL = "general_misclassifications"
PRECISIONS = "weights_precisions"
MISCLASSIFICATIONS = "weights_misclassifications"
MISSPELT = "weights_mislassifications"  # the reference's key, accepted as well
SETTINGS_FILENAME = "dr_setting.json"


@dataclass(frozen=True)
class MisType:
    """One misclassification type: inputs of ``true`` predicted ``predicted`` (None: predicted
    anything else, a general misclassification); ``weight`` normalised over all types."""

    true: int
    predicted: int | None
    weight: float

    @property
    def key(self) -> str:
        """``3,5`` or ``3``: the key of weights_misclassifications, in label indices."""
        return str(self.true) if self.predicted is None else f"{self.true},{self.predicted}"

    def folder(self, negative_root: Path) -> Path:
        """``negative/<true>/<predicted>`` (or ``negative/<true>``) of `repair target`."""
        folder = negative_root / str(self.true)
        return folder if self.predicted is None else folder / str(self.predicted)


@dataclass(frozen=True)
class DRSettings:
    """types: the misclassification types, in the file's order; precisions: label index ->
    normalised weight of its accuracy (labels not named weigh 0)."""

    types: tuple[MisType, ...]
    precisions: dict[int, float]


def _label(value: object, names: list[str], where: str, source: str) -> int:
    """The index of a class name or index; ConfigError naming ``where`` otherwise."""
    text = value if isinstance(value, str) else None
    if text is not None and text.strip() in names:
        return names.index(text.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        index = value
    elif text is not None and text.strip().isdigit():
        index = int(text)
    else:
        index = -1
    if 0 <= index < len(names):
        return index
    shown = ", ".join(f"{k} ({name})" for k, name in enumerate(names[:20]))
    raise ConfigError(
        f"{source}: unknown label {value!r} in {where}; labels: {shown}"
        + (", ..." if len(names) > 20 else "")
    )


def _weights(table: object, key: str, source: str) -> dict[str, float]:
    """``{name: weight}`` checked (numbers >= 0, not all 0) and normalised to sum 1."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {key} must be an object of weights; got {table!r}")
    weights = {}
    for name, weight in table.items():
        number = isinstance(weight, int | float) and not isinstance(weight, bool)
        if not number or not math.isfinite(weight) or weight < 0:
            raise ConfigError(f"{source}: {key}[{name!r}] must be a number >= 0; got {weight!r}")
        weights[str(name)] = float(weight)
    total = math.fsum(weights.values())
    if total == 0:
        raise ConfigError(f"{source}: the weights of {key} sum to 0; give one a positive weight")
    return {name: weight / total for name, weight in weights.items()}


def _required(data: dict, key: str, source: str, kind: type) -> object:
    if key not in data:
        raise ConfigError(f"{source}: required key {key!r} is missing")
    if not isinstance(data[key], kind):
        raise ConfigError(f"{source}: {key} must be a JSON {kind.__name__}; got {data[key]!r}")
    return data[key]


def _targets(table: dict, names: list[str], source: str) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    for true_name, predicted_names in table.items():
        where = f"{TARGET}[{true_name!r}]"
        if not isinstance(predicted_names, list):
            raise ConfigError(f"{source}: {where} must be a list of labels")
        true = _label(true_name, names, TARGET, source)
        for predicted_name in predicted_names:
            predicted = _label(predicted_name, names, where, source)
            if predicted == true:
                raise ConfigError(f"{source}: {where} names its own label {predicted_name!r}")
            if (true, predicted) not in pairs:
                pairs.append((true, predicted))
    return pairs


def _type_key(text: str, names: list[str], source: str) -> tuple[int, int | None]:
    parts = text.split(",") if text.strip() not in names else [text]
    if len(parts) > 2:
        raise ConfigError(f"{source}: {MISCLASSIFICATIONS} key {text!r} is not 'true,predicted'")
    labels = [_label(part, names, MISCLASSIFICATIONS, source) for part in parts]
    return labels[0], labels[1] if len(labels) == 2 else None


def parse_settings(data: object, names: list[str], source: str) -> DRSettings:
    """The settings of a parsed ``dr_setting.json``; ``names``: the class names by index."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must hold a JSON object; got {type(data).__name__}")
    if MISSPELT in data and MISCLASSIFICATIONS not in data:
        data = {**data, MISCLASSIFICATIONS: data[MISSPELT]}
    pairs = _targets(_required(data, TARGET, source, dict), names, source)
    general = []
    for name in _required(data, GENERAL, source, list):
        label = _label(name, names, GENERAL, source)
        general += [] if label in general else [label]
    if not pairs and not general:
        raise ConfigError(f"{source}: {TARGET} and {GENERAL} are both empty: nothing to repair")
    precisions = {}
    for name, weight in _weights(
        _required(data, PRECISIONS, source, dict), PRECISIONS, source
    ).items():
        label = _label(name, names, PRECISIONS, source)
        precisions[label] = precisions.get(label, 0.0) + weight
    known = [*pairs, *((label, None) for label in general)]
    weights = dict.fromkeys(known, 0.0)
    table = _weights(_required(data, MISCLASSIFICATIONS, source, dict), MISCLASSIFICATIONS, source)
    given = set()
    for text, weight in table.items():
        key = _type_key(text, names, source)
        if key not in weights:
            raise ConfigError(
                f"{source}: {MISCLASSIFICATIONS} key {text!r} names no type of {TARGET} "
                f"or {GENERAL}"
            )
        weights[key] += weight
        given.add(key)
    for true, predicted in pairs:  # a general label without a weight weighs 0, as upstream
        if (true, predicted) not in given:
            raise ConfigError(
                f"{source}: {MISCLASSIFICATIONS} has no weight for the target "
                f"'{names[true]},{names[predicted]}'"
            )
    types = tuple(MisType(true, predicted, weights[(true, predicted)]) for true, predicted in known)
    return DRSettings(types, precisions)


def read_settings(path: Path, names: list[str]) -> DRSettings:
    """Parse the settings file at ``path`` (InputNotFoundError if it does not exist)."""
    if not path.is_file():
        raise InputNotFoundError(f"settings file not found: {path} (--weight_path)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path} is not valid JSON: {error}") from None
    return parse_settings(data, names, str(path))


def default_settings(negative_root: Path, num_classes: int) -> DRSettings:
    """Every ``negative/<true>/<predicted>`` of `repair target` a type, all weighed equally, and
    every label's accuracy weighed equally: what DRWeightMerge repairs without a settings file."""
    folders = [path.parent for path in negative_root.glob(f"*/*/{SPLIT_FILENAME}")]
    found = sorted(
        (int(folder.parent.name), int(folder.name))
        for folder in folders
        if folder.name.isdigit() and folder.parent.name.isdigit()
    )
    if not found:
        raise InputNotFoundError(
            f"no negative/<true>/<predicted>/{SPLIT_FILENAME} under {negative_root}: run "
            "`repair target` first (or give --negative_root_dir)"
        )
    types = tuple(MisType(true, predicted, 1.0 / len(found)) for true, predicted in found)
    return DRSettings(types, dict.fromkeys(range(num_classes), 1.0 / num_classes))


def check_folders(settings: DRSettings, negative_root: Path) -> list[Path]:
    """Each type's split file under ``negative_root``; InputNotFoundError naming a missing one."""
    paths = []
    for kind in settings.types:
        path = kind.folder(negative_root) / SPLIT_FILENAME
        if not path.is_file():
            raise InputNotFoundError(
                f"no {path} for the misclassification type {kind.key}: the model makes no "
                "such mistake on the repair set, or `repair target` was not run there"
            )
        paths.append(path)
    return paths
