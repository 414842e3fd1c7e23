"""Arachne's fitness formula and the per-particle scores: plain NumPy, shared by the batched
TensorFlow evaluation (:mod:`.fitness`) and the swarm (:mod:`.pso`), which stays free of
TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    """Per particle: fitness (P,) float64, patched (P,) and intact (P,) int64 counts."""

    fitness: np.ndarray
    patched: np.ndarray
    intact: np.ndarray


def fitness_formula(
    patched: np.ndarray, loss_neg: np.ndarray, intact: np.ndarray, loss_pos: np.ndarray
) -> np.ndarray:
    """Eq. 1 of the paper, elementwise over particles."""
    return (patched + 1.0) / (loss_neg + 1.0) + (intact + 1.0) / (loss_pos + 1.0)
