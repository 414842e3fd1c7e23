"""``base``: a small CNN ending in Dense layers, fast enough to train on a CPU in seconds."""

from __future__ import annotations

from collections.abc import Sequence

from repair.core.tf import keras


def build_small_cnn(input_shape: Sequence[int], num_classes: int) -> keras.Model:
    """Two 3x3 conv blocks, then Dense(64) and Dense(num_classes, softmax).

    input_shape: (height, width, channels). Pooling is skipped where the image is already small,
    so the 8x8 digits and 32x32 crops both work.
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    layers: list[keras.layers.Layer] = [keras.Input(shape=tuple(input_shape))]
    for filters in (16, 32):
        layers.append(keras.layers.Conv2D(filters, 3, padding="same", activation="relu"))
        if min(height, width) >= 4:
            layers.append(keras.layers.MaxPooling2D(2))
            height, width = height // 2, width // 2
    layers += [
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ]
    return keras.Sequential(layers, name="base")
