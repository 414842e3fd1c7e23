"""vgg19 trained one epoch through the CLI on 32x32 digits, then inspected and repaired (its
classifier with v1, its last convolution with tosem).

The model is the paper's (39M parameters, mostly its two Dense(4096) layers), so the data is
kept tiny: 48 training images and 60 to repair, the 8x8 digits scaled up to 32x32x3.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split, write_split
from repair.core.model import load_model
from repair.methods.arachne.activations import targetable_layers
from tests.conftest import run_ok
from tests.methods.conftest import FAST
from tests.models.test_zoo import assert_fitness_equals_the_patched_model


def _scaled(split, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` images of ``split`` at 32x32x3 (each pixel a 4x4 block)."""
    images = np.kron(split.images[:count], np.ones((1, 4, 4, 1), dtype=np.float32))
    return np.repeat(images, 3, axis=-1), split.labels[:count]


@pytest.fixture(scope="module")
def vgg19_dir(digits_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with vgg19's model.keras trained one epoch, and its target/ layout."""
    data = tmp_path_factory.mktemp("vgg19-data")
    for name, count in (("train.h5", 48), ("repair.h5", 60)):
        images, labels = _scaled(read_split(digits_data_dir / name), count)
        write_split(data / name, images, labels, num_classes=10)
    out = tmp_path_factory.mktemp("vgg19")
    run_ok(["train", "--model=vgg19", "--data_dir", data, "--output_dir", out, "--epochs=1"])
    target = out / "target"
    target.mkdir()
    shutil.copy(data / "repair.h5", target / "repair.h5")
    run_ok(["target", "--model_dir", out, "--data_dir", target])
    return out


def test_vgg19_trains_and_inspect_marks_its_convolutions_and_dense_layers(vgg19_dir: Path) -> None:
    log = (vgg19_dir / "training_log.csv").read_text().splitlines()
    assert len(log) == 2 and log[0].startswith("epoch,")
    report = json.loads(run_ok(["inspect", f"--model_dir={vgg19_dir}", "--json"]).stdout)
    model = load_model(vgg19_dir)
    marked = [layer["index"] for layer in report["layers"] if layer["arachne_target"]]
    assert marked == targetable_layers(model)
    # The trunk's 16 convolutions are the model's own layers, then fc1, fc2 and the classifier.
    kinds = [type(model.layers[index]).__name__ for index in marked]
    assert kinds == ["Conv2D"] * 16 + ["Dense"] * 3
    assert [model.layers[index].units for index in marked[16:]] == [4096, 4096, 10]


def test_vgg19_batched_fitness_at_a_convolution_equals_the_patched_model(vgg19_dir) -> None:
    """The last convolution and the classifier: the replay runs pooling, Flatten and the two
    Dense(4096) layers on the batch of patches."""
    model = load_model(vgg19_dir)
    layers = ("block5_conv4", "predictions")
    assert_fitness_equals_the_patched_model(model, vgg19_dir / "target", layers)


@pytest.mark.parametrize("version", ["v1", "tosem"])
def test_vgg19_is_localized_and_optimized(vgg19_dir: Path, version: str, tmp_path: Path) -> None:
    model = load_model(vgg19_dir)
    data = tmp_path / "data"
    shutil.copytree(vgg19_dir / "target", data)
    if not (data / "negative" / "repair.h5").is_file():
        pytest.fail("one epoch left no misclassified input to repair")
    last = len(model.layers) - 1  # the classifier: Arachne's v1 target
    conv = next(i for i, layer in enumerate(model.layers) if layer.name == "block5_conv4")
    common = ["--model_dir", vgg19_dir, "--target_data_dir", data / "negative"]
    common += ["--output_dir", tmp_path / "out", f"--version={version}"]
    where = [] if version == "v1" else [f"--layers={conv}"]  # tosem: the last convolution
    positives = ["--positive_inputs_dir", data / "positive"]
    run_ok(["localize", "--method=arachne", *common, *where, *positives, "--num_grad=20"])
    rows = (tmp_path / "out" / "weights.csv").read_text().split()
    assert rows and {int(row.split(",")[0]) for row in rows} == {last if version == "v1" else conv}
    summary = json.loads(
        run_ok(["optimize", "--method=arachne", *common, *positives, *FAST, "--json"]).stdout
    )
    assert summary["negatives"] == len(read_split(data / "negative" / "repair.h5"))
    repaired = load_model(tmp_path / "out" / "repair" / "model.keras")
    assert repaired.count_params() == model.count_params()
