"""DRWeightMerge's options: one frozen dataclass per step, checked once when built."""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.methods.arachne.config import check_phi, check_positive_int, parse_layers


@dataclass(frozen=True)
class DRLocalizeConfig:
    weight_path: str | None = field(
        default=None,
        metadata={
            "help": "The settings file dr_setting.json (misclassification types and weights; "
            "default: dr_setting.json in the negative root if there, else every "
            "negative/<true>/<predicted> type weighed equally)."
        },
    )
    negative_root_dir: str | None = field(
        default=None,
        metadata={
            "help": "The negative/ folder of `repair target` holding <true>/<predicted>/ "
            "(default: --target_data_dir)."
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
class DROptimizeConfig:
    num_particles: int = field(default=100, metadata={"help": "Particles in the swarm."})
    num_iterations: int = field(default=100, metadata={"help": "Most swarm iterations."})
    velocity_phi: float = field(
        default=4.1, metadata={"help": "phi of the constriction factor chi; must exceed 4."}
    )
    min_iteration_range: int = field(
        default=10, metadata={"help": "Stop after this many iterations without a better patch."}
    )

    def __post_init__(self) -> None:
        for name in ("num_particles", "num_iterations", "min_iteration_range"):
            check_positive_int(name, getattr(self, name))
        check_phi(self.velocity_phi)
