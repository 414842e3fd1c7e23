"""Arachne's fault localisation: which kernel weights of a Dense layer to patch.

Paper, "Fault Localisation": a weight matters when the loss on the negative inputs is sensitive
to it (gradient loss) and when it carries a large part of the signal (forward impact). Arachne
keeps the top N_g weights by gradient loss, then the Pareto front of the two objectives.
Unlike the reference we sum both objectives over every negative, in batches, in one vectorised
pass: no Python loop over weights.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from repair.core.data import Batch
from repair.core.tf import keras, tf
from repair.errors import DataFormatError
from repair.methods.arachne.activations import check_chain, input_extractor


@dataclass(frozen=True)
class Localization:
    """The outcome of localisation on one layer.

    locations: (M, 3) int ``layer,i,j`` on the Pareto front, by decreasing gradient loss;
    values: (M,) their current values; candidates: (C, 3) the top N_g by gradient loss;
    objectives: (C, 2) their (gradient loss, forward impact); front: (C,) bool on the front.
    """

    locations: np.ndarray
    values: np.ndarray
    candidates: np.ndarray
    objectives: np.ndarray
    front: np.ndarray


def _gradient_step(layer: keras.layers.Dense, rest: list[keras.layers.Layer]):  # noqa: ANN202
    """A compiled function (inputs, labels, kernel) -> (dL/dW summed, |inputs| summed)."""
    bias = layer.bias if layer.use_bias else 0.0

    @tf.function(reduce_retracing=True)
    def gradient(inputs: tf.Tensor, labels: tf.Tensor, kernel: tf.Tensor):  # noqa: ANN202
        with tf.GradientTape() as tape:
            tape.watch(kernel)
            outputs = layer.activation(tf.matmul(inputs, kernel) + bias)
            for later in rest:
                outputs = later(outputs, training=False)
            # The model's output loss, whatever the layer: any Dense layer can be localized.
            loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(labels, outputs))
        return tape.gradient(loss, kernel), tf.reduce_sum(tf.abs(inputs), axis=0)

    return gradient


def objectives_of_layer(
    model: keras.Model, layer_index: int, batches: Iterable[Batch]
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient loss and forward impact of every kernel weight of a Dense layer.

    Returns two (inputs, units) arrays: |dL/dW| with L the mean loss over all negatives, and
    |W_ij| * mean over negatives of |o_i|, o the layer's input (= mean of |o_i W_ij|).
    """
    check_chain(model, layer_index)
    layer = model.layers[layer_index]
    extract = input_extractor(model, layer_index)
    gradient = _gradient_step(layer, model.layers[layer_index + 1 :])
    kernel = tf.constant(layer.kernel.numpy())
    grad_sum = np.zeros(kernel.shape, dtype=np.float64)
    activity = np.zeros(kernel.shape[0], dtype=np.float64)
    count = 0
    for batch in batches:
        inputs = tf.constant(extract(batch.images))
        grad, abs_inputs = gradient(inputs, tf.constant(batch.labels.astype(np.int32)), kernel)
        grad_sum += grad.numpy()
        activity += abs_inputs.numpy()
        count += len(batch)
    if count == 0:
        raise DataFormatError("no negative inputs to localize faults with")
    grad_loss = np.abs(grad_sum) / count
    forward_impact = (activity / count)[:, None] * np.abs(kernel.numpy())
    return grad_loss, forward_impact


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
    flat_grad = grad_loss.ravel()
    top = np.argsort(-flat_grad, kind="stable")[: min(num_grad, flat_grad.size)]
    rows, cols = np.unravel_index(top, grad_loss.shape)
    objectives = np.stack([flat_grad[top], forward_impact.ravel()[top]], axis=1)
    front = pareto_front(objectives)
    candidates = np.stack([np.full_like(rows, layer_index), rows, cols], axis=1).astype(np.int64)
    kernel = model.layers[layer_index].kernel.numpy()
    chosen = candidates[front]
    return Localization(
        locations=chosen,
        values=kernel[chosen[:, 1], chosen[:, 2]],
        candidates=candidates,
        objectives=objectives,
        front=front,
    )
