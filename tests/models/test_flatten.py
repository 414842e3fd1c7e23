"""`repair utils flatten_model`: a model of one's own that calls its convolutional trunk as one
nested layer (a Sequential block inside a functional trunk inside the model), trained a few
epochs on the digits, flattened through the CLI: the same outputs, its convolutions become
Arachne targets, and one is repaired (tosem) with a batched fitness equal to the patched model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split
from repair.core.model import load_model, predict_scores, save_model
from repair.core.tf import keras
from repair.methods.arachne.activations import targetable_layers
from tests.cli.test_messages import assert_error
from tests.conftest import run_ok, run_repair
from tests.methods.conftest import FAST
from tests.models.test_zoo import assert_fitness_equals_the_patched_model


def _nested_model() -> keras.Model:
    block = keras.Sequential(
        [keras.Input((8, 8, 8)), keras.layers.Conv2D(8, 3, padding="same", name="block_conv"),
         keras.layers.BatchNormalization(name="block_bn"), keras.layers.ReLU(name="block_relu")],
        name="block",
    )  # fmt: skip
    trunk_in = keras.Input((8, 8, 1))
    stem = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="stem_conv")(trunk_in)
    joined = keras.layers.Add(name="residual")([stem, block(stem)])
    pooled = keras.layers.MaxPooling2D(name="pool")(joined)
    trunk = keras.Model(trunk_in, pooled, name="trunk")
    inputs = keras.Input((8, 8, 1), name="image")
    out = keras.layers.Flatten(name="flatten")(trunk(inputs))
    out = keras.layers.Dense(10, activation="softmax", name="predictions")(out)
    return keras.Model(inputs, out, name="nested")


@pytest.fixture(scope="module")
def nested_dir(digits_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The nested model, trained 3 epochs on the digits (seconds), saved as model.keras."""
    keras.utils.set_random_seed(0)
    model = _nested_model()
    train = read_split(digits_data_dir / "train.h5")
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(train.images, np.eye(10)[train.labels], epochs=3, batch_size=64, verbose=0)
    folder = tmp_path_factory.mktemp("nested-model")
    save_model(model, folder)
    return folder


def test_flattening_keeps_the_outputs_and_makes_the_trunk_targetable(
    nested_dir: Path, digits_data_dir: Path, tmp_path: Path
) -> None:
    inspected = json.loads(run_ok(["inspect", f"--model_dir={nested_dir}", "--json"]).stdout)
    assert [row["nested_model"] for row in inspected["layers"]] == [False, True, False, False]
    table = run_ok(["inspect", f"--model_dir={nested_dir}"]).stdout
    assert "| no: a nested model (`repair utils flatten_model` inlines its layers) |" in table
    out = tmp_path / "flat"
    report = json.loads(run_ok(["utils", "flatten_model", "--model_dir", nested_dir,
                                "--output_dir", out, "--json"]).stdout)  # fmt: skip
    assert report["inlined"] == ["trunk"] and report["targets"] == [1, 3]
    nested, flat = load_model(nested_dir), load_model(out)
    assert report["layers"] == [len(nested.layers), len(flat.layers)]
    names = [layer.name for layer in flat.layers]
    assert {"stem_conv", "block_conv", "block_bn", "residual", "predictions"} <= set(names)
    images = read_split(digits_data_dir / "test.h5").images
    np.testing.assert_allclose(
        predict_scores(flat, images), predict_scores(nested, images), rtol=1e-5, atol=1e-6
    )
    kinds = [type(flat.layers[k]).__name__ for k in targetable_layers(flat)]
    assert kinds == ["Conv2D", "Conv2D", "Dense"]  # the stem's, the block's, and the head
    text = run_ok(["utils", "flatten_model", "--model_dir", nested_dir, "--output_dir",
                   tmp_path / "again"]).stdout  # fmt: skip
    assert "layers ->" in text and "Arachne targets 1 -> 3" in text


def test_a_convolution_inside_the_trunk_is_repaired_once_flattened(
    nested_dir: Path, digits_data_dir: Path, tmp_path: Path
) -> None:
    flat_dir = tmp_path / "flat"
    run_ok(["utils", "flatten_model", "--model_dir", nested_dir, "--output_dir", flat_dir])
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(digits_data_dir / "repair.h5", data / "repair.h5")
    run_ok(["target", "--model_dir", flat_dir, "--data_dir", data])
    flat = load_model(flat_dir)
    assert_fitness_equals_the_patched_model(flat, data, ("block_conv", "predictions"))
    conv = next(i for i, layer in enumerate(flat.layers) if layer.name == "block_conv")
    common = ["--model_dir", flat_dir, "--target_data_dir", data / "negative",
              "--output_dir", tmp_path / "out", "--version=tosem",
              "--positive_inputs_dir", data / "positive"]  # fmt: skip
    run_ok(["localize", "--method=arachne", *common, f"--layers={conv}", "--num_grad=20"])
    rows = (tmp_path / "out" / "weights.csv").read_text().split()
    assert rows and {int(row.split(",")[0]) for row in rows} == {conv}
    summary = json.loads(run_ok(["optimize", "--method=arachne", *common, *FAST, "--json"]).stdout)
    repaired = load_model(tmp_path / "out" / "repair" / "model.keras")
    negatives = read_split(data / "negative" / "repair.h5")
    fixed = np.argmax(predict_scores(repaired, negatives.images), axis=1) == negatives.labels
    assert int(fixed.sum()) == summary["patched"]


def test_what_cannot_be_flattened_is_one_line(nested_dir: Path, tmp_path: Path) -> None:
    assert_error(
        run_repair(
            ["utils", "flatten_model", "--model_dir", nested_dir, "--output_dir", nested_dir]
        ),  # fmt: skip
        2,
        "holds the model itself",
    )
    flat = tmp_path / "flat"
    run_ok(["utils", "flatten_model", "--model_dir", nested_dir, "--output_dir", flat])
    again = run_repair(["utils", "flatten_model", "--model_dir", flat, "--output_dir", tmp_path])
    assert_error(again, 1, "has no nested model; nothing to flatten")
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, keras.layers.Dense(4, name="dense")(inner_in), name="inner")
    outer_in = keras.Input((4,))
    clash = keras.Model(outer_in, keras.layers.Dense(3, name="dense")(inner(outer_in)))
    save_model(clash, tmp_path / "clash")
    result = run_repair(["utils", "flatten_model", "--model_dir", tmp_path / "clash",
                         "--output_dir", tmp_path / "out"])  # fmt: skip
    assert_error(result, 1, "layers named dense appear more than once")
    assert not (tmp_path / "out" / "model.keras").exists()
