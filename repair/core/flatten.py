"""A model whose nested sub-models are inlined: the same layers, called in one graph.

A model that calls a whole sub-model as one layer (a ``keras.applications`` trunk built apart
and called on a tensor, a Sequential block) hides that sub-model's layers: Arachne targets a
model's own layers only. :func:`flatten_model` calls every layer of every nested model, in the
order of its graph, on the outer graph's tensors: the result computes the same function with
the same weights (the layer objects are shared), and each of those layers is its own.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from repair.core.keras_graph import node_of, nodes_in_order
from repair.core.tf import keras, tf
from repair.errors import ModelError


def nested_models(model: keras.Model) -> list[keras.Model]:
    """The layers of ``model`` that are models themselves."""
    return [layer for layer in model.layers if isinstance(layer, keras.Model)]


def _leaf_names(model: keras.Model) -> list[str]:
    names = []
    for layer in model.layers:
        names += _leaf_names(layer) if isinstance(layer, keras.Model) else [layer.name]
    return names


def _call(model: keras.Model, inputs: list[Any]) -> list[Any]:
    """``model``'s outputs on the symbolic ``inputs``, nested models inlined."""
    if isinstance(model, keras.Sequential):
        h = inputs[0]
        for layer in model.layers:
            h = _call(layer, [h])[0] if isinstance(layer, keras.Model) else layer(h)
        return [h]
    values = {id(t): v for t, v in zip(model.inputs, inputs, strict=True)}
    for node in nodes_in_order(list(model.outputs), lambda tensor: id(tensor) in values):
        args, kwargs = node.arguments.fill_in(values)
        operation = node.operation
        if isinstance(operation, keras.Model):
            outputs = _call(operation, tf.nest.flatten(args))
        else:
            outputs = tf.nest.flatten(operation(*args, **kwargs))
        for reference, value in zip(node.outputs, outputs, strict=True):
            values[id(reference)] = value
    return [values[id(t)] for t in model.outputs]


def flatten_model(model: keras.Model) -> keras.Model:
    """``model`` with its nested models inlined (recursively); ModelError when two layers
    would share a name once inlined, or when the result does not compute what ``model`` does.
    """
    if len(model.inputs) != 1:
        raise ModelError(f"a model with one input is flattened; this one has {len(model.inputs)}")
    clashes = sorted(name for name, count in Counter(_leaf_names(model)).items() if count > 1)
    if clashes:
        raise ModelError(
            f"layers named {', '.join(clashes)} appear more than once once the nested models "
            "are inlined (a model's layers need unique names): rename them first"
        )
    (source,) = model.inputs
    image = keras.Input(
        shape=tuple(source.shape[1:]), dtype=source.dtype, name=node_of(source).operation.name
    )
    outputs = _call(model, [image])
    flat = keras.Model(image, outputs if len(outputs) > 1 else outputs[0], name=model.name)
    probe = np.random.default_rng(0).normal(size=(4, *model.input_shape[1:])).astype("float32")
    before = np.asarray(model(probe, training=False))
    after = np.asarray(flat(probe, training=False))
    if not np.allclose(before, after, rtol=1e-4, atol=1e-5):
        raise ModelError("the flattened model does not compute what the model does; not written")
    return flat
