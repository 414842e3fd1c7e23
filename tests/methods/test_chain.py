"""Which layers of functional models Arachne can replay from: calls read from the public graph."""

from __future__ import annotations

from repair.core.tf import keras
from repair.methods.arachne.activations import targetable_layers
from repair.methods.arachne.graph import calls_per_layer, tail_problem


def _dense(units: int, name: str) -> keras.layers.Dense:
    return keras.layers.Dense(units, name=name)


def test_a_chain_stays_a_chain_when_its_layers_also_serve_another_model() -> None:
    inputs = keras.Input((4,))
    first, hidden, last = _dense(4, "first"), _dense(4, "hidden"), _dense(3, "last")
    model = keras.Model(inputs, last(hidden(first(inputs))))
    keras.Model(inputs, last(first(inputs)))  # a second model calls `first` and `last` again
    calls = calls_per_layer(model)
    assert [calls[name] for name in ("first", "hidden", "last")] == [1, 1, 1]
    assert tail_problem(model, 1) is None
    assert targetable_layers(model) == [1, 2, 3]


def test_a_layer_called_twice_cannot_be_targeted_but_is_replayed_after_the_target() -> None:
    inputs = keras.Input((4,))
    first, shared, last = _dense(4, "first"), _dense(4, "shared"), _dense(3, "last")
    model = keras.Model(inputs, last(shared(shared(first(inputs)))))
    assert calls_per_layer(model)["shared"] == 2
    problem = tail_problem(model, 2)
    assert problem is not None and "layer 2 (shared) is called more than once" in problem
    assert targetable_layers(model) == [1, 3]
