"""``hydra``: HydraNet, branches of one classifier and a gate that routes each input to one.

Source paper: Mullapudi et al., "HydraNets: Specialized Dynamic Architectures for Efficient
Inference" (CVPR 2018). The gate is trained on its own labels too: ``repair utils
create_gate_class`` writes them (which branch, i.e. which group of classes, an input belongs to).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from repair.core.tf import keras, tf
from repair.errors import ConfigError
from repair.models.keras_app import compile_with
from repair.models.settings import ModelOptions, build_layers, optimizer, stem

# The paper's widths (Sec. 4): stem blocks at half width, branches and gate at an eighth.
DEPTH, STEM_WIDTH, BRANCH_WIDTH, GATE_WIDTH = 2, 0.5, 0.125, 0.125
MIN_SIDE = 28  # two stride-2 steps, then the branches' 7x7 average pooling


@keras.saving.register_keras_serializable(package="repair")
class Combine(keras.layers.Layer):
    """The output of the branch the gate picks: inputs [b_0, ..., b_{B-1}, gate], each b_k
    (n, classes) and gate (n, B); output (n, classes) = b_{argmax gate}.

    The forward pass routes hard, as the reference does; the gradient flows to the gate as if
    its softmax weighed the branches (straight-through), so training end to end trains it.
    """

    def call(self, inputs: Sequence[Any]) -> Any:
        *branches, gate = inputs
        stacked = tf.stack(branches, axis=1)  # (n, B, classes)
        hard = tf.one_hot(tf.argmax(gate, axis=-1), len(branches), dtype=gate.dtype)
        through = gate - tf.stop_gradient(gate)  # zero in value, the gate's gradient
        return tf.einsum("nb,nbc->nc", hard, stacked) + tf.einsum("nb,nbc->nc", through, stacked)

    def compute_output_shape(self, input_shape: Sequence[Any]) -> tuple:
        return tuple(input_shape[0])


def check_branch_num(branch_num: int) -> int:
    if not isinstance(branch_num, int) or branch_num < 1:
        raise ConfigError(f"--branch_num must be a positive integer; got {branch_num!r}")
    return branch_num


def build_hydra(input_shape: Sequence[int], num_classes: int, options: ModelOptions) -> keras.Model:
    """HydraNet with ``options.branch_num`` branches.

    With ``--model_settings``: the stem is its ``augmentation`` and ``model`` trunk (the input
    itself when ``model`` is left out); each branch and the gate repeat its ``layers``, then
    ``Branch<k>_Dense`` (num_classes, softmax) and ``Gate_Dense`` (branch_num, softmax).
    Without: the paper's separable-convolution network (images of at least 28x28).
    """
    branch_num = check_branch_num(options.branch_num)
    inputs = keras.Input(shape=tuple(input_shape))
    settings = options.settings
    if settings is None:
        branches, gate = _paper_heads(inputs, branch_num, num_classes)
    else:
        trunk = stem(settings, options.settings_dir, inputs)
        branches = []
        for k in range(branch_num):
            out = trunk
            for layer in build_layers(settings, "layers", prefix=f"Branch{k}"):
                out = layer(out)
            branches.append(_classifier(out, num_classes, f"Branch{k}_Dense"))
        out = trunk
        for layer in build_layers(settings, "layers", prefix="Gate"):
            out = layer(out)
        gate = _classifier(out, branch_num, "Gate_Dense")
    model = keras.Model(inputs, Combine(name="combine")([*branches, gate]), name="hydra")
    compile_with(model, optimizer(settings))
    return model


def _classifier(out: Any, units: int, name: str) -> Any:
    if len(out.shape) != 2:
        out = keras.layers.Flatten(name=f"{name}_Flatten")(out)
    return keras.layers.Dense(units, activation="softmax", name=name)(out)


def _block(out: Any, width: float, channels: int, name: str) -> Any:
    """A residual block of separable convolutions with batch normalisation (the paper's)."""
    filters = int(channels * width)
    conv = keras.layers.SeparableConv2D
    norm = keras.layers.BatchNormalization
    shortcut = norm(epsilon=1.001e-5, name=f"{name}_ShortcutBN")(
        conv(filters, 3, padding="same", name=f"{name}_Shortcut")(out)
    )
    for n in range(DEPTH):
        for m in (1, 2):
            out = conv(filters, 3, padding="same", name=f"{name}_{n}_SepConv{m}")(out)
            out = norm(epsilon=1.001e-5, name=f"{name}_{n}_BN{m}")(out)
    return keras.layers.Add(name=f"{name}_Add")([shortcut, out])


def _paper_heads(inputs: Any, branch_num: int, num_classes: int) -> tuple[list[Any], Any]:
    height, width = int(inputs.shape[1]), int(inputs.shape[2])
    if min(height, width) < MIN_SIDE:
        raise ConfigError(
            f"--model=hydra without --model_settings needs images of at least {MIN_SIDE}x"
            f"{MIN_SIDE}; got {height}x{width} (give --model_settings for smaller images)"
        )
    out = keras.layers.Conv2D(64, 3, strides=2, padding="same", name="Input_Conv2D")(inputs)
    out = keras.layers.MaxPooling2D(3, strides=2, name="Input_MaxPool")(out)
    for k in range(3):
        out = _block(out, STEM_WIDTH, 128 * 2**k, f"Block{128 * 2**k}")
    branches = []
    for k in range(branch_num):
        branch = _block(out, BRANCH_WIDTH, 1024, f"Branch{k}")
        branch = keras.layers.GlobalAveragePooling2D(name=f"Branch{k}_AvgPool")(branch)
        branches.append(_classifier(branch, num_classes, f"Branch{k}_Dense"))
    gate = _block(out, GATE_WIDTH, 1024, "Gate")
    return branches, _classifier(gate, branch_num, "Gate_Dense")


def gate_labels(labels: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """(n, B) one-hot gate labels: column k marks the inputs whose class (labels, (n,) int) is
    in ``groups[k]`` (the first group that holds it); a class in no group gets a row of zeros."""
    out = np.zeros((len(labels), len(groups)), dtype=np.float32)
    for k in range(len(groups) - 1, -1, -1):  # later groups first: the first one wins
        out[np.isin(labels, list(groups[k]))] = np.eye(len(groups), dtype=np.float32)[k]
    return out
