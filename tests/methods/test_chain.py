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


def test_a_nested_model_is_no_target_and_says_how_to_make_its_layers_targets() -> None:
    from repair.methods.arachne.activations import check_chain, target_problem

    trunk_input = keras.Input((4,))
    trunk = keras.Model(trunk_input, _dense(4, "inner")(trunk_input), name="trunk")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, _dense(3, "head")(trunk(inputs)))
    assert targetable_layers(model) == [2]  # the head; the trunk's Dense is inside a layer
    problem = target_problem(model, 1)
    assert problem is not None and "layer 1 (trunk) is a nested model" in problem
    assert "input_tensor" in problem
    check_chain(model, 2)  # the head alone replays


def test_layers_on_parallel_paths_replay_together_but_not_against_graph_order() -> None:
    import pytest

    from repair.errors import ModelError
    from repair.methods.arachne.activations import check_chain
    from repair.methods.arachne.graph import Tail

    inputs = keras.Input((4,))
    left, right = _dense(3, "left")(inputs), _dense(3, "right")(inputs)
    model = keras.Model(inputs, keras.layers.Add(name="join")([left, right]))
    check_chain(model, 1, [1, 2])  # the two heads in one search
    tail = Tail(model, 1, [1, 2])
    assert [layer.name for layer, _ in tail.steps] == ["right", "join"]
    assert [side.shape for side in tail.sides] == [(None, 4)]  # the right head's own input
    start = keras.Input((4,))
    chain = keras.Model(start, _dense(3, "c")(_dense(4, "b")(_dense(4, "a")(start))))
    with pytest.raises(ModelError, match=r"layers 1 \(a\) feed layer 2 \(b\)"):
        check_chain(chain, 2, [2, 1])  # a listed layer ahead of the first: not graph order
