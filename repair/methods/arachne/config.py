"""Arachne's options, one frozen dataclass per step, checked once when built.

The defaults are the paper's (Sohn, Kang, Yoo, arXiv 1912.12463, Sec. 4 "Experimental Setup"):
N_g = 20 x |I_neg|, 200 sampled positive inputs, 100 particles, at most 100 iterations,
phi = 4.1, and an early stop after 10 iterations without a better patch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from repair.errors import ConfigError
from repair.registry import PATH_OPTION

NUM_GRAD_PER_NEGATIVE = 20  # Sec. 4: "N_g is set to the number of negative inputs times 20"
VERSIONS = ("v1", "tosem")
LOCALIZERS = ("v1", "bidirectional")
SEARCHES = ("pso", "de")
FITNESSES = ("v1", "normalized", "tosem")
# What --version sets when the option itself is not given: (localizer, layers, search, fitness).
VERSION_DEFAULTS = {
    "v1": ("v1", "last", "pso", "v1"),
    "tosem": ("bidirectional", "all", "de", "tosem"),
}
VERSION_HELP = (
    "v1 (the conference paper and the public toolkit) or tosem (the journal version, TOSEM "
    "2023): sets --localizer, --layers, --search and --fitness where they are not given."
)


def check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> None:
    """Raise ConfigError unless ``value`` is None or one of ``choices``."""
    if value is not None and value not in choices:
        raise ConfigError(f"--{name} must be one of {', '.join(choices)}; got {value!r}")


def parse_layers(text: str) -> str | tuple[int, ...]:
    """``all``, ``last`` or comma-separated layer indices (negative counts from the end)."""
    if text in ("all", "last"):
        return text
    try:
        indices = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        indices = ()
    if not indices:
        raise ConfigError(f"--layers must be all, last or layer indices like 5,6; got {text!r}")
    return indices


def parse_label_weights(text: str) -> tuple[tuple[str, float], ...]:
    """``car=2,bus=0.5`` -> ((``car``, 2.0), (``bus``, 0.5)); weights must be >= 0."""
    pairs = []
    for part in (p for p in text.split(",") if p.strip()):
        name, sign, number = part.partition("=")
        try:
            weight = float(number)
        except ValueError:
            weight = float("nan")
        if not sign or not name.strip() or not weight >= 0 or weight == float("inf"):
            raise ConfigError(
                f"--label_weights parts look like car=2 (a label and a weight >= 0); "
                f"cannot read {part.strip()!r}"
            )
        pairs.append((name.strip(), weight))
    if not pairs:
        raise ConfigError(f"--label_weights needs at least one label=weight; got {text!r}")
    return tuple(pairs)


def check_phi(phi: float) -> None:
    """Eq. 3: chi = 2 / (phi - 2 + sqrt(phi^2 - 4 phi)) is real and < 1 only for phi > 4."""
    if isinstance(phi, bool) or not isinstance(phi, int | float) or not phi > 4.0:
        raise ConfigError(f"--velocity_phi must be a number greater than 4; got {phi}")


def check_alpha(alpha: float) -> None:
    """The weight of the negatives' term in a fitness: a positive, finite number."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1e12:
        raise ConfigError(f"--alpha must be a positive number; got {alpha}")


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
class SwarmConfig:
    """The particle swarm's own options, for a method that runs Arachne's swarm as it is."""

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
            "help": "Index in model.layers of the Dense or Conv2D layer to repair "
            "(default: the last Dense layer with one unit per class; negative counts from the end)."
        },
    )

    version: str = field(default="v1", metadata={"help": VERSION_HELP})
    localizer: str | None = field(
        default=None,
        metadata={
            "help": "v1 (cost on the negatives) or bidirectional (cost on the negatives against "
            "a same-size sample of positives; needs --positive_inputs_dir)."
        },
    )
    layers: str | None = field(
        default=None,
        metadata={
            "help": "Layers whose kernels are localized: last (the layer before the output, "
            "or --target_layer), all (every Dense and Conv2D layer), or indices like 5,6."
        },
    )

    def __post_init__(self) -> None:
        check_positive_int("num_grad", self.num_grad, allow_none=True)
        if self.target_layer is not None and (
            isinstance(self.target_layer, bool) or not isinstance(self.target_layer, int)
        ):
            raise ConfigError(f"--target_layer must be an integer; got {self.target_layer}")
        check_choice("version", self.version, VERSIONS)
        check_choice("localizer", self.localizer, LOCALIZERS)
        if self.layers is not None:
            parse_layers(self.layers)
            if self.target_layer is not None:
                raise ConfigError("give --target_layer or --layers, not both")

    @property
    def resolved_localizer(self) -> str:
        return self.localizer or VERSION_DEFAULTS[self.version][0]

    @property
    def resolved_layers(self) -> str | tuple[int, ...]:
        """``all``, ``last`` or layer indices; --target_layer K means (K,)."""
        if self.target_layer is not None:
            return (self.target_layer,)
        return parse_layers(self.layers or VERSION_DEFAULTS[self.version][1])

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

    version: str = field(default="v1", metadata={"help": VERSION_HELP})
    search: str | None = field(
        default=None,
        metadata={
            "help": "pso (particle swarm, the paper's) or de (differential evolution "
            "DE/rand/1/bin, population --num_particles, the journal version's)."
        },
    )
    fitness: str | None = field(
        default=None,
        metadata={
            "help": "v1 (Eq. 1 on sampled positives), normalized (each term of Eq. 1 divided by "
            "its set's size) or tosem (per input: 1 if correct, else 1/(1+loss); positives plus "
            "--alpha x negatives, over all positives)."
        },
    )
    alpha: float = field(
        default=10.0, metadata={"help": "Weight of the negatives in the tosem fitness."}
    )
    protect: str | None = field(
        default=None,
        metadata={
            "help": "Requirements the repair must keep, as in `utils compare --require` "
            "(e.g. 'car>=90,overall>=-0.5'): a patch that breaks one scores below every patch "
            "that keeps them all; read on the repair data (every positive and the negatives) "
            "and on --validation_data. A condition of the inputs' per-image keys may be "
            "protected: 'pedestrian@timeofday=night>=70', '@weather=rainy>=80' (every label)."
        },
    )
    label_weights: str | None = field(
        default=None,
        metadata={
            "help": "Per-label weights of the inputs in the fitness, e.g. 'car=2,bus=0.5' "
            "(others 1)."
        },
    )
    validation_data: str | None = field(
        default=None,
        metadata={
            "help": "A split file (or a folder with repair.h5) the repair does not search on: "
            "the kept model must satisfy --protect on it, or the original weights are kept.",
            PATH_OPTION: True,
        },
    )

    def __post_init__(self) -> None:
        check_choice("version", self.version, VERSIONS)
        check_choice("search", self.search, SEARCHES)
        check_choice("fitness", self.fitness, FITNESSES)
        check_alpha(self.alpha)
        if self.protect is not None:
            protected_requirements(self.protect)
        if self.label_weights is not None:
            parse_label_weights(self.label_weights)
        if self.validation_data is not None and self.protect is None:
            raise ConfigError("--validation_data is read only with --protect; give both")
        # The command line gives text: 'all', or a count ('200') that becomes an int.
        object.__setattr__(self, "num_input_pos_sampled", sample_count(self.num_input_pos_sampled))
        for name in ("num_particles", "num_iterations"):
            check_positive_int(name, getattr(self, name))
        check_positive_int("min_iteration_range", self.min_iteration_range)
        check_phi(self.velocity_phi)

    @property
    def resolved_search(self) -> str:
        return self.search or VERSION_DEFAULTS[self.version][2]

    @property
    def resolved_fitness(self) -> str:
        return self.fitness or VERSION_DEFAULTS[self.version][3]

    @property
    def uses_all_positives(self) -> bool:
        """The tosem fitness reads every positive, and --protect reads accuracies on the
        whole repair data: neither samples ``num_input_pos_sampled`` of them."""
        return self.resolved_fitness == "tosem" or self.protect is not None


def protected_requirements(text: str) -> list:
    """The parsed ``--protect`` requirements (the grammar of ``utils compare --require``)."""
    from repair.core.requirements import parse_requirements

    try:
        return parse_requirements(text)
    except ConfigError as error:
        raise ConfigError(f"--protect: {error}") from None
