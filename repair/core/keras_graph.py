"""Walking a functional Keras model's graph: the node behind a tensor, the nodes in order.

Keras 3 has no public way from a symbolic tensor to the node that made it, so this module is
the one place that reads ``_keras_history`` and ``_inbound_nodes``. Arachne's replay of the
layers after its target and the flattening of nested models both walk the graph through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def node_of(tensor: Any) -> Any:
    """The graph node of a functional model that produced the symbolic ``tensor``."""
    operation, node_index, _ = tensor._keras_history
    return operation._inbound_nodes[node_index]


def nodes_in_order(outputs: list[Any], given: Callable[[Any], bool]) -> list[Any]:
    """The nodes that compute ``outputs`` from the tensors ``given`` says are known, each after
    the nodes it reads (depth-first post-order, without recursion: trunks are deep)."""
    order, seen = [], set()
    stack = [(tensor, False) for tensor in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        node = node_of(tensor)
        if expanded:
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
            continue
        if given(tensor) or id(node) in seen:
            continue
        stack.append((tensor, True))
        stack.extend((source, False) for source in reversed(node.input_tensors))
    return order
