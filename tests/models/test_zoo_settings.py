"""The zoo's settings files and the gate's labels: what they build, write and refuse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair import registry
from repair.core.data import read_split
from repair.errors import ConfigError
from repair.models.hydra import gate_labels
from repair.models.settings import ModelOptions
from tests.cli.test_messages import assert_error
from tests.conftest import run_ok, run_repair


def test_vgg19_has_sixteen_convolutions_and_the_papers_dense_layers() -> None:
    model = registry.load(registry.MODELS, "vgg19")((32, 32, 3), 10)
    # the trunk's layers are the model's own (built on its input), not one nested layer
    convolutions = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert len(convolutions) == 16
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [4096, 4096, 10]


def test_keras_app_builds_the_named_trunk_with_the_layers_on_top() -> None:
    settings = {
        "model": "MobileNetV2",
        "model_args": {"alpha": 0.35},
        "layers": [["GlobalAveragePooling2D", {}], ["Dropout", {"rate": 0.5}]],
        "optimizer": ["SGD", {"learning_rate": 0.01, "momentum": 0.9}],
    }
    model = registry.load(registry.MODELS, "keras_app")(
        (32, 32, 3), 4, options=ModelOptions(settings=settings)
    )
    top = [type(layer).__name__ for layer in model.layers[-3:]]
    assert "Conv1" in [layer.name for layer in model.layers]
    assert top == ["GlobalAveragePooling2D", "Dropout", "Dense"]
    assert type(model.optimizer).__name__ == "SGD" and model.output_shape == (None, 4)


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"model": "ResNet50", "weights": "imagenet"}, "repair never downloads"),
        ({"model": "ResNet50", "weights": "missing.h5"}, "no such file"),
        ({"model": "NoSuchNet"}, "must name a keras.applications model"),
        ({"model": "MobileNetV2", "layers": [["NoSuchLayer", {}]]}, "has no layer 'NoSuchLayer'"),
        ({"model": "MobileNetV2", "layers": [["Dense", {"unit": 3}]]}, "bad arguments for Dense"),
        ({"model": "MobileNetV2"}, '"layers" must end in flat vectors'),
        (
            {"model": "MobileNetV2", "layers": [["Flatten", {}]], "optimizer": ["Adamm", {}]},
            "no optimizer 'Adamm'",
        ),
        ({"layers": []}, 'must name "model"'),
    ],
)
def test_keras_app_settings_are_checked_before_any_download(settings, fragment, tmp_path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings))
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        registry.load(registry.MODELS, "keras_app")(
            (32, 32, 3), 4, options=ModelOptions(settings=settings, settings_dir=tmp_path)
        )


def test_train_refuses_imagenet_and_options_a_model_does_not_take(
    digits_data_dir: Path, tmp_path: Path
) -> None:
    settings = tmp_path / "app.json"
    settings.write_text(json.dumps({"model": "MobileNetV2", "weights": "imagenet"}))
    base = ["train", "--data_dir", digits_data_dir, "--output_dir", tmp_path / "out"]
    result = run_repair([*base, "--model=keras_app", f"--model_settings={settings}"])
    assert_error(result, 2, '"weights": "imagenet"', "never downloads")
    assert_error(run_repair([*base, "--model=keras_app"]), 2, "--model=keras_app needs")
    assert_error(run_repair([*base, "--model=base", "--branch_num=2"]), 2, "--branch_num")
    assert not (tmp_path / "out" / "model.keras").exists()


def test_vit_rejects_unknown_settings() -> None:
    with pytest.raises(ConfigError, match="unknown keys"):
        registry.load(registry.MODELS, "vit")(
            (8, 8, 1), 3, options=ModelOptions(settings={"patchsize": 4})
        )


def test_gate_labels_mark_the_first_group_holding_each_class() -> None:
    labels = np.array([0, 1, 2, 3, 4])
    out = gate_labels(labels, [[0, 3], [1, 2, 3], [4]])
    assert out.argmax(axis=1).tolist() == [0, 1, 1, 0, 2]
    assert out.sum(axis=1).tolist() == [1, 1, 1, 1, 1]


def test_create_gate_class_writes_the_three_gate_splits(
    digits_data_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.h5", "test.h5", "repair.h5"):
        shutil.copy(digits_data_dir / name, data / name)
    groups = tmp_path / "hydra.json"
    groups.write_text(json.dumps([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]))
    result = run_ok(
        ["utils", "create_gate_class", f"--hydra_setting_file={groups}", "--data_dir", data]
    )
    assert result.stdout.count("wrote ") == 3
    for name in ("train.h5", "test.h5", "repair.h5"):
        source, gate = read_split(data / name), read_split(data / "gate" / name)
        np.testing.assert_array_equal(gate.images, source.images)
        assert gate.labels.tolist() == (source.labels >= 5).astype(int).tolist()
    groups.write_text(json.dumps([[0, 1], [2]]))
    result = run_repair(
        ["utils", "create_gate_class", f"--hydra_setting_file={groups}", "--data_dir", data]
    )
    assert_error(result, 2, "are in no branch's list")
