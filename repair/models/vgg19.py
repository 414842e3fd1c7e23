"""``vgg19``: the 19-layer VGG of the reference toolkit (trained from scratch, never downloaded)."""

from __future__ import annotations

from collections.abc import Sequence

from repair.core.tf import keras
from repair.models.vgg16 import vgg_classifier


def build_vgg19(input_shape: Sequence[int], num_classes: int) -> keras.Model:
    """Keras VGG19 convolutional trunk (``weights=None``), then Dense(4096) x2 and the classifier.

    input_shape: (height, width, channels) with sides of at least 32 pixels (five poolings).
    """
    return vgg_classifier(keras.applications.VGG19, "vgg19", input_shape, num_classes)
