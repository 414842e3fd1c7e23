"""Grad-CAM against its closed form on a model where it is known by hand.

For Conv2D (K filters) -> GlobalAveragePooling2D -> Dense (weights W, softmax), the class score
before the softmax is y^c = sum_k W[k, c] mean_ij A^k_ij + b_c, so d y^c / d A^k_ij = W[k, c]/(hw)
everywhere, alpha_k^c = W[k, c]/(hw) and the map is ReLU(sum_k W[k, c] A^k) / (hw).
"""

from __future__ import annotations

import numpy as np
import pytest

from repair.core.tf import keras
from repair.errors import ConfigError, ModelError
from repair.explain.gradcam import GradCam, conv_layers, gradcam_layer

FILTERS, CLASSES = 3, 4


def _tiny_model(padding: str, size: int = 6, final: str = "dense-softmax") -> keras.Model:
    rng = np.random.default_rng(7)
    inputs = keras.Input((size, size, 2))
    conv = keras.layers.Conv2D(FILTERS, 3, padding=padding, activation="relu", name="features")
    dense = keras.layers.Dense(CLASSES, activation="softmax" if final == "dense-softmax" else None)
    x = dense(keras.layers.GlobalAveragePooling2D()(conv(inputs)))
    if final == "softmax-layer":
        x = keras.layers.Softmax()(x)
    model = keras.Model(inputs, x)
    conv.set_weights([rng.normal(size=(3, 3, 2, FILTERS)), rng.normal(size=FILTERS) * 0.1])
    dense.set_weights([rng.normal(size=(FILTERS, CLASSES)), rng.normal(size=CLASSES)])
    return model


def _closed_form(model: keras.Model, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """ReLU(sum_k W[k, c] A^k) / (hw), with A computed in numpy from the conv weights."""
    kernel, bias = model.get_layer("features").get_weights()
    dense_kernel = next(
        layer for layer in model.layers if isinstance(layer, keras.layers.Dense)
    ).get_weights()[0]
    pad = 1 if model.get_layer("features").padding == "same" else 0
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    h, w = padded.shape[1] - 2, padded.shape[2] - 2
    features = np.zeros((len(images), h, w, FILTERS))
    for i in range(h):
        for j in range(w):
            patch = padded[:, i : i + 3, j : j + 3, :]
            features[:, i, j, :] = np.einsum("nabc,abck->nk", patch, kernel) + bias
    features = np.maximum(features, 0)
    weighted = np.einsum("nhwk,nk->nhw", features, dense_kernel[:, classes].T)
    return np.maximum(weighted, 0) / (h * w)


@pytest.mark.parametrize("final", ["dense-softmax", "softmax-layer", "linear"])
def test_maps_equal_the_closed_form(final: str) -> None:
    images = np.random.default_rng(0).random((5, 6, 6, 2)).astype(np.float32)
    classes = np.array([0, 1, 2, 3, 1])
    model = _tiny_model("same", final=final)
    explain = GradCam(model, gradcam_layer(model, None, "tiny"))
    assert explain.score == ("output" if final == "linear" else "logit")
    maps = explain(images, classes)
    assert maps.shape == (5, 6, 6) and maps.dtype == np.float32
    expected = _closed_form(model, images, classes)
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-6)
    assert (expected > 0).any() and (expected == 0).any()  # ReLU both ways: a real check


def test_smaller_feature_maps_are_upsampled_to_the_image() -> None:
    images = np.random.default_rng(1).random((3, 6, 6, 2)).astype(np.float32)
    classes = np.array([2, 0, 3])
    model = _tiny_model("valid")
    explain = GradCam(model, gradcam_layer(model, "features", "tiny"))
    np.testing.assert_allclose(
        explain.feature_maps(images, classes), _closed_form(model, images, classes), atol=1e-6
    )
    maps = explain(images, classes)
    assert maps.shape == (3, 6, 6)
    # Bilinear upsampling of the 4x4 map: the values stay within the coarse map's range.
    coarse = explain.feature_maps(images, classes)
    assert np.all(maps.max(axis=(1, 2)) <= coarse.max(axis=(1, 2)) + 1e-6)


def test_layer_choice_and_errors() -> None:
    model = _tiny_model("same")
    assert conv_layers(model) == [(1, "features")]
    with pytest.raises(ConfigError, match="Conv2D layers: features"):
        gradcam_layer(model, "dense", "tiny")
    dense_only = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2, name="out")]
    )
    with pytest.raises(ModelError, match=r"model m/model.keras has no Conv2D layer.*out \(Dense\)"):
        gradcam_layer(dense_only, None, "m/model.keras")
