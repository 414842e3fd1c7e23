"""Build architectures, write HydraNet's gate labels and flatten nested models.

``utils create_gate_class`` and ``utils flatten_model`` live here beside ``train``'s builder.

``train`` calls :func:`build_architecture`; a plugin that takes a third parameter ``options``
receives a :class:`repair.models.settings.ModelOptions` (``--model_settings``,
``--branch_num``, a sample of the training images), one that takes two does not.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.errors import ConfigError, DataFormatError, InputNotFoundError

ADAPT_SAMPLES = 2048  # training images a model may adapt its normalisation to
GATE_DIR = "gate"
GATE_SPLITS = ("train.h5", "test.h5", "repair.h5")  # the reference's three


def build_architecture(
    architecture: str,
    image_shape: Sequence[int],
    num_classes: int,
    *,
    train_path: Path,
    model_settings: Path | None = None,
    branch_num: int | None = None,
) -> Any:
    """The keras.Model the ``repair.models`` plugin ``architecture`` builds."""
    from repair import registry
    from repair.models.settings import ModelOptions, read_settings

    build = registry.load(registry.MODELS, architecture)
    if "options" not in inspect.signature(build).parameters:
        for option, value in (("--model_settings", model_settings), ("--branch_num", branch_num)):
            if value is not None:
                raise ConfigError(f"{option}: --model={architecture} takes no such option")
        return build(image_shape, num_classes)
    options = ModelOptions(
        settings=read_settings(model_settings) if model_settings is not None else None,
        settings_dir=model_settings.parent if model_settings is not None else Path("."),
        branch_num=3 if branch_num is None else branch_num,
        train_images=_image_sample(train_path),
    )
    return build(image_shape, num_classes, options=options)


def _image_sample(train_path: Path) -> Any:
    """At most ADAPT_SAMPLES training images, evenly spread, (n, H, W, C) float32."""
    import numpy as np

    from repair.core.data import SplitReader

    with SplitReader(train_path) as reader:
        count = len(reader)
        positions = np.unique(np.linspace(0, count - 1, min(count, ADAPT_SAMPLES)).astype(int))
        return reader.read_indices(positions).images


@dataclass(frozen=True)
class GateResult:
    """The gate files written, each with its sample count per branch."""

    files: tuple[tuple[Path, tuple[int, ...]], ...]


def read_hydra_groups(path: Path, num_classes: int) -> list[list[int]]:
    """The reference's hydra setting file: a JSON list of class-index lists, one per branch."""
    try:
        groups = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"--hydra_setting_file: no such file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"--hydra_setting_file: {path} is not valid JSON ({error})") from None
    if (
        not isinstance(groups, list)
        or not groups
        or not all(isinstance(g, list) and all(type(c) is int for c in g) for g in groups)
    ):
        raise ConfigError(
            f"--hydra_setting_file: {path} must hold a list of class-index lists, one per "
            f"branch (e.g. [[0, 1], [2, 3, 4]]); got {groups!r}"
        )
    bad = sorted({c for g in groups for c in g if not 0 <= c < num_classes})
    if bad:
        raise ConfigError(
            f"--hydra_setting_file: classes {bad} are not in [0, {num_classes - 1}] ({path})"
        )
    return groups


def create_gate_class(*, hydra_setting_file: Path, data_dir: Path) -> GateResult:
    """Write ``data_dir/gate/{train,test,repair}.h5``: the same images, labelled one-hot by the
    branch (group of classes in ``hydra_setting_file``) their class belongs to."""
    import numpy as np

    from repair.core.data import SplitReader
    from repair.core.data.writer import SplitWriter
    from repair.models.hydra import gate_labels

    sources = [data_dir / name for name in GATE_SPLITS]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise InputNotFoundError(f"--data_dir: missing {', '.join(missing)}")
    written = []
    for source in sources:
        with SplitReader(source) as reader:
            groups = read_hydra_groups(hydra_setting_file, reader.info.num_classes)
            names = [f"branch{k}" for k in range(len(groups))]
            target = data_dir / GATE_DIR / source.name
            target.parent.mkdir(exist_ok=True)
            counts = np.zeros(len(groups), dtype=np.int64)
            with SplitWriter(target, reader.info.image_shape, len(groups), names) as writer:
                for batch in reader.batches(1024):
                    labels = gate_labels(batch.labels, groups)
                    unrouted = sorted(set(batch.labels[labels.sum(axis=1) == 0].tolist()))
                    if unrouted:  # the reference writes an all-zero label: no class at all
                        raise ConfigError(
                            f"--hydra_setting_file: classes {unrouted} of {source} are in no "
                            f"branch's list ({hydra_setting_file})"
                        )
                    counts += labels.sum(axis=0).astype(np.int64)
                    writer.append(batch.images, labels)
            if writer.count == 0:
                raise DataFormatError(f"{source} holds no samples")
            written.append((target, tuple(int(c) for c in counts)))
    return GateResult(tuple(written))


@dataclass(frozen=True)
class FlattenResult:
    """path: the model written; layers: (before, after); inlined: the nested models' names;
    targets: how many layers Arachne can target (before, after)."""

    path: Path
    layers: tuple[int, int]
    inlined: tuple[str, ...]
    targets: tuple[int, int]


def flatten_model_file(*, model_dir: Path, output_dir: Path) -> FlattenResult:
    """``utils flatten_model``: write ``model_dir``'s model with its nested models inlined
    (:mod:`repair.core.flatten`), so that their layers become Arachne targets."""
    from repair.core.flatten import flatten_model, nested_models
    from repair.core.model import load_model, resolve_model_path, save_model
    from repair.errors import ConfigError, ModelError
    from repair.methods.arachne.activations import targetable_layers

    source = resolve_model_path(model_dir)
    target = Path(output_dir) / "model.keras"
    if target.resolve() == source.resolve():
        raise ConfigError(f"--output_dir {output_dir} holds the model itself; give another folder")
    model = load_model(source)
    inlined = tuple(layer.name for layer in nested_models(model))
    if not inlined:
        raise ModelError(f"{source} has no nested model; nothing to flatten")
    flat = flatten_model(model)
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    path = save_model(flat, target)
    return FlattenResult(
        path,
        (len(model.layers), len(flat.layers)),
        inlined,
        (len(targetable_layers(model)), len(targetable_layers(flat))),
    )
