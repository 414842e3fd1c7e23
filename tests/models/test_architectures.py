"""The registered architectures build models whose last layer is the classifier Arachne repairs."""

from __future__ import annotations

import pytest

from repair import registry
from repair.errors import ModelError


def test_base_handles_small_and_large_images() -> None:
    build = registry.load(registry.MODELS, "base")
    for shape in ((8, 8, 1), (32, 32, 3)):
        model = build(shape, 13)
        assert model.output_shape == (None, 13)
        assert model.layers[-1].activation.__name__ == "softmax"


def test_base_names_its_layers_the_same_whatever_the_process_built_before() -> None:
    """--target_layer names and report labels of a base model do not shift with Keras' global
    auto-naming counter (another model's unnamed layers built first in the same process)."""
    from repair.core.tf import keras

    build = registry.load(registry.MODELS, "base")
    keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3), keras.layers.MaxPooling2D()]
    )
    names = [
        "conv2d",
        "max_pooling2d",
        "conv2d_1",
        "max_pooling2d_1",
        "flatten",
        "dense",
        "dense_1",
    ]
    assert [layer.name for layer in build((8, 8, 1), 10).layers] == names
    assert [layer.name for layer in build((2, 2, 1), 10).layers] == [
        name for name in names if "pooling" not in name
    ]


def test_vgg16_ends_with_the_papers_dense_layers() -> None:
    model = registry.load(registry.MODELS, "VGG16")((32, 32, 3), 10)
    dense = [layer.units for layer in model.layers if hasattr(layer, "units")]
    assert dense == [4096, 4096, 10]
    with pytest.raises(ModelError, match="at least 32x32"):
        registry.load(registry.MODELS, "vgg16")((8, 8, 1), 10)
