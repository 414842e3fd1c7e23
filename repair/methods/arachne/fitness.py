"""Arachne's fitness of many candidate patches at once, in TensorFlow (GPU when present).

Fitness (paper, "Fitness Function", Eq. 1):
    fitness(p) = (N_patched + 1) / (L_neg + 1) + (N_intact + 1) / (L_pos + 1)
with N_patched the negatives the patch fixes, N_intact the sampled positives it keeps correct and
L the model's mean categorical cross-entropy on each set.

The reference writes each particle into the model and calls ``model.evaluate`` twice, per
particle. Here a patch changes only some kernel entries ``W[i, j]`` of Dense or Conv2D layers
(a Conv2D kernel read as the matrix (kh * kw * cin, filters)), so the pre-activation of the
earliest changed layer is ``pre + x[:, rows] @ delta`` with ``pre`` and ``x[:, rows]`` (input
columns, or input patch entries at every output position) cached once (:mod:`.activations`);
the layers after it run on one (particles x inputs) tensor, in graph order, beside the cached
tensors they also read (:mod:`.graph`). When only the output layer is
changed, this is the whole cost: cached logits plus a sparse correction. The per-input losses
and verdicts also feed the other fitnesses (:class:`.scores.Objective`).
"""

from __future__ import annotations

import numpy as np

from repair.core.tf import keras, tf
from repair.errors import ConfigError
from repair.methods.arachne.activations import (
    LayerCache,
    is_conv,
    kernel_matrix,
    layer_patches,
    pre_activation,
    reads_positions,
)
from repair.methods.arachne.graph import Tail
from repair.methods.arachne.scores import Objective, Scores, SetResults, fitness_formula

MAX_ELEMENTS = 1 << 24  # floats per intermediate tensor (64 MiB): inputs are chunked to fit


def device_name(device: str) -> str:
    """The TensorFlow device for ``auto``, ``cpu`` or ``gpu``; ConfigError when no GPU exists."""
    gpus = tf.config.list_logical_devices("GPU")
    if device == "cpu" or (device == "auto" and not gpus):
        return "/CPU:0"
    if device in ("gpu", "auto"):
        if not gpus:
            raise ConfigError("--device gpu: TensorFlow sees no GPU on this machine")
        return gpus[0].name
    raise ConfigError(f"--device must be auto, cpu or gpu; got {device!r}")


class _Site:
    """The changed weights of one Dense or Conv2D layer: where they sit in the particle vector."""

    def __init__(self, model: keras.Model, layer: int, locations: np.ndarray) -> None:
        self.layer = model.layers[layer]
        self.conv = is_conv(self.layer)
        self.positions_read = reads_positions(self.layer)  # conv, or Dense over sequences
        where = np.flatnonzero(locations[:, 0] == layer)
        self.positions = tf.constant(where, dtype=tf.int32)  # (M_l,) into the particle vector
        self.rows = tf.constant(locations[where, 1], dtype=tf.int32)
        units = int(self.layer.kernel.shape[-1])
        self.one_hot = tf.constant(np.eye(units, dtype=np.float32)[locations[where, 2]])

    def patch(self, deltas: tf.Tensor) -> tf.Tensor:
        """(P, M) particle deltas -> (P, M_l, units): each delta placed in its column j."""
        return tf.gather(deltas, self.positions, axis=1)[:, :, None] * self.one_hot[None]


