"""The ``--model_settings`` JSON of ``keras_app``, ``hydra`` and ``vit``: read, checked, built.

The reference toolkit's keys: ``model`` (a ``keras.applications`` name), ``optimizer``
(``[name, {kwargs}]``), ``augmentation`` and ``layers`` (lists of ``[keras.layers name,
{kwargs}]``). Ours add ``weights`` (none, or a local weights file: never downloaded) and
``model_args`` (more keyword arguments of the application, e.g. ``{"alpha": 0.35}``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from repair.core.tf import keras
from repair.errors import ConfigError

OPTION = "--model_settings"


@dataclass(frozen=True)
class ModelOptions:
    """What a model plugin may take beyond the input shape and the class count.

    settings: the parsed ``--model_settings`` JSON (None when not given); settings_dir: the
    folder relative ``weights`` paths are read from; branch_num: HydraNet's branch count;
    train_images: (n, H, W, C) a sample of the training images (ViT adapts its Normalization).
    """

    settings: dict[str, Any] | None = None
    settings_dir: Path = Path(".")
    branch_num: int = 3
    train_images: np.ndarray | None = field(default=None, repr=False)

    def require_settings(self, model: str) -> dict[str, Any]:
        if self.settings is None:
            raise ConfigError(f"--model={model} needs {OPTION} (a JSON file; see docs/models.md)")
        return self.settings


def read_settings(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ConfigError naming the file when it is not one."""
    try:
        settings = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{OPTION}: no such file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{OPTION}: {path} is not valid JSON ({error})") from None
    if not isinstance(settings, dict):
        raise ConfigError(
            f"{OPTION}: {path} must hold a JSON object; got {type(settings).__name__}"
        )
    return settings


def _spec(key: str, entry: Any) -> tuple[str, dict[str, Any]]:
    if (
        not isinstance(entry, Sequence)
        or isinstance(entry, str)
        or len(entry) != 2
        or not isinstance(entry[0], str)
        or not isinstance(entry[1], dict)
    ):
        raise ConfigError(
            f'{OPTION} "{key}": each entry must be [name, {{arguments}}]; got {entry!r}'
        )
    return entry[0], dict(entry[1])


def build_layers(settings: dict[str, Any], key: str, prefix: str = "") -> list[keras.layers.Layer]:
    """The ``keras.layers`` that ``settings[key]`` lists, in order; a ``name`` argument gets
    ``prefix`` (HydraNet's branches copy the same list)."""
    entries = settings.get(key, [])
    if not isinstance(entries, list):
        raise ConfigError(
            f'{OPTION} "{key}" must be a list of [name, {{arguments}}]; got {entries!r}'
        )
    built = []
    for entry in entries:
        name, kwargs = _spec(key, entry)
        if "name" in kwargs and prefix:
            kwargs["name"] = f"{prefix}{kwargs['name']}"
        cls = getattr(keras.layers, name, None)
        if not isinstance(cls, type) or not issubclass(cls, keras.layers.Layer):
            raise ConfigError(f'{OPTION} "{key}": keras.layers has no layer {name!r}')
        try:
            built.append(cls(**kwargs))
        except (TypeError, ValueError) as error:
            raise ConfigError(f'{OPTION} "{key}": bad arguments for {name}: {error}') from None
    return built


def optimizer(settings: dict[str, Any] | None) -> keras.optimizers.Optimizer | None:
    """The optimizer ``settings["optimizer"]`` names (None when it names none)."""
    if not settings or "optimizer" not in settings:
        return None
    name, kwargs = _spec("optimizer", settings["optimizer"])
    cls = getattr(keras.optimizers, name, None)
    if not isinstance(cls, type) or not issubclass(cls, keras.optimizers.Optimizer):
        raise ConfigError(f'{OPTION} "optimizer": keras.optimizers has no optimizer {name!r}')
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise ConfigError(f'{OPTION} "optimizer": bad arguments for {name}: {error}') from None


def local_weights(settings: dict[str, Any], settings_dir: Path) -> str | None:
    """``settings["weights"]`` as Keras takes it: None, or the path of an existing local file.

    Keras would download ``"imagenet"``; repair never goes to the network, so that is refused.
    """
    weights = settings.get("weights")
    if weights is None or (isinstance(weights, str) and weights.lower() == "none"):
        return None
    if not isinstance(weights, str):
        raise ConfigError(f'{OPTION} "weights" must be null or a file path; got {weights!r}')
    if weights.lower() == "imagenet":
        raise ConfigError(
            f'{OPTION} "weights": "imagenet" would be downloaded and repair never downloads; '
            "download the weights file (include_top=False) yourself and give its path"
        )
    path = Path(weights) if Path(weights).is_absolute() else settings_dir / weights
    if not path.is_file():
        raise ConfigError(f'{OPTION} "weights": no such file: {path}')
    return str(path)


def application(settings: dict[str, Any], settings_dir: Path, inputs: Any) -> keras.Model:
    """The ``keras.applications`` trunk ``settings["model"]`` names, without its top, on
    ``inputs`` (a KerasTensor): its layers join the model, so Arachne can target them."""
    name = settings.get("model")
    builder = getattr(keras.applications, name, None) if isinstance(name, str) else None
    if not callable(builder) or isinstance(builder, type(keras.applications)):
        raise ConfigError(
            f'{OPTION} "model" must name a keras.applications model (ResNet50, MobileNetV2, '
            f"EfficientNetB0, ...); got {name!r}"
        )
    extra = settings.get("model_args", {})
    if not isinstance(extra, dict):
        raise ConfigError(f'{OPTION} "model_args" must be an object; got {extra!r}')
    try:
        return builder(
            include_top=False,
            weights=local_weights(settings, settings_dir),
            input_tensor=inputs,
            input_shape=tuple(inputs.shape[1:]),
            pooling=None,
            **extra,
        )
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{OPTION}: keras.applications.{name} refused: {error}") from None


def stem(settings: dict[str, Any], settings_dir: Path, inputs: Any) -> Any:
    """``inputs`` through the augmentation layers and, when ``model`` is given, the trunk."""
    out = inputs
    for layer in build_layers(settings, "augmentation"):
        out = layer(out)
    if "model" in settings:
        out = application(settings, settings_dir, out).output
    return out
