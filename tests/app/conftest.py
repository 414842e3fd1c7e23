"""Fixtures of the application-layer tests: a second digits model made by perturbing the shared
one (differs on some inputs, made in a second), and the BDD frames of tests/datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.datasets.conftest import bdd_root  # noqa: F401  (the fixture, for the BDD steps)


@pytest.fixture(scope="session")
def perturbed_model_dir(digits_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared digits model with seeded noise on its last layer's kernel."""
    from repair.core.model import load_model, save_model

    model = load_model(digits_model_dir)
    layer = model.layers[-1]
    kernel, *rest = layer.get_weights()
    rng = np.random.default_rng(0)
    layer.set_weights([kernel + rng.normal(0.0, 0.25 * kernel.std(), kernel.shape), *rest])
    folder = tmp_path_factory.mktemp("perturbed-model")
    save_model(model, folder)
    return folder
