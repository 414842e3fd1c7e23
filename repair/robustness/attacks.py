"""Evasion attacks (FGM, PGD) on Keras models through the Adversarial Robustness Toolbox.

ART (``adversarial-robustness-toolbox``, MIT) is an optional dependency, the ``adversarial``
extra: only this module imports it, and only when an attack runs. Its Keras estimator does not
work with Keras 3, so the model goes through ``TensorFlowV2Classifier``, which calls the model
as a function under ``tf.GradientTape``.

The attacks follow Goodfellow et al., "Explaining and harnessing adversarial examples" (ICLR
2015; FGM: one step of size eps along the sign of the loss gradient) and Madry et al., "Towards
deep learning models resistant to adversarial attacks" (ICLR 2018; PGD: steps of eps_step,
projected back onto the eps ball, from a random start in it).
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from repair.errors import ConfigError, RepairError

ATTACKS = ("fgm", "pgd")
NORMS = ("inf", "2")
INSTALL_HINT = "pip install 'repair[adversarial]'"
PGD_STEP_FACTOR = 2.5  # Madry et al. §C: eps_step = 2.5 * eps / steps reaches the ball's edge


class MissingExtraError(RepairError, ImportError):
    """An optional dependency of the command is not installed."""


@dataclass(frozen=True)
class AttackSpec:
    """One attack setting: ``method`` (fgm|pgd), ``eps`` (budget in the ``norm`` over pixels in
    [0, 1]), ``target`` (a label index for a targeted attack, else None), PGD's ``max_iter``."""

    method: str
    eps: float
    norm: str = "inf"
    target: int | None = None
    max_iter: int = 20

    def __post_init__(self) -> None:
        if self.method not in ATTACKS:
            raise ConfigError(f"--attack must be one of {', '.join(ATTACKS)}; got {self.method!r}")
        if self.norm not in NORMS:
            raise ConfigError(f"--norm must be one of {', '.join(NORMS)}; got {self.norm!r}")
        if not (np.isfinite(self.eps) and self.eps > 0):
            raise ConfigError(f"--eps values must be positive numbers; got {self.eps}")
        if self.max_iter < 1:
            raise ConfigError(f"--max_iter must be a positive integer; got {self.max_iter}")

    @property
    def kind(self) -> str:
        """The attack's name in files and tables: ``fgm``, ``pgd_l2``, ``fgm_to_3``..."""
        norm = "" if self.norm == "inf" else f"_l{self.norm}"
        target = "" if self.target is None else f"_to_{self.target}"
        return f"{self.method}{norm}{target}"

    @property
    def stratum(self) -> str:
        """``<kind>_<eps>``: the file stem, and the name of the stratum in the audit."""
        return f"{self.kind}_{format_eps(self.eps)}"

    def seed(self, random_state: int) -> int:
        """A 32-bit seed for this setting: the same for the same --random_state, kind and eps,
        whatever other settings run beside it."""
        key = (zlib.crc32(self.kind.encode()), zlib.crc32(format_eps(self.eps).encode()))
        return int(np.random.SeedSequence(random_state, spawn_key=key).generate_state(1)[0])


def format_eps(eps: float) -> str:
    """``0.03`` -> ``'0.03'``: the shortest text that reads back as the same number."""
    return f"{eps:g}" if float(f"{eps:g}") == eps else repr(float(eps))


@contextlib.contextmanager
def _logging_left_alone() -> Iterator[None]:
    """Skip the ``logging.config.dictConfig`` call of ART's ``__init__`` while importing it.

    That call closes every logging handler already set up (the application's, pytest's capture)
    and adds a stderr handler to any logger named ``tests``. ART's intent, a silent ``art``
    logger, is kept with a NullHandler.
    """
    original = logging.config.dictConfig
    logging.config.dictConfig = lambda config: None
    try:
        yield
    finally:
        logging.config.dictConfig = original
    logging.getLogger("art").addHandler(logging.NullHandler())


