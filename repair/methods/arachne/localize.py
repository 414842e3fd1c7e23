"""Arachne's fault localisation: which kernel weights of Dense and Conv2D layers to patch.

Paper, "Fault Localisation": a weight matters when the loss on the negative inputs is sensitive
to it (gradient loss) and when it carries a large part of the signal (forward impact). Arachne
keeps the top N_g weights by gradient loss, then the Pareto front of the two objectives.
Unlike the reference we sum both objectives over every negative, in batches, in one vectorised
pass: no Python loop over weights. The journal version (TOSEM 2023) weighs both objectives on the
negatives against the same on positives (:func:`bidirectional_objectives`) over every Dense and
Conv2D layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from repair.core.data import Batch, SplitReader
from repair.core.layer_input import default_target_layer
from repair.core.tf import keras, tf
from repair.errors import ConfigError, DataFormatError, ModelError
from repair.methods.arachne.activations import (
    check_chain,
    check_target_layer,
    kernel_matrix,
    layer_feed,
    layer_patches,
    pre_activation,
    reads_positions,
    targetable_layers,
)
from repair.methods.arachne.graph import Tail


@dataclass(frozen=True)
class Localization:
    """The outcome of localisation over one or more layers.

    locations: (M, 3) int ``layer,i,j`` on the Pareto front, by decreasing gradient loss;
    values: (M,) their current values; candidates: (C, 3) the top N_g by gradient loss;
    objectives: (C, 2) their (gradient loss, forward impact); front: (C,) bool on the front.
    """

    locations: np.ndarray
    values: np.ndarray
    candidates: np.ndarray
    objectives: np.ndarray
    front: np.ndarray


def _gradient_step(layer: keras.layers.Layer, tail: Tail):  # noqa: ANN202
    """A compiled function (inputs, sides, labels, kernel) -> (dL/dW summed, |patch entries|
    summed); sides: what the layers after ``layer`` read beside it (:class:`.graph.Tail`).

    The kernel gradient is returned as a (rows, units) matrix, like :func:`kernel_matrix`; the
    second output sums, over inputs and output positions, the absolute inputs each row reads.
    """

    @tf.function(reduce_retracing=True)
    def gradient(inputs: tf.Tensor, sides: tuple, labels: tf.Tensor, kernel: tf.Tensor):  # noqa: ANN202
        with tf.GradientTape() as tape:
            tape.watch(kernel)
            outputs = tail.run(layer.activation(pre_activation(layer, inputs, kernel)), sides)
            # The model's output loss, whatever the layer: any layer can be localized.
            loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(labels, outputs))
        patches = layer_patches(layer, inputs)
        reads = tf.reshape(tf.abs(patches), (-1, tf.shape(patches)[-1]))
        if reads_positions(layer):  # mean over positions: a weight reads one entry per position
            reads = reads / tf.cast(tf.shape(reads)[0] // tf.shape(inputs)[0], reads.dtype)
        grad = tape.gradient(loss, kernel)
        return tf.reshape(grad, (-1, tf.shape(grad)[-1])), tf.reduce_sum(reads, axis=0)

    return gradient


def _impact_step(layer: keras.layers.Layer, tail: Tail):  # noqa: ANN202
    """A compiled function (inputs, sides, labels, kernel) -> (dL/dW summed, forward impact
    summed).

    Forward impact of the journal version (TOSEM 2023): the share of neuron j's input that flows
    through weight (i, j), |x_i w_ij| / sum_k |x_k w_kj|, times the output's sensitivity to the
    neuron, |d p_y / d a_j| with p_y the model's probability of the true label (the reference
    toolkit differentiates the sum of the softmax outputs, which is 1 whatever the weights).
    Per output position for a Conv2D layer, summed over positions. Summed over inputs, it is
    |W| * (|X|^T @ (g / D)) with D = |X| @ |W|: no (inputs, rows, units) tensor is built.
    """

    @tf.function(reduce_retracing=True)
    def impact(inputs: tf.Tensor, sides: tuple, labels: tf.Tensor, kernel: tf.Tensor):  # noqa: ANN202
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(kernel)
            activated = layer.activation(pre_activation(layer, inputs, kernel))
            outputs = tail.run(activated, sides)
            loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(labels, outputs))
            true_probability = tf.reduce_sum(tf.gather(outputs, labels, axis=1, batch_dims=1))
        grad = tape.gradient(loss, kernel)
        sensitivity = tf.abs(tape.gradient(true_probability, activated))
        del tape
        units = tf.shape(kernel)[-1]
        weights = tf.abs(tf.reshape(kernel, (-1, units)))
        patches = layer_patches(layer, inputs)
        reads = tf.reshape(tf.abs(patches), (-1, tf.shape(patches)[-1]))
        through = tf.math.divide_no_nan(tf.reshape(sensitivity, (-1, units)), reads @ weights)
        forward = weights * tf.matmul(reads, through, transpose_a=True)
        return tf.reshape(grad, (-1, units)), forward

    return impact


def objectives_of_layer(
    model: keras.Model, layer_index: int, batches: Iterable[Batch], bidirectional: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient loss and forward impact of every kernel weight of a Dense or Conv2D layer.

    Returns two (rows, units) arrays (see :func:`kernel_matrix`): |dL/dW| with L the mean loss
    over all inputs, and the forward impact. v1 (``bidirectional`` False, the paper's):
    |W_ij| * mean over inputs of |o_i|, o the layer's input (= mean of |o_i W_ij|). Otherwise
    the journal's forward impact (:func:`_impact_step`), averaged over inputs.
    """
    check_chain(model, layer_index)
    layer = model.layers[layer_index]
    feed = layer_feed(model, layer_index)
    step = _impact_step if bidirectional else _gradient_step
    compute = step(layer, Tail(model, layer_index))
    kernel = tf.constant(layer.kernel.numpy())
    matrix = kernel_matrix(layer)
    grad_sum = np.zeros(matrix.shape, dtype=np.float64)
    second = np.zeros(matrix.shape if bidirectional else matrix.shape[0], dtype=np.float64)
    count = 0
    for batch in batches:
        inputs, sides = feed(batch.images)
        labels = tf.constant(batch.labels.astype(np.int32))
        grad, other = compute(tf.constant(inputs), tuple(sides), labels, kernel)
        grad_sum += grad.numpy()
        second += other.numpy()
        count += len(batch)
    if count == 0:
        raise DataFormatError("no negative inputs to localize faults with")
    grad_loss = np.abs(grad_sum) / count
    if bidirectional:
        return grad_loss, second / count
    return grad_loss, (second / count)[:, None] * np.abs(matrix)


