"""Split a model at a Dense or Conv2D layer and cache what the search needs of its input.

Arachne only changes kernel weights, so everything before the earliest changed layer computes
the same thing for every candidate patch. We run that part of the model once per input (in
batches) and keep, for the earliest changed layer, its pre-activation ``x @ W + b`` and the
entries ``x[:, rows]`` that the changed weights read: a patch then changes the pre-activation by
``x[:, rows] @ delta`` (see :mod:`repair.methods.arachne.fitness`). A Conv2D layer is the same
product at every output position, over its input patches (:func:`layer_patches`): the cache
keeps the patch entries the changed weights read, at every position; so is a Dense layer fed by
sequences (n, positions, features), as in a transformer. Where the model branches after the
layer, the cache also keeps the tensors the later layers read beside it (:mod:`.graph`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from repair.core.data import Batch
from repair.core.layer_input import input_extractor
from repair.core.tf import keras, tf
from repair.errors import ConfigError, ModelError
from repair.methods.arachne.graph import Tail, feeds, tail_problem


def target_problem(model: keras.Model, index: int) -> str | None:
    """Why Arachne cannot repair layer ``index`` of ``model``; None when it can.

    The one place that says which layers Arachne targets (a Dense layer, or a 2-D convolution
    with channels last and one group, called once, whose output the model's output depends on,
    see :func:`.graph.tail_problem`): ``--target_layer``, ``--layers``, the weights.csv check
    and ``repair inspect`` all ask it.
    """
    layer = model.layers[index]
    if isinstance(layer, keras.layers.Dense):
        if len(layer.kernel.shape) != 2:
            return (
                f"layer {index} ({layer.name}) has a kernel of shape {layer.kernel.shape}; "
                "Arachne needs a Dense kernel (features, units)"
            )
    elif isinstance(layer, keras.layers.Conv2D) and type(layer).__name__ == "Conv2D":
        if layer.data_format != "channels_last" or layer.groups != 1:
            return (
                f"layer {index} ({layer.name}) is a Conv2D with {layer.data_format} or groups; "
                "Arachne repairs Conv2D layers with channels last and one group only"
            )
    elif isinstance(layer, keras.Model):
        return (
            f"layer {index} ({layer.name}) is a nested model; the layers inside it are not "
            "targets: inline them with `repair utils flatten_model` (or build the trunk on "
            "the model's input, input_tensor=..., as repair's own models do)"
        )
    else:
        return (
            f"layer {index} ({layer.name}) is a {type(layer).__name__}; Arachne repairs the "
            "kernel weights of Dense and Conv2D layers only"
        )
    return tail_problem(model, index)


def targetable_layers(model: keras.Model) -> list[int]:
    """Indices in ``model.layers`` of the layers Arachne can repair."""
    return [index for index in range(len(model.layers)) if target_problem(model, index) is None]


def _valid_targets(model: keras.Model) -> str:
    names = [f"{index} ({model.layers[index].name})" for index in targetable_layers(model)]
    return ", ".join(names) if names else "none"


def check_target_layer(model: keras.Model, index: int, option: str = "--target_layer") -> int:
    """``--target_layer`` resolved into ``model.layers`` (negative counts from the end).

    A layer that does not exist or that Arachne cannot repair is a bad option value
    (ConfigError), named with the layers that would do.
    """
    count = len(model.layers)
    hint = f"; layers Arachne can target: {_valid_targets(model)} (see `repair inspect`)"
    if not -count <= index < count:
        raise ConfigError(f"{option} must lie in [{-count}, {count - 1}]; got {index}{hint}")
    problem = target_problem(model, index % count)
    if problem is not None:
        raise ConfigError(f"{option} {index}: {problem}{hint}")
    return index % count


def check_targetable(model: keras.Model, index: int) -> keras.layers.Layer:
    """The layer at ``index`` if Arachne can repair it; ModelError otherwise."""
    problem = target_problem(model, index)
    if problem is not None:
        raise ModelError(problem)
    return model.layers[index]


def is_conv(layer: keras.layers.Layer) -> bool:
    return isinstance(layer, keras.layers.Conv2D)


def reads_positions(layer: keras.layers.Layer) -> bool:
    """Whether ``layer``'s weights act at several positions per input: a Conv2D layer, or a
    Dense layer fed by (n, ..., features) rather than flat vectors."""
    return is_conv(layer) or len(layer.input.shape) > 2


def kernel_matrix(layer: keras.layers.Layer) -> np.ndarray:
    """The kernel as a (rows, units) matrix: a Conv2D kernel (kh, kw, cin, cout) becomes
    (kh * kw * cin, cout), rows in the order of :func:`layer_patches`' last axis."""
    kernel = layer.kernel.numpy()
    return kernel.reshape(-1, kernel.shape[-1])


