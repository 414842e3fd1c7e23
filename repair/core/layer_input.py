"""What a model's layer is fed: the activation extractor Arachne's cache and drift share.

Arachne repairs one layer and caches, per input, what that layer reads; the drift report
measures the same vectors, so both take them from here. Imports TensorFlow: import this module
inside commands.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from repair.core.tf import keras, tf
from repair.errors import ModelError


def default_target_layer(model: keras.Model) -> int:
    """The last Dense layer with one unit per class (Arachne, Sec. 3.1: the layer before the
    output): the layer Arachne repairs and drift embeds by default."""
    num_classes = int(model.output_shape[-1])
    for index in range(len(model.layers) - 1, -1, -1):
        layer = model.layers[index]
        if isinstance(layer, keras.layers.Dense) and layer.units == num_classes:
            return index
    raise ModelError(
        f"the model has no Dense layer with {num_classes} units (one per class); "
        "name one with --target_layer"
    )


def input_extractor(model: keras.Model, first: int) -> Callable[[np.ndarray], np.ndarray]:
    """A function images (n, H, W, C) -> inputs of layer ``first`` (n, ...), float32."""
    if len(model.inputs) != 1:
        raise ModelError(f"Arachne needs a model with one input; this one has {len(model.inputs)}")
    if first == 0:
        return lambda images: np.asarray(images, dtype=np.float32)
    sub_model = keras.Model(model.inputs[0], model.layers[first].input)
    call = tf.function(lambda images: sub_model(images, training=False), reduce_retracing=True)
    return lambda images: np.asarray(call(tf.convert_to_tensor(images)), dtype=np.float32)