def import_art() -> Any:
    """The ``art`` package, or :class:`MissingExtraError` naming the pip command."""
    try:
        with warnings.catch_warnings(), _logging_left_alone():
            # ART warns on import that PyTorch is missing; nothing here needs it.
            warnings.simplefilter("ignore")
            import art.attacks.evasion
            import art.estimators.classification
    except ImportError:
        raise MissingExtraError(
            "repair attack needs the Adversarial Robustness Toolbox; install it with "
            f"{INSTALL_HINT}"
        ) from None
    return art


def logits_model(model: Any) -> tuple[Any, bool]:
    """The model without its final softmax, and whether its outputs are logits.

    The loss gradient through a saturated softmax is exactly zero in float32 (confident
    predictions give p = 1.0), which hides the gradient from FGM; attacks on logits do not
    suffer this. The clone shares every layer but the last, which gets the same weights and a
    linear activation. A model whose last layer is not a softmax is returned unchanged.
    """
    from repair.core.tf import keras

    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    if getattr(activation, "__name__", "") != "softmax":
        return model, False

    def clone(layer: Any) -> Any:
        if layer is not last:
            return layer
        config = layer.get_config()
        config["activation"] = "linear"
        return layer.__class__.from_config(config)

    logits = keras.models.clone_model(model, clone_function=clone)
    logits.layers[-1].set_weights(last.get_weights())
    return logits, True


def art_classifier(model: Any, num_classes: int, input_shape: tuple[int, ...]) -> Any:
    """An ART ``TensorFlowV2Classifier`` over ``model`` (images in [0, 1], cross-entropy loss)."""
    art = import_art()
    from repair.core.tf import keras

    network, from_logits = logits_model(model)
    return art.estimators.classification.TensorFlowV2Classifier(
        model=network,
        nb_classes=num_classes,
        input_shape=tuple(input_shape),
        loss_object=keras.losses.CategoricalCrossentropy(from_logits=from_logits),
        clip_values=(0.0, 1.0),
    )


@contextlib.contextmanager
def numpy_global_seed(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator for the block, then put its previous state back.

    ART draws PGD's random start from ``np.random`` (``art.utils.random_sphere``) and takes no
    generator; this makes that draw depend on the seed alone and leaves the caller's global
    state as it was.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def make_attack(classifier: Any, spec: AttackSpec, batch_size: int) -> Any:
    """The ART attack object for ``spec``."""
    art = import_art()
    norm = np.inf if spec.norm == "inf" else int(spec.norm)
    targeted = spec.target is not None
    if spec.method == "fgm":
        return art.attacks.evasion.FastGradientMethod(
            classifier, norm=norm, eps=spec.eps, targeted=targeted, batch_size=batch_size
        )
    return art.attacks.evasion.ProjectedGradientDescent(
        classifier,
        norm=norm,
        eps=spec.eps,
        eps_step=PGD_STEP_FACTOR * spec.eps / spec.max_iter,
        max_iter=spec.max_iter,
        targeted=targeted,
        num_random_init=1,
        batch_size=batch_size,
        verbose=False,
    )


def adversarial_examples(
    classifier: Any, images: np.ndarray, labels: np.ndarray, spec: AttackSpec, batch_size: int = 256
) -> np.ndarray:
    """Adversarial images (n, H, W, C) float32 in [0, 1] for ``images`` of true ``labels`` (n,).

    Untargeted attacks raise the loss of the true label; targeted ones lower the loss of
    ``spec.target``. Seed NumPy (:func:`numpy_global_seed`) around the call for PGD.
    """
    if len(images) == 0:
        return np.asarray(images, dtype=np.float32)
    goal = labels if spec.target is None else np.full(len(labels), spec.target)
    one_hot = np.eye(classifier.nb_classes, dtype=np.float32)[goal]
    attack = make_attack(classifier, spec, batch_size)
    adversarial = attack.generate(x=np.asarray(images, dtype=np.float32), y=one_hot)
    return np.asarray(adversarial, dtype=np.float32)
