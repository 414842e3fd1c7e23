"""The interface every repair method implements (entry-point group ``repair.methods``).

A method has two steps, as in the reference toolkit: ``localize`` finds what to change (for
Arachne, the weights to patch) and writes it into the output folder; ``optimize`` reads it back
and returns a repaired copy of the model. Loading the model and data, checking them, saving the
repaired model and writing ``summary.json`` are the same for every method and live in
:mod:`repair.app.repair`, so a method only does its own search.

A method module must not import TensorFlow at import time: the CLI loads method classes to read
their options (and for ``--help``) before any work starts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from repair.registry import NoOptions

if TYPE_CHECKING:
    from repair.core.data import SplitReader
    from repair.core.tf import keras


@dataclass(frozen=True)
class RepairTask:
    """What a method works on.

    model: the model to repair; a method must never change it (it returns a repaired copy).
    negatives: the inputs to fix (a split file, read in batches); never empty.
    positives: the inputs to keep correct; None for ``localize``, never empty for ``optimize``.
    output_dir: where the method writes its own files (``weights.csv``, ...).
    batch_size: images per forward pass of the model.
    seed: the run's seed; a method makes its ``np.random.Generator`` from it.
    device: ``auto``, ``cpu`` or ``gpu``, where the method runs its tensor work.
    model_dir: where the model was loaded from, when it was (NeuRecover reads the training
    checkpoints beside it); None for a model built in memory.
    """

    model: keras.Model
    negatives: SplitReader
    output_dir: Path
    positives: SplitReader | None = None
    batch_size: int = 32
    seed: int = 0
    device: str = "auto"
    model_dir: Path | None = None


@dataclass(frozen=True)
class ParetoFront:
    """Candidates of a two-objective localisation: objectives (C, 2), front (C,) bool; the
    caller draws it (methods never draw)."""

    objectives: np.ndarray
    front: np.ndarray
    title: str = ""


@dataclass(frozen=True)
class LocalizeResult:
    """message: one line for people (what was chosen); files: what the method wrote;
    pareto: the front it chose from, if any (drawn by the caller as pareto_front.png);
    notes: lines for people about the inputs the caller chose (printed on stderr)."""

    message: str
    files: tuple[Path, ...] = ()
    pareto: ParetoFront | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OptimizeResult:
    """model: the repaired copy; details: method facts for summary.json; files: what it wrote."""

    model: keras.Model
    details: dict[str, Any] = field(default_factory=dict)
    files: tuple[Path, ...] = ()


class RepairMethod(ABC):
    """A repair method: ``localize`` then ``optimize``.

    Subclasses set ``name``, ``description`` and, when they take options, ``localize_options``
    and ``optimize_options``: frozen dataclasses that validate themselves in ``__post_init__``
    (raising ``ConfigError``) and give each field ``metadata={"help": ...}``; the CLI builds them
    from ``--name=value`` arguments.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    localize_options: ClassVar[type] = NoOptions
    optimize_options: ClassVar[type] = NoOptions
    # What the method reads beside the model file (names in its folder), so that it travels with
    # the model to workers that share no disk with the driver.
    model_companions: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def localize_reads_positives(cls, options: Any) -> bool:
        """Whether ``localize`` with ``options`` reads ``task.positives`` (then the caller
        hands them over; by default it does not)."""
        return False

    @abstractmethod
    def localize(self, task: RepairTask, options: Any) -> LocalizeResult:
        """Find what to change to fix ``task.negatives`` and write it into ``task.output_dir``."""

    @abstractmethod
    def optimize(self, task: RepairTask, options: Any) -> OptimizeResult:
        """Read what ``localize`` wrote in ``task.output_dir`` and return a repaired copy."""
