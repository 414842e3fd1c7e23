"""``keras_app``: a ``keras.applications`` trunk with the layers ``--model_settings`` adds."""

from __future__ import annotations

from collections.abc import Sequence

from repair.core.tf import keras
from repair.errors import ConfigError
from repair.models.settings import OPTION, ModelOptions, build_layers, optimizer, stem


def build_keras_app(
    input_shape: Sequence[int], num_classes: int, options: ModelOptions
) -> keras.Model:
    """Input, the ``augmentation`` layers, the ``model`` trunk (``include_top=False``), the
    ``layers`` on top, then Dense(num_classes, softmax).

    The trunk's layers are the model's own (not one nested layer), so Arachne can target its
    convolutions too. Compiled with ``optimizer`` when the settings name one.
    """
    settings = options.require_settings("keras_app")
    if "model" not in settings:
        raise ConfigError(f'{OPTION} for keras_app must name "model" (e.g. "ResNet50")')
    inputs = keras.Input(shape=tuple(input_shape))
    out = stem(settings, options.settings_dir, inputs)
    for layer in build_layers(settings, "layers"):
        out = layer(out)
    if len(out.shape) != 2:
        raise ConfigError(
            f'{OPTION} "layers" must end in flat vectors (add ["Flatten", {{}}] or '
            f'["GlobalAveragePooling2D", {{}}]); the output has shape {tuple(out.shape)}'
        )
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(out)
    model = keras.Model(inputs, outputs, name="keras_app")
    compile_with(model, optimizer(settings))
    return model


def compile_with(model: keras.Model, chosen: keras.optimizers.Optimizer | None) -> None:
    """Compile ``model`` for training with ``chosen`` (left uncompiled when None: ``repair
    train`` then uses Adam with ``--learning_rate``)."""
    if chosen is not None:
        model.compile(optimizer=chosen, loss="categorical_crossentropy", metrics=["accuracy"])