class BatchedFitness:
    """Fitness of a batch of particles (P, M) on cached negatives and sampled positives.

    locations: (M, 3) int ``layer,i,j`` of the changed weights (``i`` a row of
    :func:`kernel_matrix`); original: (M,) their values; objective: the fitness over per-input
    results (None: Eq. 1). The layers after the earliest changed one must be replayable
    (:func:`.graph.tail_problem`, checked by caller).
    """

    def __init__(
        self,
        model: keras.Model,
        locations: np.ndarray,
        original: np.ndarray,
        negatives: LayerCache,
        positives: LayerCache,
        device: str = "auto",
        max_elements: int = MAX_ELEMENTS,
        objective: Objective | None = None,
    ) -> None:
        self.device = device_name(device)
        self.objective = objective
        self.original = np.asarray(original, dtype=np.float32)
        layers = sorted(set(int(k) for k in locations[:, 0]))
        self.first = layers[0]
        self.sites = {k: _Site(model, k, locations) for k in layers}
        self.tail = Tail(model, self.first, layers)
        self.later = {id(site.layer): site for k, site in self.sites.items() if k != self.first}
        first_size = int(np.prod(model.layers[self.first].output.shape[1:]))
        widest = max([first_size, *self.tail.output_sizes()])
        for index, site in self.sites.items():
            if site.conv and index != self.first:  # its input patches are built in full
                spatial = int(np.prod(site.layer.output.shape[1:-1]))
                widest = max(widest, spatial * int(np.prod(site.layer.kernel.shape[:-1])))
        self.max_elements, self.widest = max_elements, widest
        with tf.device(self.device):
            self.negatives = self._to_tensors(negatives)
            self.positives = self._to_tensors(positives)
        self._chunk = tf.function(self._chunk_scores, reduce_retracing=True)

    @staticmethod
    def _to_tensors(cache: LayerCache) -> tuple:
        return (
            tf.constant(cache.pre),
            tf.constant(cache.selected),
            tf.constant(cache.labels.astype(np.int32)),
            tuple(tf.constant(side) for side in cache.sides),
        )

    def _chunk_scores(
        self,
        pre: tf.Tensor,
        selected: tf.Tensor,
        labels: tf.Tensor,
        sides: tuple[tf.Tensor, ...],
        deltas: tf.Tensor,
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        """Loss (P, n) and correct (P, n) of P patches on n inputs, and their sums over inputs.

        pre: (n, units) cached pre-activation of the first changed layer; selected: (n, M_1)
        its cached input columns; labels: (n,) int32; sides: the tail's other inputs (n, ...);
        deltas: (P, M) patch minus original.
        """
        num_particles, num_inputs = tf.shape(deltas)[0], tf.shape(pre)[0]
        first = self.sites[self.first]
        # x @ (W + D) + b = (x @ W + b) + x[:, rows] @ D_sparse: cached part + sparse correction.
        if first.positions_read:  # the same at every position, over the cached entries
            flat = tf.reshape(selected, (num_inputs, -1, tf.shape(selected)[-1]))
            correction = tf.einsum("nsm,pmu->pnsu", flat, first.patch(deltas))
            z = pre[None] + tf.reshape(correction, tf.concat([[num_particles], tf.shape(pre)], 0))
            z = tf.reshape(z, tf.concat([[num_particles * num_inputs], tf.shape(pre)[1:]], 0))
        else:
            z = pre[None] + tf.einsum("nm,pmu->pnu", selected, first.patch(deltas))
            z = tf.reshape(z, (num_particles * num_inputs, -1))
        h = first.layer.activation(z)
        # Particle-major rows (p * n + i), so each side is repeated once per particle.
        tiled_sides = [
            tf.tile(side, [num_particles] + [1] * (len(side.shape) - 1)) for side in sides
        ]
        h = self.tail.run(h, tiled_sides, lambda layer, x: self._replay(layer, x, deltas))
        tiled = tf.tile(labels, [num_particles])
        # The model's own loss: keras reads the logits under a softmax output (no clipping),
        # exactly as model.evaluate(loss="categorical_crossentropy") does in the reference.
        losses = keras.losses.sparse_categorical_crossentropy(tiled, h)
        correct = tf.cast(tf.equal(tf.argmax(h, axis=-1, output_type=tf.int32), tiled), tf.int32)
        shape = (num_particles, num_inputs)
        losses, correct = tf.reshape(losses, shape), tf.reshape(correct, shape)
        return losses, correct, tf.reduce_sum(losses, axis=1), tf.reduce_sum(correct, axis=1)

    def _replay(self, layer: keras.layers.Layer, h: tf.Tensor, deltas: tf.Tensor) -> tf.Tensor:
        """A later changed layer patched per particle; None for the layers no patch touches."""
        site = self.later.get(id(layer))
        return None if site is None else self._patched(site, h, deltas)

    @staticmethod
    def _patched(site: _Site, h: tf.Tensor, deltas: tf.Tensor) -> tf.Tensor:
        """A later changed layer on (P * n, ...): shared layer + per-particle sparse correction."""
        layer, num_particles = site.layer, tf.shape(deltas)[0]
        z = pre_activation(layer, h, layer.kernel)
        picked = tf.gather(layer_patches(layer, h), site.rows, axis=-1)
        picked = tf.reshape(picked, (num_particles, -1, len(site.rows)))
        correction = tf.einsum("pnm,pmu->pnu", picked, site.patch(deltas))
        return layer.activation(z + tf.reshape(correction, tf.shape(z)))

    def _set_results(self, tensors: tuple, deltas: tf.Tensor) -> SetResults:
        pre, selected, labels, sides = tensors
        total = int(pre.shape[0])
        step = max(1, self.max_elements // max(1, int(deltas.shape[0]) * self.widest))
        loss_sum = np.zeros(int(deltas.shape[0]), dtype=np.float64)
        count = np.zeros(int(deltas.shape[0]), dtype=np.int64)
        losses, correct = [], []
        for start in range(0, total, step):
            part = slice(start, min(total, start + step))
            side_parts = tuple(side[part] for side in sides)
            chunk = self._chunk(pre[part], selected[part], labels[part], side_parts, deltas)
            losses.append(chunk[0].numpy())
            correct.append(chunk[1].numpy())
            loss_sum += chunk[2].numpy()
            count += chunk[3].numpy()
        return SetResults(
            np.concatenate(losses, axis=1),
            np.concatenate(correct, axis=1).astype(bool),
            loss_sum / max(total, 1),
            count,
        )

    def results(self, positions: np.ndarray) -> tuple[SetResults, SetResults]:
        """Per-input results of particles ``positions`` (P, M) on the negatives and positives."""
        with tf.device(self.device):
            deltas = tf.constant(np.asarray(positions, dtype=np.float32) - self.original)
            return self._set_results(self.negatives, deltas), self._set_results(
                self.positives, deltas
            )

    def __call__(self, positions: np.ndarray) -> Scores:
        """Scores of particles ``positions`` (P, M): the changed weights' new values."""
        negatives, positives = self.results(positions)
        if self.objective is not None:
            return self.objective(negatives, positives)
        return Scores(
            fitness_formula(
                negatives.count, negatives.mean_loss, positives.count, positives.mean_loss
            ),
            negatives.count,
            positives.count,
        )


def write_patch(model: keras.Model, locations: np.ndarray, values: np.ndarray) -> None:
    """Set entries ``layer,i,j`` of ``model``'s kernel matrices to ``values`` (M,), in place."""
    for layer_index in sorted(set(int(k) for k in locations[:, 0])):
        layer = model.layers[layer_index]
        where = locations[:, 0] == layer_index
        kernel = np.array(kernel_matrix(layer))
        kernel[locations[where, 1], locations[where, 2]] = values[where]
        layer.kernel.assign(kernel.reshape(layer.kernel.shape))


def compile_for_fitness(model: keras.Model) -> keras.Model:
    """Compile ``model`` as the reference does before ``model.evaluate``; returns it."""
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def model_fitness(
    model: keras.Model,
    negatives: tuple[np.ndarray, np.ndarray],
    positives: tuple[np.ndarray, np.ndarray],
    batch_size: int = 256,
) -> tuple[float, int, int]:
    """Eq. 1 the reference way: ``model.evaluate`` on (images, labels) of both sets.

    ``model`` must be compiled by :func:`compile_for_fitness`. Slow (full forward passes per
    call): the oracle the tests and the benchmark compare with.
    """
    num_classes = int(model.output_shape[-1])
    results = []
    for images, labels in (negatives, positives):
        one_hot = np.eye(num_classes, dtype=np.float32)[labels]
        loss, accuracy = model.evaluate(images, one_hot, batch_size=batch_size, verbose=0)
        results.append((loss, int(np.round(accuracy * len(labels)))))
    (loss_neg, patched), (loss_pos, intact) = results
    return float(fitness_formula(patched, loss_neg, intact, loss_pos)), patched, intact
