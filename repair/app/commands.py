"""``prepare``, ``train``, ``test``, ``target`` and ``inspect`` as keyword-only functions.

Each returns a small frozen result that the CLI prints and scripts, sweeps and tests use
in-process. TensorFlow is imported inside the functions, never at import time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repair.core.results import LabelScore

if TYPE_CHECKING:
    from repair.core.holdout import HeldOut
    from repair.core.model import LayerRow


@dataclass(frozen=True)
class PrepareResult:
    """The split files written: ``(name, path, shape, num_classes)`` per split, and with a
    scenario what it changed in train.h5 (as recorded in scenario.json)."""

    output_dir: Path
    splits: tuple[Any, ...]
    scenario: dict[str, Any] | None = None


def prepare(
    *,
    plugin_class: type,
    options: Any,
    output_dir: Path,
    ratios: Sequence[float],
    random_state: int,
    input_dir: Path | None = None,
    scenario: Any = None,
) -> PrepareResult:
    """Shuffle the dataset, split it by ``ratios`` and write train/val/test/repair.h5; then
    apply ``scenario`` (a parsed ``--scenario``, see :mod:`repair.variability.scenarios`) to
    train.h5 only."""
    from repair.datasets.packing import pack_dataset

    plugin = plugin_class(input_dir, options)
    splits = tuple(pack_dataset(plugin, output_dir, ratios, random_state))
    record = None
    if scenario is not None:
        from repair.variability.scenarios import apply_scenario

        record = apply_scenario(output_dir / "train.h5", scenario, random_state)
    return PrepareResult(output_dir, splits, record)


@dataclass(frozen=True)
class TrainResult:
    """The saved model and the last epoch's accuracies (fractions; None if not measured)."""

    model_path: Path
    accuracy: float | None
    val_accuracy: float | None


def train(
    *,
    data_dir: Path,
    architecture: str,
    output_dir: Path,
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    random_state: int = 0,
    checkpoints: str = "last",
    model_settings: Path | None = None,
    branch_num: int | None = None,
) -> TrainResult:
    """Train ``architecture`` on data_dir/train.h5 (validating on val.h5 if present);
    ``checkpoints``: every, last (the final two epochs) or none; ``model_settings`` and
    ``branch_num`` go to the architectures that take them (see :mod:`repair.app.models`)."""
    from repair.app.models import build_architecture
    from repair.core.data import inspect_split
    from repair.core.training import seed_everything, train_model

    train_path = data_dir / "train.h5"
    info = inspect_split(train_path)
    val_path = data_dir / "val.h5"
    seed_everything(random_state)
    network = build_architecture(
        architecture,
        info.image_shape,
        info.num_classes,
        train_path=train_path,
        model_settings=model_settings,
        branch_num=branch_num,
    )
    result = train_model(
        network,
        train_path,
        output_dir,
        val_path=val_path if val_path.exists() else None,
        epochs=epochs,
        batch_size=batch_size,
        seed=random_state,
        learning_rate=learning_rate,
        checkpoints=checkpoints,
    )
    return TrainResult(result.model_path, result.final("accuracy"), result.final("val_accuracy"))


@dataclass(frozen=True)
class TestResult:
    """Accuracy (percent) of a model on a split, overall and per label."""

    accuracy: float
    correct: int
    total: int
    labels: tuple[LabelScore, ...]

    def score_of(self, label: int) -> float | None:
        """The accuracy of ``label``, or None if the split has none of it."""
        return next((s.accuracy for s in self.labels if s.label == label), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "correct": self.correct,
            "total": self.total,
            "labels": [score.to_dict() for score in self.labels],
        }


def test(*, model: Path | Any, data_file: Path, batch_size: int = 256) -> TestResult:
    """Accuracy of ``model`` (a folder, a model file, or a loaded model) on ``data_file``."""
    from repair.core.data import SplitReader
    from repair.core.model import load_model, predict_split
    from repair.core.results import label_scores, overall_accuracy

    if isinstance(model, str | Path):
        model = load_model(model)
    with SplitReader(data_file) as reader:
        info, predictions = reader.info, predict_split(model, reader, batch_size, "test")
    scores = label_scores(
        predictions.true, predictions.predicted, info.num_classes, info.class_names
    )
    return TestResult(
        accuracy=overall_accuracy(predictions.true, predictions.predicted),
        correct=int(predictions.correct.sum()),
        total=len(predictions.true),
        labels=tuple(scores),
    )


test.__test__ = False  # not a pytest test when imported into a test module


@dataclass(frozen=True)
class TargetRow:
    label: int
    name: str
    positive: int
    negative: int


@dataclass(frozen=True)
class TargetResult:
    """Counts of the positive/negative layout written into ``data_dir``."""

    data_dir: Path
    total: int
    positive: int
    negative: int
    labels: tuple[TargetRow, ...]
    holdout: HeldOut | None = None  # the held-out part, with ``holdout=``

    def negatives_of(self, label: int) -> int:
        return next((row.negative for row in self.labels if row.label == label), 0)


def target(
    *,
    model: Any,
    source: Path,
    data_dir: Path,
    batch_size: int = 256,
    holdout: float | None = None,
    random_state: int = 0,
    where: str | None = None,
) -> TargetResult:
    """Split ``source`` into data_dir/positive and data_dir/negative (the target layout).

    ``model`` is a folder, a model file or a loaded model. With ``holdout`` (a fraction), that
    share of each label, drawn from ``random_state``, goes to data_dir/holdout/<source name>
    instead, to measure the repair on. ``where`` (``weather=rainy,timeofday=night``, ANDed)
    splits only the images of those conditions.
    """
    from repair.core.conditions import parse_conditions
    from repair.core.holdout import split_with_holdout
    from repair.core.model import load_model

    if isinstance(model, str | Path):
        model = load_model(model)
    conditions = () if where is None else parse_conditions(where)
    summary, held = split_with_holdout(
        model, source, data_dir, holdout, random_state, batch_size, where=conditions
    )
    labels = sorted(set(summary.positives) | set(summary.negatives))
    rows = tuple(
        TargetRow(
            label,
            summary.info.class_name(label),
            summary.positives.get(label, 0),
            summary.negative_count(label),
        )
        for label in labels
    )
    return TargetResult(
        data_dir,
        summary.total,
        sum(summary.positives.values()),
        summary.negative_count(),
        rows,
        held,
    )


@dataclass(frozen=True)
class InspectResult:
    """The model file, its layers, those Arachne can target (indices; ``default`` is the one
    it targets without --target_layer, None when there is none), its parameter count, and the
    layers that are nested models (``utils flatten_model`` makes their layers targets)."""

    model_path: Path
    layers: tuple[LayerRow, ...]
    targets: frozenset[int]
    default: int | None
    params: int
    nested: frozenset[int] = frozenset()


def inspect_model(*, model_dir: Path) -> InspectResult:
    """List the layers of the model at ``model_dir`` and which of them Arachne can repair."""
    from repair.core.flatten import nested_models
    from repair.core.layer_input import default_target_layer
    from repair.core.model import layer_rows, load_model, resolve_model_path
    from repair.errors import ModelError
    from repair.methods.arachne.activations import targetable_layers

    model = load_model(model_dir)
    try:
        default = default_target_layer(model)
    except ModelError:
        default = None
    nested = {id(layer) for layer in nested_models(model)}
    return InspectResult(
        model_path=resolve_model_path(model_dir),
        layers=tuple(layer_rows(model)),
        targets=frozenset(targetable_layers(model)),
        default=default,
        params=model.count_params(),
        nested=frozenset(i for i, layer in enumerate(model.layers) if id(layer) in nested),
    )
