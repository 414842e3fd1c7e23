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


def test_vgg16_ends_with_the_papers_dense_layers() -> None:
    model = registry.load(registry.MODELS, "VGG16")((32, 32, 3), 10)
    dense = [layer.units for layer in model.layers if hasattr(layer, "units")]
    assert dense == [4096, 4096, 10]
    with pytest.raises(ModelError, match="at least 32x32"):
        registry.load(registry.MODELS, "vgg16")((8, 8, 1), 10)
