"""Fixtures for the reports tests: per-label scores with BDD class names, PNG checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from repair.core.results import LabelScore, label_scores
from repair.datasets.bdd import BDD_CLASSES

BDD_NAMES = BDD_CLASSES


def scores(counts: dict[int, tuple[int, int]], names=BDD_NAMES) -> list[LabelScore]:
    """``{label: (correct, total)}`` -> label scores named from ``names``."""
    return [LabelScore(label, names[label], c, t) for label, (c, t) in sorted(counts.items())]


def check_png(path: Path, size: tuple[int, int]) -> np.ndarray:
    """Assert ``path`` is a valid PNG of ``size`` pixels that is not blank; return its pixels."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.size == size
        pixels = np.asarray(image.convert("RGB"))
    non_white = np.any(pixels < 250, axis=-1).mean()
    assert 0.02 < non_white < 0.9, f"chart looks blank or solid: {non_white:.3f} non-white"
    return pixels


@pytest.fixture
def bdd_predictions() -> tuple[np.ndarray, np.ndarray]:
    """True and predicted labels over 5 BDD classes; some predictions name absent classes."""
    rng = np.random.default_rng(0)
    true = rng.choice([2, 6, 8, 9, 12], size=600)
    predicted = np.where(rng.random(600) < 0.8, true, rng.choice([1, 2, 6, 7], size=600))
    return true, predicted


@pytest.fixture
def bdd_scores(bdd_predictions: tuple[np.ndarray, np.ndarray]) -> list[LabelScore]:
    true, predicted = bdd_predictions
    return label_scores(true, predicted, len(BDD_NAMES), BDD_NAMES)
