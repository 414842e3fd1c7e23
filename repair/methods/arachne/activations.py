"""Split a model at a Dense layer and cache what the search needs of that layer's input.

Arachne only changes kernel weights of Dense layers, so everything before the earliest changed
layer computes the same thing for every candidate patch. We run that part of the model once per
input (in batches) and keep, for the earliest changed layer, its pre-activation ``x @ W + b``
and the input columns ``x[:, rows]`` that the changed weights read: a patch then changes the
pre-activation by ``x[:, rows] @ delta`` (see :mod:`repair.methods.arachne.fitness`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from repair.core.data import Batch
from repair.core.tf import keras, tf
from repair.errors import ConfigError, ModelError


def target_problem(model: keras.Model, index: int) -> str | None:
    """Why Arachne cannot repair layer ``index`` of ``model``; None when it can.

    The one place that says which layers Arachne targets: ``--target_layer``, the weights.csv
    check and ``repair inspect`` all ask it.
    """
    layer = model.layers[index]
    if not isinstance(layer, keras.layers.Dense):
        return (
            f"layer {index} ({layer.name}) is a {type(layer).__name__}; Arachne repairs the "
            "kernel weights of Dense layers only"
        )
    if len(layer.kernel.shape) != 2 or len(layer.input.shape) != 2:
        return (
            f"layer {index} ({layer.name}) takes inputs of shape {layer.input.shape}; "
            "Arachne needs a Dense layer fed by flat vectors (batch, features)"
        )
    return chain_problem(model, index)


def targetable_layers(model: keras.Model) -> list[int]:
    """Indices in ``model.layers`` of the layers Arachne can repair."""
    return [index for index in range(len(model.layers)) if target_problem(model, index) is None]


def _valid_targets(model: keras.Model) -> str:
    names = [f"{index} ({model.layers[index].name})" for index in targetable_layers(model)]
    return ", ".join(names) if names else "none"


def check_target_layer(model: keras.Model, index: int) -> int:
    """``--target_layer`` resolved into ``model.layers`` (negative counts from the end).

    A layer that does not exist or that Arachne cannot repair is a bad option value
    (ConfigError), named with the layers that would do.
    """
    count = len(model.layers)
    hint = f"; layers Arachne can target: {_valid_targets(model)} (see `repair inspect`)"
    if not -count <= index < count:
        raise ConfigError(f"--target_layer must lie in [{-count}, {count - 1}]; got {index}{hint}")
    problem = target_problem(model, index % count)
    if problem is not None:
        raise ConfigError(f"--target_layer {index}: {problem}{hint}")
    return index % count


def check_dense(model: keras.Model, index: int) -> keras.layers.Dense:
    """The layer at ``index`` if Arachne can repair it; ModelError otherwise."""
    problem = target_problem(model, index)
    if problem is not None:
        raise ModelError(problem)
    return model.layers[index]


def default_target_layer(model: keras.Model) -> int:
    """The last Dense layer with one unit per class (Sec. 3.1: the layer before the output)."""
    num_classes = int(model.output_shape[-1])
    for index in range(len(model.layers) - 1, -1, -1):
        layer = model.layers[index]
        if isinstance(layer, keras.layers.Dense) and layer.units == num_classes:
            return index
    raise ModelError(
        f"the model has no Dense layer with {num_classes} units (one per class); "
        "name one with --target_layer"
    )


def chain_problem(model: keras.Model, first: int) -> str | None:
    """Why layers ``first..end`` do not form a chain from one to the next; None when they do.

    The batched search runs those layers on (particles x inputs) tensors, one after another.
    """
    if isinstance(model, keras.Sequential):
        return None
    layers = model.layers
    if len(model.outputs) != 1 or model.outputs[0] is not layers[-1].output:
        return "Arachne needs a model with one output, computed by its last layer"
    for index in range(first + 1, len(layers)):
        if (
            len(layers[index]._inbound_nodes) != 1
            or layers[index].input is not layers[index - 1].output
        ):
            return (
                f"layer {index} ({layers[index].name}) does not simply follow layer {index - 1}; "
                f"Arachne needs the layers after layer {first} to form a chain"
            )
    return None


def check_chain(model: keras.Model, first: int) -> None:
    """Raise ModelError unless layers ``first..end`` form a chain (see :func:`chain_problem`)."""
    problem = chain_problem(model, first)
    if problem is not None:
        raise ModelError(problem)


def input_extractor(model: keras.Model, first: int) -> Callable[[np.ndarray], np.ndarray]:
    """A function images (n, H, W, C) -> inputs of layer ``first`` (n, features)."""
    if len(model.inputs) != 1:
        raise ModelError(f"Arachne needs a model with one input; this one has {len(model.inputs)}")
    if first == 0:
        return lambda images: np.asarray(images, dtype=np.float32)
    sub_model = keras.Model(model.inputs[0], model.layers[first].input)
    call = tf.function(lambda images: sub_model(images, training=False), reduce_retracing=True)
    return lambda images: np.asarray(call(tf.convert_to_tensor(images)), dtype=np.float32)


@dataclass(frozen=True)
class LayerCache:
    """The earliest changed layer, seen by every input, once.

    pre: (N, units) its pre-activation ``x @ W + b``; selected: (N, M) the input columns
    ``x[:, rows]`` read by the M changed weights of that layer; labels: (N,) true classes.
    """

    pre: np.ndarray
    selected: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def cache_layer(
    model: keras.Model, first: int, rows: np.ndarray, batches: Iterable[Batch]
) -> LayerCache:
    """Run the model up to layer ``first`` once per input and keep what the search needs."""
    layer = model.layers[first]
    extract = input_extractor(model, first)
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float32)
    bias = np.asarray(layer.bias.numpy(), dtype=np.float32) if layer.use_bias else 0.0
    pres, selected, labels = [], [], []
    for batch in batches:
        inputs = extract(batch.images)
        pres.append(inputs @ kernel + bias)
        selected.append(inputs[:, rows])
        labels.append(batch.labels)
    if not labels:
        raise ModelError("no inputs to cache")
    return LayerCache(
        pre=np.concatenate(pres).astype(np.float32),
        selected=np.concatenate(selected).astype(np.float32),
        labels=np.concatenate(labels).astype(np.int64),
    )
