"""``vgg16``: the architecture of the Arachne paper's experiments (trained from scratch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from repair.core.tf import keras
from repair.errors import ModelError

MIN_SIDE = 32


def build_vgg16(input_shape: Sequence[int], num_classes: int) -> keras.Model:
    """Keras VGG16 convolutional trunk (``weights=None``), then Dense(4096) x2 and the classifier.

    input_shape: (height, width, channels) with sides of at least 32 pixels (five poolings).
    """
    return vgg_classifier(keras.applications.VGG16, "vgg16", input_shape, num_classes)


def vgg_classifier(
    trunk_builder: Callable[..., keras.Model],
    name: str,
    input_shape: Sequence[int],
    num_classes: int,
) -> keras.Model:
    """``trunk_builder`` (a keras.applications VGG) without its top, then the paper's Dense
    layers (``fc1``, ``fc2``, ``predictions``, as Keras names them); ModelError when the images
    are too small for five poolings."""
    height, width = int(input_shape[0]), int(input_shape[1])
    if min(height, width) < MIN_SIDE:
        raise ModelError(
            f"{name} needs images of at least {MIN_SIDE}x{MIN_SIDE}; got {height}x{width} "
            "(prepare the data with a larger --image_size)"
        )
    inputs = keras.Input(shape=tuple(input_shape))
    # Built on ``inputs``, the trunk's layers are the model's own (not one nested layer), so
    # Arachne can target its convolutions too.
    trunk = trunk_builder(include_top=False, weights=None, input_tensor=inputs)
    out = keras.layers.Flatten(name="flatten")(trunk.output)
    out = keras.layers.Dense(4096, activation="relu", name="fc1")(out)
    out = keras.layers.Dense(4096, activation="relu", name="fc2")(out)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(out)
    return keras.Model(inputs, outputs, name=name)
