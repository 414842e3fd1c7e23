"""Arachne's options, one frozen dataclass per step, checked once when built.

The defaults are the paper's (Sohn, Kang, Yoo, arXiv 1912.12463, Sec. 4 "Experimental Setup"):
N_g = 20 x |I_neg|, 200 sampled positive inputs, 100 particles, at most 100 iterations,
phi = 4.1, and an early stop after 10 iterations without a better patch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.errors import ConfigError

NUM_GRAD_PER_NEGATIVE = 20  # Sec. 4: "N_g is set to the number of negative inputs times 20"


def check_positive_int(name: str, value: int | None, allow_none: bool = False) -> None:
    """Raise ConfigError unless ``value`` is an int >= 1 (or None when allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"--{name} must be a positive integer; got {value}")


ALL = "all"


def sample_count(value: int | str) -> int | str:
    """``'all'``, or a positive int (from an int or its text); ConfigError otherwise."""
    if isinstance(value, str) and value.strip().lower() == ALL:
        return ALL
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"--num_input_pos_sampled must be a positive integer or 'all'; got {value}"
        )
    return value


@dataclass(frozen=True)
class LocalizeConfig:
    num_grad: int | None = field(
        default=None,
        metadata={
            "help": "Weights kept by gradient loss before the Pareto front "
            "(default: 20 x the number of negatives)."
        },
    )
    target_layer: int | None = field(
        default=None,
        metadata={
            "help": "Index in model.layers of the Dense layer to repair "
            "(default: the last Dense layer with one unit per class; negative counts from the end)."
        },
    )

    def __post_init__(self) -> None:
        check_positive_int("num_grad", self.num_grad, allow_none=True)
        if self.target_layer is not None and (
            isinstance(self.target_layer, bool) or not isinstance(self.target_layer, int)
        ):
            raise ConfigError(f"--target_layer must be an integer; got {self.target_layer}")

    def resolved_num_grad(self, num_negatives: int) -> int:
        return self.num_grad or NUM_GRAD_PER_NEGATIVE * num_negatives


@dataclass(frozen=True)
class OptimizeConfig:
    num_particles: int = field(default=100, metadata={"help": "Particles in the swarm."})
    num_iterations: int = field(default=100, metadata={"help": "Most swarm iterations."})
    num_input_pos_sampled: int | str = field(
        default=200,
        metadata={
            "help": "Positive inputs sampled (once) to guard against breaking, or 'all' for "
            "every positive."
        },
    )
    velocity_phi: float = field(
        default=4.1, metadata={"help": "phi of the constriction factor chi; must exceed 4."}
    )
    min_iteration_range: int = field(
        default=10, metadata={"help": "Stop after this many iterations without a better patch."}
    )

    def __post_init__(self) -> None:
        # The command line gives text: 'all', or a count ('200') that becomes an int.
        object.__setattr__(self, "num_input_pos_sampled", sample_count(self.num_input_pos_sampled))
        for name in ("num_particles", "num_iterations"):
            check_positive_int(name, getattr(self, name))
        check_positive_int("min_iteration_range", self.min_iteration_range)
        phi = self.velocity_phi
        if isinstance(phi, bool) or not isinstance(phi, int | float) or not phi > 4.0:
            # Eq. 3: chi = 2 / (phi - 2 + sqrt(phi^2 - 4 phi)) is real and < 1 only for phi > 4.
            raise ConfigError(f"--velocity_phi must be a number greater than 4; got {phi}")
