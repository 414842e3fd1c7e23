"""Grad-CAM maps: which pixels made the model give an input a class.

Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
Localization", ICCV 2017.

For the feature maps A^k (h, w) of a Conv2D layer (the last one by default) and the class score
y^c before the softmax:

    alpha_k^c = 1/(h w) sum_ij d y^c / d A^k_ij          (Eq. 1: global-average-pooled gradients)
    L^c = ReLU(sum_k alpha_k^c A^k)                       (Eq. 2)

and L^c is upsampled bilinearly to the input's H x W (Sec. 3). Imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from repair.core.tf import keras, tf
from repair.errors import ConfigError, ModelError


def conv_layers(model: keras.Model) -> list[tuple[int, str]]:
    """``(index in model.layers, name)`` of every Conv2D layer, in order."""
    return [
        (index, layer.name)
        for index, layer in enumerate(model.layers)
        if isinstance(layer, keras.layers.Conv2D)
    ]


def gradcam_layer(model: keras.Model, name: str | None, model_label: str) -> int:
    """The index of the Conv2D layer called ``name``, or of the last Conv2D layer when None.

    ModelError when the model has no Conv2D layer (naming ``model_label`` and its layers);
    ConfigError when ``name`` is not one of its Conv2D layers (listing those)."""
    convs = conv_layers(model)
    if not convs:
        kinds = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in model.layers)
        raise ModelError(
            f"model {model_label} has no Conv2D layer, which Grad-CAM needs; its layers: {kinds}"
        )
    if name is None:
        return convs[-1][0]
    for index, conv_name in convs:
        if conv_name == name:
            return index
    raise ConfigError(
        f"--layer must name a Conv2D layer of the model; got {name!r}. "
        f"Conv2D layers: {', '.join(conv_name for _, conv_name in convs)}"
    )


def _is_softmax(activation: object) -> bool:
    return getattr(activation, "__name__", "") == "softmax"


def score_model(model: keras.Model, layer_index: int) -> tuple[keras.Model, str]:
    """A model images -> (A: the layer's feature maps, y: the class scores), and what y is:
    ``logit`` (the input to a final softmax, which the paper differentiates) or ``output``
    (the model's outputs, when it ends in no softmax).

    A final softmax layer is cut off; a final layer with a softmax activation is rebuilt with a
    linear one in an independent clone (same weights), so the graph of A stays one graph."""
    last = model.layers[-1]
    if isinstance(last, keras.layers.Softmax) or (
        isinstance(last, keras.layers.Activation) and _is_softmax(last.activation)
    ):
        feature = model.layers[layer_index].output
        return keras.Model(model.inputs[0], [feature, last.input]), "logit"
    if not _is_softmax(getattr(last, "activation", None)):
        return keras.Model(
            model.inputs[0], [model.layers[layer_index].output, model.outputs[0]]
        ), "output"

    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if layer is last:
            config["activation"] = "linear"
        return layer.__class__.from_config(config)

    twin = keras.models.clone_model(model, clone_function=clone)
    twin.set_weights(model.get_weights())
    feature = twin.layers[layer_index].output
    return keras.Model(twin.inputs[0], [feature, twin.outputs[0]]), "logit"


class GradCam:
    """Grad-CAM of one model at one Conv2D layer; call it on batches of images.

    ``score``: what is differentiated, ``logit`` or ``output`` (see :func:`score_model`)."""

    def __init__(self, model: keras.Model, layer_index: int) -> None:
        if len(model.inputs) != 1:
            raise ModelError(
                f"Grad-CAM needs a model with one input; this one has {len(model.inputs)}"
            )
        self.layer_index = layer_index
        self.layer_name = model.layers[layer_index].name
        self._model, self.score = score_model(model, layer_index)

    def feature_maps(self, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """L^c at the layer's resolution: (n, h, w) float32 for images (n, H, W, C) and the
        class (n,) each map explains."""
        x = tf.convert_to_tensor(np.asarray(images, dtype=np.float32))
        with tf.GradientTape() as tape:
            features, scores = self._model(x, training=False)  # A: (n, h, w, K); y: (n, classes)
            chosen = tf.gather(scores, tf.constant(np.asarray(classes, np.int64)), batch_dims=1)
        gradients = tape.gradient(chosen, features)  # d y^c / d A^k_ij, (n, h, w, K)
        weights = tf.reduce_mean(gradients, axis=(1, 2))  # Eq. 1: alpha_k^c, (n, K)
        cam = tf.nn.relu(tf.einsum("nhwk,nk->nhw", features, weights))  # Eq. 2
        return cam.numpy().astype(np.float32)

    def __call__(self, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """L^c upsampled (bilinear) to the images' size: (n, H, W) float32."""
        cam = self.feature_maps(images, classes)
        height, width = np.asarray(images).shape[1:3]
        if cam.shape[1:] == (height, width):
            return cam
        resized = tf.image.resize(cam[..., None], (height, width), method="bilinear")
        return resized.numpy()[..., 0].astype(np.float32)


def gradcam_maps(
    model: keras.Model, batches: Iterable[tuple[np.ndarray, np.ndarray]], layer_index: int
) -> np.ndarray:
    """Grad-CAM maps (N, H, W) for ``(images, classes)`` batches, concatenated."""
    explain = GradCam(model, layer_index)
    maps = [explain(images, classes) for images, classes in batches]
    return np.concatenate(maps) if maps else np.zeros((0, 0, 0), np.float32)
