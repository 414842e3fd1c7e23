"""Arachne's localisation: objectives against direct computations, the Pareto front against
the O(n^2) definition, weights.csv on disk."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import SplitReader, read_split
from repair.core.model import load_model
from repair.core.tf import keras, tf
from repair.methods.arachne.localize import localize_layer, objectives_of_layer, pareto_front
from tests.conftest import run_ok, run_repair


def brute_force_front(points: np.ndarray) -> np.ndarray:
    """The definition: no other point is >= in both objectives and > in one."""
    return np.array([not any(np.all(q >= p) and np.any(q > p) for q in points) for p in points])


@pytest.mark.parametrize("seed", range(5))
def test_pareto_front_matches_definition_with_ties(seed: int) -> None:
    points = np.random.default_rng(seed).integers(0, 6, size=(60, 2)).astype(float)
    np.testing.assert_array_equal(pareto_front(points), brute_force_front(points))


def test_pareto_front_edge_cases() -> None:
    assert pareto_front(np.zeros((0, 2))).shape == (0,)
    assert pareto_front(np.array([[1.0, 1.0], [1.0, 1.0]])).all()  # equal points share the front
    assert list(pareto_front(np.array([[2.0, 1.0], [1.0, 2.0], [1.0, 1.0]]))) == [1, 1, 0]


@pytest.mark.parametrize("layer_index", [-1, -2])
def test_objectives_match_the_model(
    digits_model_dir: Path, target_dir: Path, layer_index: int
) -> None:
    """Gradient loss = |dL/dW| of the mean loss of the whole model over all negatives, computed
    here in one pass on the real model; forward impact = mean |o_i w_ij| over the negatives."""
    model = load_model(digits_model_dir)
    index = layer_index % len(model.layers)
    negatives = read_split(target_dir / "negative" / "repair.h5")
    with SplitReader(target_dir / "negative" / "repair.h5") as reader:
        grad_loss, impact = objectives_of_layer(model, index, reader.batches(7))

    layer = model.layers[index]
    one_hot = np.eye(10, dtype=np.float32)[negatives.labels]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(
            keras.losses.categorical_crossentropy(one_hot, model(negatives.images))
        )
    expected = np.abs(tape.gradient(loss, layer.kernel.value).numpy())
    np.testing.assert_allclose(grad_loss, expected, rtol=1e-4, atol=1e-7)

    inputs = keras.Model(model.inputs[0], layer.input)(negatives.images).numpy()
    kernel = layer.kernel.numpy()
    for i, j in [(0, 0), (3, 5), (kernel.shape[0] - 1, kernel.shape[1] - 1)]:
        direct = np.mean(np.abs(inputs[:, i] * kernel[i, j]))
        assert impact[i, j] == pytest.approx(direct, rel=1e-5, abs=1e-9)


def test_localize_layer_keeps_the_front_of_the_top_num_grad(
    digits_model_dir: Path, target_dir: Path
) -> None:
    model = load_model(digits_model_dir)
    last = len(model.layers) - 1
    negatives = read_split(target_dir / "negative" / "repair.h5")
    found = localize_layer(model, last, [negatives], num_grad=50)
    assert len(found.candidates) == 50
    assert np.all(np.diff(found.objectives[:, 0]) <= 0)  # by decreasing gradient loss
    np.testing.assert_array_equal(found.front, brute_force_front(found.objectives))
    kernel = model.layers[last].kernel.numpy()
    assert np.all(found.locations[:, 0] == last)
    np.testing.assert_array_equal(
        found.values, kernel[found.locations[:, 1], found.locations[:, 2]]
    )
    huge = localize_layer(model, last, [negatives], num_grad=10**9)
    assert len(huge.candidates) == kernel.size


def read_weights(path: Path) -> list[list[str]]:
    with path.open(newline="") as file:
        return list(csv.reader(file))


def test_localize_command_writes_weights_csv(digits_model_dir: Path, work_dir: Path) -> None:
    negative = work_dir / "negative"
    result = run_ok(
        ["localize", "--method=arachne", "--model-dir", digits_model_dir,
         "--target_data_dir", negative, "--num_grad=40", "--batch_size=5"]
    )  # fmt: skip
    assert "localized" in result.stdout
    rows = read_weights(negative / "weights.csv")  # default output: the target data folder
    assert rows and all(len(row) == 4 for row in rows)
    model = load_model(digits_model_dir)
    kernel = model.layers[-1].kernel.numpy()
    for layer, i, j, value in rows:
        assert int(layer) == len(model.layers) - 1
        assert float(value) == pytest.approx(float(kernel[int(i), int(j)]), rel=1e-6)
    assert (negative / "pareto_front.png").stat().st_size > 0
    # Committed as one set and recorded as localize's (optimize only rewrites weights.csv).
    manifest = json.loads((negative / ".repair-localize.json").read_text())
    assert manifest["files"] == ["pareto_front.png", "weights.csv"]
    assert not list(negative.glob(".localize-staging-*")) and "staging" not in result.stdout


def test_localize_target_layer_option(digits_model_dir: Path, work_dir: Path) -> None:
    out = work_dir / "hidden"
    args = ["localize", "--model_dir", digits_model_dir, "--target_data_dir",
            work_dir / "negative", "--output_dir", out]  # fmt: skip
    run_ok([*args, "--target_layer=-2"])
    model = load_model(digits_model_dir)
    assert {int(row[0]) for row in read_weights(out / "weights.csv")} == {len(model.layers) - 2}
    run_ok([*args, "--target_layer", "0"])  # a Conv2D layer: rows index (kh, kw, cin)
    assert {int(row[0]) for row in read_weights(out / "weights.csv")} == {0}
    assert max(int(row[1]) for row in read_weights(out / "weights.csv")) < 3 * 3 * 3
    pooling = run_repair([*args, "--target_layer", "1"])
    assert pooling.exit_code == 2  # a usage error, listing the layers Arachne can target
    assert "Dense and Conv2D" in pooling.stderr and "Traceback" not in pooling.stderr
    out_of_range = run_repair([*args, "--target_layer=99"])
    assert out_of_range.exit_code == 2 and "--target_layer" in out_of_range.stderr