def pareto_front(objectives: np.ndarray) -> np.ndarray:
    """Mask (n,) of the points no other point dominates, both objectives maximised.

    Sorting by the first objective (then the second), descending, a distinct point is on the
    front exactly when its second objective beats every point before it: O(n log n) instead of
    the reference's O(n^2) loop. Equal points share their fate, as in the reference.
    """
    if len(objectives) == 0:
        return np.zeros(0, dtype=bool)
    unique, inverse = np.unique(objectives, axis=0, return_inverse=True)
    order = np.lexsort((-unique[:, 1], -unique[:, 0]))
    second = unique[order, 1]
    best_before = np.maximum.accumulate(np.concatenate(([-np.inf], second[:-1])))
    on_front = np.zeros(len(unique), dtype=bool)
    on_front[order] = second > best_before
    return on_front[inverse.ravel()]


def localize_layer(
    model: keras.Model, layer_index: int, batches: Iterable[Batch], num_grad: int
) -> Localization:
    """The weights of layer ``layer_index`` to patch: top ``num_grad`` by gradient, then Pareto."""
    grad_loss, forward_impact = objectives_of_layer(model, layer_index, batches)
    return choose_weights(model, {layer_index: (grad_loss, forward_impact)}, num_grad)


def bidirectional_objectives(
    model: keras.Model,
    layer_index: int,
    negatives: Callable[[], Iterable[Batch]],
    positives: Callable[[], Iterable[Batch]],
) -> tuple[np.ndarray, np.ndarray]:
    """Journal version (TOSEM 2023), bidirectional localisation: each objective's cost on the
    negatives against its cost on the positives, cost_neg / (1 + cost_pos), so that a weight
    that also drives the positives' outputs ranks lower."""
    neg = objectives_of_layer(model, layer_index, negatives(), bidirectional=True)
    pos = objectives_of_layer(model, layer_index, positives(), bidirectional=True)
    return neg[0] / (1.0 + pos[0]), neg[1] / (1.0 + pos[1])


