"""``vit``: the Vision Transformer of Keras' example "Image classification with ViT", one-hot.

Defaults are the example's (keras.io/examples/vision/image_classification_with_vision_transformer);
``--model_settings`` may change any of :data:`DEFAULTS`. Unlike the reference, which needs
integer labels and ends in logits, the model ends in Dense(num_classes, softmax) and trains on
one-hot labels like every other model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from repair.core.tf import keras, tf
from repair.errors import ConfigError
from repair.models.keras_app import compile_with
from repair.models.settings import OPTION, ModelOptions, optimizer

DEFAULTS: dict[str, Any] = {
    "image_size": 72,  # images are resized to this side
    "patch_size": 6,
    "projection_dim": 64,
    "num_heads": 4,
    "transformer_layers": 8,
    "mlp_head_units": [2048, 1024],
    "learning_rate": 0.001,  # AdamW
    "weight_decay": 0.0001,
}


@keras.saving.register_keras_serializable(package="repair")
class Patches(keras.layers.Layer):
    """Images (n, H, W, C) -> non-overlapping patches (n, patches, size * size * C)."""

    def __init__(self, patch_size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images: Any) -> Any:
        size = self.patch_size
        patches = tf.image.extract_patches(
            images, [1, size, size, 1], [1, size, size, 1], [1, 1, 1, 1], "VALID"
        )
        return tf.reshape(patches, (tf.shape(images)[0], -1, patches.shape[-1]))

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        count = (input_shape[1] // self.patch_size) * (input_shape[2] // self.patch_size)
        return (input_shape[0], count, self.patch_size**2 * input_shape[3])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "patch_size": self.patch_size}


@keras.saving.register_keras_serializable(package="repair")
class PatchEncoder(keras.layers.Layer):
    """Patches (n, patches, d) -> their projection (n, patches, dim) plus a learnt position
    embedding."""

    def __init__(self, num_patches: int, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_patches, self.projection_dim = num_patches, projection_dim
        self.projection = keras.layers.Dense(projection_dim)
        self.position_embedding = keras.layers.Embedding(num_patches, projection_dim)

    def build(self, input_shape: Sequence[Any]) -> None:
        self.projection.build(input_shape)
        self.position_embedding.build((self.num_patches,))

    def call(self, patches: Any) -> Any:
        positions = tf.range(self.num_patches)
        return self.projection(patches) + self.position_embedding(positions)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        return (input_shape[0], input_shape[1], self.projection_dim)

    def get_config(self) -> dict[str, Any]:
        config = {"num_patches": self.num_patches, "projection_dim": self.projection_dim}
        return {**super().get_config(), **config}


def vit_settings(options: ModelOptions) -> dict[str, Any]:
    """:data:`DEFAULTS` updated by ``--model_settings``; ConfigError on an unknown key."""
    given = dict(options.settings or {})
    given.pop("optimizer", None)
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"{OPTION} for vit: unknown keys {unknown}; known: {sorted(DEFAULTS)}")
    settings = {**DEFAULTS, **given}
    for key in ("image_size", "patch_size", "projection_dim", "num_heads", "transformer_layers"):
        if not isinstance(settings[key], int) or settings[key] < 1:
            raise ConfigError(f'{OPTION} "{key}" must be a positive integer; got {settings[key]!r}')
    if settings["patch_size"] > settings["image_size"]:
        raise ConfigError(f'{OPTION} "patch_size" must not exceed "image_size"; got {settings}')
    return settings


def channel_statistics(images: np.ndarray | None) -> dict[str, list[float]]:
    """Per-channel mean and variance of ``images`` (n, H, W, C), the example's ``adapt``.

    Given to Normalization as constants rather than adapted: an adapted layer keeps its
    statistics in a tensor that ``set_weights`` does not refresh, so a cloned model (Arachne's
    repaired copy) would normalise with the statistics of no data. None: mean 0, variance 1.
    """
    if images is None:
        return {"mean": [0.0], "variance": [1.0]}
    images = np.asarray(images, dtype=np.float64)
    return {
        "mean": images.mean(axis=(0, 1, 2)).tolist(),
        "variance": images.var(axis=(0, 1, 2)).tolist(),
    }


def _mlp(out: Any, units: Sequence[int], dropout: float, name: str) -> Any:
    for m, width in enumerate(units, start=1):
        out = keras.layers.Dense(width, activation="gelu", name=f"{name}_mlp{m}")(out)
        out = keras.layers.Dropout(dropout, name=f"{name}_dropout{m}")(out)
    return out


def build_vit(input_shape: Sequence[int], num_classes: int, options: ModelOptions) -> keras.Model:
    """Normalisation (to the channel statistics of ``options.train_images``), resizing and the
    example's random augmentation, patches, ``transformer_layers`` blocks (LayerNorm,
    multi-head attention, skip, LayerNorm, MLP, skip), the MLP head, then Dense(num_classes,
    softmax)."""
    settings = vit_settings(options)
    size, dim = settings["image_size"], settings["projection_dim"]
    normalization = keras.layers.Normalization(**channel_statistics(options.train_images))
    inputs = keras.Input(shape=tuple(input_shape))
    out = normalization(inputs)
    out = keras.layers.Resizing(size, size)(out)
    out = keras.layers.RandomFlip("horizontal")(out)
    out = keras.layers.RandomRotation(factor=0.02)(out)
    out = keras.layers.RandomZoom(height_factor=0.2, width_factor=0.2)(out)
    encoded = PatchEncoder((size // settings["patch_size"]) ** 2, dim)(
        Patches(settings["patch_size"])(out)
    )
    layers = keras.layers
    for k in range(1, settings["transformer_layers"] + 1):
        x1 = layers.LayerNormalization(epsilon=1e-6, name=f"block{k}_norm1")(encoded)
        attention = layers.MultiHeadAttention(
            num_heads=settings["num_heads"], key_dim=dim, dropout=0.1, name=f"block{k}_attention"
        )(x1, x1)
        x2 = layers.Add(name=f"block{k}_add1")([attention, encoded])
        x3 = layers.LayerNormalization(epsilon=1e-6, name=f"block{k}_norm2")(x2)
        x3 = _mlp(x3, [dim * 2, dim], 0.1, f"block{k}")
        encoded = layers.Add(name=f"block{k}_add2")([x3, x2])
    out = layers.LayerNormalization(epsilon=1e-6, name="head_norm")(encoded)
    out = layers.Dropout(0.5, name="head_dropout")(layers.Flatten(name="head_flatten")(out))
    out = _mlp(out, settings["mlp_head_units"], 0.5, "head")
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(out)
    model = keras.Model(inputs, outputs, name="vit")
    chosen = optimizer(options.settings) or keras.optimizers.AdamW(
        learning_rate=settings["learning_rate"], weight_decay=settings["weight_decay"]
    )
    compile_with(model, chosen)
    return model
