"""NeuRecover's fault localisation (Tokui et al., SANER 2022, Sec. III-B): the suspect weights.

A weight is a suspect when the loss on the degraded inputs is sensitive to it, when it carries
much of their signal (forward impact), and when the last epoch of training changed it most.

The gradient is the loss gradient: the public toolkit differentiates the sum of the softmax
outputs, which is 1 whatever the weights, so its gradient objective is identically zero. Each
objective on the degraded inputs is weighed against the same on the improved inputs (those the
last epoch fixed), cost / (1 + cost_improved), when there are any.
"""

from __future__ import annotations

import numpy as np

from repair.core.data import Batch
from repair.core.tf import keras
from repair.methods.arachne.localize import Localization, objectives_of_layer
from repair.methods.arachne.search_space import in_batches


def pareto_front_nd(objectives: np.ndarray) -> np.ndarray:
    """Mask (n,) of the points no other point dominates, every objective (n, d) maximised.

    A point is dominated when another is >= in every objective and > in one. O(n^2 d), in
    rows of the comparison so memory stays O(n d).
    """
    front = np.ones(len(objectives), dtype=bool)
    for index, point in enumerate(objectives):
        at_least = np.all(objectives >= point, axis=1)
        better = np.any(objectives > point, axis=1)
        front[index] = not np.any(at_least & better)
    return front


def layer_objectives(
    model: keras.Model,
    index: int,
    previous_kernel: np.ndarray,
    degraded: Batch,
    improved: Batch | None,
    batch_size: int,
) -> np.ndarray:
    """(rows, units, 3): gradient loss, forward impact and |weight change| of layer ``index``."""
    from repair.methods.arachne.activations import kernel_matrix

    grad, impact = objectives_of_layer(
        model, index, in_batches(degraded, batch_size), bidirectional=True
    )
    if improved is not None:
        grad_imp, impact_imp = objectives_of_layer(
            model, index, in_batches(improved, batch_size), bidirectional=True
        )
        grad, impact = grad / (1.0 + grad_imp), impact / (1.0 + impact_imp)
    change = np.abs(kernel_matrix(model.layers[index]) - previous_kernel)
    return np.stack([grad, impact, change], axis=-1)


def choose_weights(
    model: keras.Model, objectives: dict[int, np.ndarray], num_grad: int
) -> Localization:
    """Top ``num_grad`` by gradient loss over all layers, then their 3-objective Pareto front."""
    from repair.methods.arachne.activations import kernel_matrix

    layers = sorted(objectives)
    flat = np.concatenate([objectives[k].reshape(-1, 3) for k in layers])
    owner = np.concatenate([np.full(objectives[k][..., 0].size, k) for k in layers])
    local = np.concatenate([np.arange(objectives[k][..., 0].size) for k in layers])
    top = np.argsort(-flat[:, 0], kind="stable")[: min(num_grad, len(flat))]
    units = {k: objectives[k].shape[1] for k in layers}
    candidates = np.array(
        [(owner[t], *divmod(int(local[t]), units[int(owner[t])])) for t in top], dtype=np.int64
    ).reshape(-1, 3)
    front = pareto_front_nd(flat[top])
    chosen = candidates[front]
    matrices = {k: kernel_matrix(model.layers[k]) for k in layers}
    return Localization(
        locations=chosen,
        values=np.array([matrices[k][i, j] for k, i, j in chosen], dtype=np.float32),
        candidates=candidates,
        objectives=flat[top][:, :2],
        front=front,
    )
