"""The layers after Arachne's target layer, replayed in graph order on (particles x inputs) batches.

A patch changes the output of the earliest changed layer only; every layer that depends on it
runs again, on one tensor of (particles x inputs) rows. A functional model may branch and join
after that layer (residual additions, attention, HydraNet's branches and gate): a joining
layer also reads tensors that do not depend on the patch ("sides": the skip connection, the
other branches, the gate). Those are computed once per input, cached beside the layer's input,
and repeated for every particle when the tail runs. A Sequential model is a chain: no sides.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from repair.core.keras_graph import node_of, nodes_in_order
from repair.core.tf import keras, tf

Replay = Callable[[keras.layers.Layer, tf.Tensor], tf.Tensor]


_CALLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def calls_per_layer(model: keras.Model) -> dict[str, int]:
    """How many times the functional ``model`` calls each of its layers, by layer name.

    Read from ``model.get_config()`` (Keras' public description of the graph, the one
    model.keras saves): each layer's ``inbound_nodes`` are its calls inside this model, so a
    layer shared with another model counts only its calls here. Kept per model: a model's
    graph does not change, and ``repair inspect`` asks for each of a trunk's 150 layers.
    """
    if model not in _CALLS:
        layers = model.get_config()["layers"]
        _CALLS[model] = {layer["name"]: len(layer["inbound_nodes"]) for layer in layers}
    return _CALLS[model]


class Tail:
    """What runs after layer ``first`` of ``model``, up to its one output.

    steps: (layer, node) in an order where each node follows the nodes it reads, only those
    that depend on layer ``first`` or on a layer of ``changed`` (the other changed layers:
    one on a parallel path, such as another of HydraNet's heads, runs again on its cached
    input); sides: the tensors those nodes read that depend on none of them (KerasTensors of
    ``model``, in a fixed order). Raise ModelError via :func:`tail_problem` first: the
    constructor assumes the model passed it.
    """

    def __init__(self, model: keras.Model, first: int, changed: Sequence[int] = ()) -> None:
        self.chain = isinstance(model, keras.Sequential)
        if self.chain:
            self.steps = [(layer, None) for layer in model.layers[first + 1 :]]
            self.sides: list[Any] = []
            return
        self._changed = {id(model.layers[k]) for k in changed if k != first}
        self.start = _start_tensor(model, first)
        self.output = model.outputs[0]
        self._depends: dict[int, bool] = {}
        nodes = nodes_in_order([self.output], lambda t: t is self.start or not self.depends(t))
        self.steps = [(node.operation, node) for node in nodes]
        sides: dict[int, Any] = {}  # what the steps read that depends on no changed layer
        for node in nodes:
            for source in node.input_tensors:
                if not self.depends(source):
                    sides.setdefault(id(source), source)
        self.sides = list(sides.values())

    def depends(self, tensor: Any) -> bool:
        """Whether ``tensor`` changes with the output of layer ``first`` (or of a layer of
        ``changed``)."""
        pending = [tensor]
        while pending:
            current = pending[-1]
            if id(current) in self._depends:
                pending.pop()
                continue
            if current is self.start or id(node_of(current).operation) in self._changed:
                self._depends[id(current)] = True
                pending.pop()
                continue
            sources = node_of(current).input_tensors
            unknown = [s for s in sources if id(s) not in self._depends]
            if unknown:
                pending.extend(unknown)
                continue
            self._depends[id(current)] = any(self._depends[id(s)] for s in sources)
            pending.pop()
        return self._depends[id(tensor)]

    def output_sizes(self) -> list[int]:
        """Floats per input of every tensor the tail computes or reads (for chunking)."""
        if self.chain:
            shapes = [layer.output.shape for layer, _ in self.steps]
        else:
            shapes = [t.shape for t in self.sides]
            shapes += [out.shape for _, node in self.steps for out in node.outputs]
        return [_size(shape) for shape in shapes]

    def run(self, h: tf.Tensor, sides: Sequence[tf.Tensor], replay: Replay | None = None) -> Any:
        """The model's output for ``h``, the output of layer ``first`` (rows, ...), with
        ``sides`` (rows, ...) aligned with ``h``; ``replay(layer, x)`` stands in for the call of
        the layers it is asked about (None for the layers it leaves to Keras)."""
        if self.chain:
            for layer, _ in self.steps:
                out = replay(layer, h) if replay is not None else None
                h = layer(h, training=False) if out is None else out
            return h
        values = {id(self.start): h, **{id(t): v for t, v in zip(self.sides, sides, strict=True)}}
        for operation, node in self.steps:
            args, kwargs = node.arguments.fill_in(values)
            single = replay is not None and len(args) == 1
            outputs = replay(operation, args[0]) if single else None
            if outputs is None:
                if "training" in getattr(operation, "_call_context_args", ()):
                    kwargs["training"] = False
                outputs = operation(*args, **kwargs)
            for reference, value in zip(node.outputs, tf.nest.flatten(outputs), strict=True):
                values[id(reference)] = value
        return values[id(self.output)]


def _size(shape: Sequence[int | None]) -> int:
    size = 1
    for dim in shape[1:]:
        size *= int(dim or 1)
    return size


def _start_tensor(model: keras.Model, first: int) -> Any:
    """The output tensor of layer ``first`` in ``model``'s graph (its one call there)."""
    layer = model.layers[first]
    for node in layer._inbound_nodes:
        if node.outputs and _reaches(model.outputs[0], node.outputs[0]):
            return node.outputs[0]
    return layer.output


def _reaches(output: Any, start: Any) -> bool:
    pending, seen = [output], set()
    while pending:
        tensor = pending.pop()
        if tensor is start:
            return True
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        pending.extend(node_of(tensor).input_tensors)
    return False


def feeds(model: keras.Model, source: int, layer: int) -> bool:
    """Whether layer ``layer``'s output depends on layer ``source``'s (functional models;
    in a Sequential model, whether ``source`` comes first)."""
    if isinstance(model, keras.Sequential):
        return source < layer
    return _reaches(_start_tensor(model, layer), _start_tensor(model, source))


def tail_problem(model: keras.Model, first: int) -> str | None:
    """Why the layers after ``first`` cannot be replayed on batches of patches; None when they
    can: a Sequential model, or a functional one with one input and one output that calls
    layer ``first`` once and whose output depends on it."""
    if isinstance(model, keras.Sequential):
        return None
    layer = model.layers[first]
    if len(model.outputs) != 1:
        return f"Arachne needs a model with one output; this one has {len(model.outputs)}"
    if calls_per_layer(model).get(layer.name) != 1:
        return (
            f"layer {first} ({layer.name}) is called more than once in the model; Arachne "
            "repairs a layer with one input"
        )
    if not _reaches(model.outputs[0], _start_tensor(model, first)):
        return f"the model's output does not depend on layer {first} ({layer.name})"
    return None
