"""``base``: a small CNN ending in Dense layers, fast enough to train on a CPU in seconds."""

from __future__ import annotations

from collections.abc import Sequence

from repair.core.tf import keras


def build_small_cnn(input_shape: Sequence[int], num_classes: int) -> keras.Model:
    """Two 3x3 conv blocks, then Dense(64) and Dense(num_classes, softmax).

    input_shape: (height, width, channels). Pooling is skipped where the image is already small,
    so the 8x8 digits and 32x32 crops both work. The layers are named as Keras names them in a
    fresh process (``conv2d``, ``max_pooling2d``, ``conv2d_1``, ...), so a model's names, which
    users pass to ``--target_layer`` and read in reports, do not depend on what else the process
    built before it.
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    layers: list[keras.layers.Layer] = [keras.Input(shape=tuple(input_shape))]
    for block, filters in enumerate((16, 32)):
        suffix = f"_{block}" if block else ""
        layers.append(
            keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=f"conv2d{suffix}"
            )
        )
        if min(height, width) >= 4:
            layers.append(keras.layers.MaxPooling2D(2, name=f"max_pooling2d{suffix}"))
            height, width = height // 2, width // 2
    layers += [
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(64, activation="relu", name="dense"),
        keras.layers.Dense(num_classes, activation="softmax", name="dense_1"),
    ]
    return keras.Sequential(layers, name="base")