def choose_weights(
    model: keras.Model, objectives: dict[int, tuple[np.ndarray, np.ndarray]], num_grad: int
) -> Localization:
    """Top ``num_grad`` weights by gradient loss over all layers given, then their Pareto front.

    objectives: per layer index, (gradient loss, forward impact), each (rows, units).
    """
    layers = sorted(objectives)
    flat_grad = np.concatenate([objectives[k][0].ravel() for k in layers])
    flat_impact = np.concatenate([objectives[k][1].ravel() for k in layers])
    owner = np.concatenate([np.full(objectives[k][0].size, k) for k in layers])
    sizes = [objectives[k][0].size for k in layers]
    offsets = dict(zip(layers, np.cumsum([0, *sizes[:-1]]), strict=True))
    top = np.argsort(-flat_grad, kind="stable")[: min(num_grad, flat_grad.size)]
    candidates = np.zeros((len(top), 3), dtype=np.int64)
    for position, index in enumerate(top):
        layer = int(owner[index])
        units = objectives[layer][0].shape[1]
        row, col = divmod(int(index - offsets[layer]), units)
        candidates[position] = (layer, row, col)
    scores = np.stack([flat_grad[top], flat_impact[top]], axis=1)
    front = pareto_front(scores)
    matrices = {k: kernel_matrix(model.layers[k]) for k in layers}
    chosen = candidates[front]
    return Localization(
        locations=chosen,
        values=np.array([matrices[k][i, j] for k, i, j in chosen], dtype=np.float32),
        candidates=candidates,
        objectives=scores,
        front=front,
    )


def localized_layers(
    model: keras.Model, layers: str | tuple[int, ...], option: str = "--layers"
) -> list[int]:
    """Layer indices to localize in for ``--layers`` (``last``, ``all`` or indices), each
    checked to be a layer Arachne can patch (a usage error naming ``option`` otherwise)."""
    if layers == "last":
        return [default_target_layer(model)]
    if layers == "all":
        found = targetable_layers(model)
        if not found:
            raise ModelError("the model has no Dense or Conv2D layer Arachne can patch")
        return found
    return sorted({check_target_layer(model, index, option) for index in layers})


def describe_layers(model: keras.Model, layers: list[int]) -> str:
    names = ", ".join(f"{index} ({model.layers[index].name})" for index in layers)
    return f"layer {names}" if len(layers) == 1 else f"layers {names}"


def stratified_positives(positives: SplitReader | None, seed: int, count: int) -> Batch:
    """``count`` positives drawn without replacement, each label in its share of the positives
    (largest remainders), seeded by the task's seed: the bidirectional localizer's sample."""
    if positives is None:
        raise ConfigError("--localizer bidirectional needs --positive_inputs_dir")
    rng = np.random.default_rng(seed)
    labels = positives.labels()
    count = min(count, len(labels))
    present, totals = np.unique(labels, return_counts=True)
    exact = count * totals / len(labels)
    quota = np.floor(exact).astype(int)
    extra = np.argsort(-(exact - quota), kind="stable")[: count - quota.sum()]
    quota[extra] += 1
    chosen = [
        rng.choice(np.flatnonzero(labels == label), size=take, replace=False)
        for label, take in zip(present, quota, strict=True)
    ]
    return positives.read_indices(np.sort(np.concatenate(chosen)))
