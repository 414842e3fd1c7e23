"""Which functional models Arachne can run layer by layer: read from Keras' public graph."""

from __future__ import annotations

from repair.core.tf import keras
from repair.methods.arachne.activations import calls_per_layer, chain_problem, targetable_layers


def _dense(units: int, name: str) -> keras.layers.Dense:
    return keras.layers.Dense(units, name=name)


def test_a_chain_stays_a_chain_when_its_layers_also_serve_another_model() -> None:
    inputs = keras.Input((4,))
    first, hidden, last = _dense(4, "first"), _dense(4, "hidden"), _dense(3, "last")
    model = keras.Model(inputs, last(hidden(first(inputs))))
    keras.Model(inputs, last(first(inputs)))  # a second model calls `first` and `last` again
    calls = calls_per_layer(model)
    assert [calls[name] for name in ("first", "hidden", "last")] == [1, 1, 1]
    assert chain_problem(model, 1) is None
    assert targetable_layers(model) == [1, 2, 3]


def test_a_layer_called_twice_breaks_the_chain_and_is_named() -> None:
    inputs = keras.Input((4,))
    first, shared, last = _dense(4, "first"), _dense(4, "shared"), _dense(3, "last")
    model = keras.Model(inputs, last(shared(shared(first(inputs)))))
    assert calls_per_layer(model)["shared"] == 2
    problem = chain_problem(model, 1)
    assert problem is not None and "layer 2 (shared) does not simply follow layer 1" in problem
    assert targetable_layers(model) == [3]
