"""The interface every dataset plugin implements (entry-point group ``repair.datasets``).

A plugin first *indexes* its source (labels and ids of every sample, cheap), then *loads* the
images of any subset of samples on demand. :func:`repair.datasets.packing.pack_dataset` shuffles
the index, splits it and writes each split in chunks, so no split is ever whole in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from repair.registry import NoOptions


@dataclass(frozen=True)
class SampleIndex:
    """Every sample of a source, without its pixels.

    labels: (N,) int class indices; image_ids / attribute_ids: (N,) str or None; extras:
    per-image string keys (such as BDD's ``weather``) -> (N,) str, written beside the images.
    """

    labels: np.ndarray
    class_names: tuple[str, ...]
    image_ids: np.ndarray | None = None
    attribute_ids: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)


class DatasetPlugin(ABC):
    """A source of labelled images.

    Subclasses set ``name``, ``options_class`` (a frozen dataclass of their own options,
    parsed from the command line) and ``needs_input_dir``.
    """

    name: ClassVar[str]
    options_class: ClassVar[type] = NoOptions
    needs_input_dir: ClassVar[bool] = True
    description: ClassVar[str] = ""

    def __init__(self, input_dir: Path | None, options: object) -> None:
        self.input_dir = input_dir
        self.options = options

    @abstractmethod
    def index(self) -> SampleIndex:
        """Labels and ids of every sample; raise DataFormatError naming what is missing."""

    @abstractmethod
    def load(self, positions: np.ndarray) -> np.ndarray:
        """Images of the samples at ``positions`` of the index: (n, H, W, C) float32 in [0, 1]."""
