"""DRWeightMerge's options: one frozen dataclass per step, checked once when built."""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.methods.arachne.config import SwarmConfig, check_positive_int, parse_layers
from repair.registry import PATH_OPTION


@dataclass(frozen=True)
class DRLocalizeConfig:
    weight_path: str | None = field(
        default=None,
        metadata={
            "help": "The settings file dr_setting.json (misclassification types and weights; "
            "default: dr_setting.json in the negative root if there, else every "
            "negative/<true>/<predicted> type weighed equally).",
            PATH_OPTION: True,
        },
    )
    negative_root_dir: str | None = field(
        default=None,
        metadata={
            "help": "The negative/ folder of `repair target` holding <true>/<predicted>/ "
            "(default: --target_data_dir).",
            PATH_OPTION: True,
        },
    )
    num_grad: int | None = field(
        default=None,
        metadata={
            "help": "Weights kept by gradient loss before the Pareto front, per type "
            "(default: 20 x the type's negatives)."
        },
    )
    layers: str = field(
        default="last",
        metadata={
            "help": "Layers whose kernels are localized: last, all (every Dense and Conv2D "
            "layer), or indices like 5,6."
        },
    )

    def __post_init__(self) -> None:
        check_positive_int("num_grad", self.num_grad, allow_none=True)
        parse_layers(self.layers)


@dataclass(frozen=True)
class DROptimizeConfig(SwarmConfig):
    """Arachne's swarm options; the search reads every negative and every positive."""