def layer_patches(layer: keras.layers.Layer, inputs: tf.Tensor) -> tf.Tensor:
    """What each output neuron of ``layer`` reads: the inputs (n, features) of a Dense layer,
    the input patches (n, H', W', kh * kw * cin) of a Conv2D layer, so that the layer's
    pre-activation is ``patches @ kernel_matrix + bias`` in both cases."""
    if not is_conv(layer):
        return inputs
    kh, kw = layer.kernel_size
    return tf.image.extract_patches(
        inputs,
        sizes=[1, kh, kw, 1],
        strides=[1, *layer.strides, 1],
        rates=[1, *layer.dilation_rate, 1],
        padding=layer.padding.upper(),
    )


def pre_activation(layer: keras.layers.Layer, inputs: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    """``layer``'s output before its activation, with ``kernel`` in place of its own."""
    bias = layer.bias if layer.use_bias else 0.0
    if is_conv(layer):
        return layer.convolution_op(inputs, kernel) + bias
    if len(inputs.shape) > 2:  # over the last axis, as keras' Dense does
        return tf.tensordot(inputs, kernel, axes=[[-1], [0]]) + bias
    return tf.matmul(inputs, kernel) + bias


def check_chain(model: keras.Model, first: int, later: Iterable[int] = ()) -> None:
    """Raise ModelError unless the layers after ``first`` and each changed layer of ``later``
    can be replayed (see :func:`.graph.tail_problem`). A layer of ``later`` may lie on a
    parallel path (two of HydraNet's heads): it runs again on its cached input."""
    for index in dict.fromkeys([first, *later]):
        problem = tail_problem(model, index)
        if problem is not None:
            raise ModelError(problem)
    upstream = sorted(k for k in set(later) if k != first and feeds(model, k, first))
    if upstream:
        names = ", ".join(f"{k} ({model.layers[k].name})" for k in upstream)
        raise ModelError(
            f"layers {names} feed layer {first} ({model.layers[first].name}), the first "
            "changed one: number the layers in graph order"
        )


@dataclass(frozen=True)
class LayerCache:
    """The earliest changed layer, seen by every input, once.

    pre: its pre-activation, (N, units) for a Dense layer, (N, H', W', filters) for a Conv2D
    layer; selected: the entries read by its M changed weights, (N, M) input columns
    ``x[:, rows]`` of a Dense layer or (N, H', W', M) patch entries of a Conv2D layer (N, S, M)
    for a Dense layer fed by sequences); labels: (N,) true classes; sides: what the later layers
    read beside it (:attr:`.graph.Tail.sides`), one (N, ...) array each.
    """

    pre: np.ndarray
    selected: np.ndarray
    labels: np.ndarray
    sides: tuple[np.ndarray, ...] = ()

    def __len__(self) -> int:
        return len(self.labels)


def layer_feed(
    model: keras.Model, first: int, later: Sequence[int] = ()
) -> Callable[[np.ndarray], tuple]:
    """A function images (n, H, W, C) -> (inputs of layer ``first`` (n, ...), the tail's sides
    [(n, ...), ...]): what the replay from layer ``first`` (the other changed layers ``later``
    patched in it) needs, from one pass."""
    sides = Tail(model, first, later).sides
    if not sides:
        extract = input_extractor(model, first)
        return lambda images: (extract(images), [])
    sub_model = keras.Model(model.inputs[0], [model.layers[first].input, *sides])
    call = tf.function(lambda images: sub_model(images, training=False), reduce_retracing=True)

    def feed(images: np.ndarray) -> tuple:
        inputs, *rest = call(tf.convert_to_tensor(np.asarray(images, dtype=np.float32)))
        return np.asarray(inputs, dtype=np.float32), [np.asarray(v, np.float32) for v in rest]

    return feed


def cache_layer(
    model: keras.Model,
    first: int,
    rows: np.ndarray,
    batches: Iterable[Batch],
    later: Sequence[int] = (),
) -> LayerCache:
    """Run the model up to layer ``first`` once per input and keep what the search needs
    (``later``: the other changed layers, whose inputs are cached when they lie beside the
    path from layer ``first``)."""
    layer = model.layers[first]
    feed = layer_feed(model, first, later)
    pres, selected, labels, sides = [], [], [], []
    if is_conv(layer):
        kernel = tf.constant(layer.kernel.numpy())
        step = tf.function(
            lambda x: (
                pre_activation(layer, x, kernel),
                tf.gather(layer_patches(layer, x), rows, axis=-1),
            ),
            reduce_retracing=True,
        )
    else:
        kernel = np.asarray(layer.kernel.numpy(), dtype=np.float32)
        bias = np.asarray(layer.bias.numpy(), dtype=np.float32) if layer.use_bias else 0.0
    for batch in batches:
        inputs, batch_sides = feed(batch.images)
        if is_conv(layer):
            pre, picked = step(tf.constant(inputs))
            pres.append(pre.numpy())
            selected.append(picked.numpy())
        else:
            pres.append(inputs @ kernel + bias)
            selected.append(inputs[..., rows])
        labels.append(batch.labels)
        sides.append(batch_sides)
    if not labels:
        raise ModelError("no inputs to cache")
    return LayerCache(
        pre=np.concatenate(pres).astype(np.float32),
        selected=np.concatenate(selected).astype(np.float32),
        labels=np.concatenate(labels).astype(np.int64),
        sides=tuple(np.concatenate(parts) for parts in zip(*sides, strict=True)),
    )
