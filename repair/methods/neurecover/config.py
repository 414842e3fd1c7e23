"""NeuRecover's options: one frozen dataclass per step, checked once when built."""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.methods.arachne.config import (
    SwarmConfig,
    check_alpha,
    check_positive_int,
    parse_layers,
)
from repair.registry import PATH_OPTION

CHECKPOINTS_HELP = (
    "Folder of the training checkpoints epoch_NNN.keras (default: the checkpoints/ folder "
    "`repair train` writes beside the model); the last two are compared."
)


@dataclass(frozen=True)
class NeuRecoverLocalizeConfig:
    num_grad: int | None = field(
        default=None,
        metadata={
            "help": "Weights kept by gradient loss before the Pareto front "
            "(default: 20 x the number of degraded inputs)."
        },
    )
    layers: str = field(
        default="last",
        metadata={
            "help": "Layers whose kernels are localized: last, all (every Dense and Conv2D "
            "layer), or indices like 5,6."
        },
    )
    checkpoints: str | None = field(
        default=None, metadata={"help": CHECKPOINTS_HELP, PATH_OPTION: True}
    )

    def __post_init__(self) -> None:
        check_positive_int("num_grad", self.num_grad, allow_none=True)
        parse_layers(self.layers)


@dataclass(frozen=True)
class NeuRecoverOptimizeConfig(SwarmConfig):
    """Arachne's swarm options, plus the fitness's alpha and the checkpoints to compare."""

    alpha: float = field(
        default=1.0,
        metadata={
            "help": "Weight of the degraded inputs' term in the normalised fitness (1: both "
            "terms, each divided by its set's size, weigh the same)."
        },
    )
    checkpoints: str | None = field(
        default=None, metadata={"help": CHECKPOINTS_HELP, PATH_OPTION: True}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check_alpha(self.alpha)
