"""Arachne's ``optimize``: run the swarm (or DE) and keep its best patch or the original weights.

Positives are sampled once (paper, Sec. 4: "200 positive inputs"); the layer activations feeding
the earliest localized layer are computed once for every negative and sampled positive
(:mod:`.search_space`); then each swarm iteration scores all particles in one batched
computation (:mod:`.fitness`). The outcome is written as weights.csv and history.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
from tqdm import tqdm

from repair.core.data import Batch, SplitReader
from repair.core.run_files import (
    HISTORY_FILENAME,
    WEIGHTS_FILENAME,
    write_history,
    write_repaired,
)
from repair.core.tf import keras
from repair.methods.arachne import activations, de, pso
from repair.methods.arachne.config import (
    OptimizeConfig,
    parse_label_weights,
    protected_requirements,
)
from repair.methods.arachne.fitness import BatchedFitness
from repair.methods.arachne.protect import (
    RequirementGuard,
    check_validation_strata,
    describe_failures,
    failed,
    input_columns,
    input_weights,
    validation_failures,
    validation_path,
)
from repair.methods.arachne.scores import Objective
from repair.methods.arachne.search_space import (
    batched_fitness,
    check_swarm_fits,
    checked_locations,
    in_batches,
    repaired_copy,
    sample_positives,
    swarm_bounds,
)
from repair.methods.base import RepairTask


@dataclass(frozen=True)
class SearchOutcome:
    """model: the repaired copy; locations (M, 3); original, repaired (M,) weight values;
    history: (iteration, best fitness, patched, intact) per iteration; the counts are those of
    the returned weights on the inputs the search used; original_fitness: the unpatched model's;
    kept_original: no patch beat it (or the best broke a protected requirement), so the
    original weights were kept; protect_failures: the protected requirements it broke."""

    model: keras.Model
    locations: np.ndarray
    original: np.ndarray
    repaired: np.ndarray
    history: list[tuple[int, float, int, int]]
    patched: int
    num_negatives: int
    intact: int
    num_positives: int
    original_fitness: float
    kept_original: bool
    protect_failures: list[str] = field(default_factory=list)


def keep_original(
    best_fitness: float, best_patched: int, original_fitness: float, original_patched: int
) -> bool:
    """Whether to return the original weights rather than the swarm's best (not in the
    reference, which always returns the swarm's best).

    The swarm starts away from the original weights and may end below them by the fitness; and
    the fitness also rewards lower losses, so a patch can beat the original while fixing no
    negative input, changing the model's outputs for nothing (seen on chunks of ~50 inputs,
    where it cost 5 points of test accuracy). A patch is kept only if it both scores higher
    and fixes more negatives than the original weights.
    """
    return best_fitness <= original_fitness or best_patched <= original_patched


def _fitness_objective(
    task: RepairTask,
    options: OptimizeConfig,
    evaluate: BatchedFitness,
    original: np.ndarray,
    labels: tuple[np.ndarray, np.ndarray],
    positives: SplitReader | Batch,
) -> tuple[Objective | None, RequirementGuard | None]:
    """The fitness other than plain Eq. 1 (--fitness, --label_weights, --protect), or None."""
    kind = options.resolved_fitness
    if kind == "v1" and options.label_weights is None and options.protect is None:
        return None, None
    info = task.negatives.info
    names = [info.class_name(k) for k in range(info.num_classes)]
    weights: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    if options.label_weights is not None:
        pairs = parse_label_weights(options.label_weights)
        weights = (input_weights(pairs, names, labels[0]), input_weights(pairs, names, labels[1]))
    guard = None
    if options.protect is not None:
        requirements = protected_requirements(options.protect)
        extras = positives.extras() if isinstance(positives, SplitReader) else positives.extras
        columns = input_columns(task.negatives.extras(), extras)  # the inputs' conditions
        guard = RequirementGuard(
            requirements, *labels, names, evaluate.results(original[None]), columns
        )
        if options.validation_data is not None:  # a bad condition fails before the search
            check_validation_strata(requirements, validation_path(options.validation_data))
    alpha = float(options.alpha) if kind == "tosem" else 1.0  # Arachne's normalized: no alpha
    return Objective(kind, alpha, weights[0], weights[1], guard), guard


@dataclass(frozen=True)
class Found:
    """The best patch a search found: position (M,), its fitness and counts; history rows."""

    position: np.ndarray
    fitness: float
    patched: int
    intact: int
    history: list[tuple[int, float, int, int]]


def run_pso(model, locations, options, rng, evaluate, bar) -> Found:  # noqa: ANN001
    mean, std, low, high = swarm_bounds(model, locations)
    # Paper: particles start from N(mean, std) of the sibling weights, with zero velocity.
    swarm = pso.start_swarm(pso.initial_positions(rng, mean, std, options.num_particles), evaluate)
    history: list[tuple[int, float, int, int]] = []
    for iteration in range(1, options.num_iterations + 1):
        swarm = pso.step(swarm, rng, options.velocity_phi, low, high, evaluate)
        leader = swarm.leader
        row = (
            iteration,
            float(swarm.best.fitness[leader]),
            int(swarm.best.patched[leader]),
            int(swarm.best.intact[leader]),
        )
        history.append(row)
        bar(row)
        if pso.stagnated([row[1] for row in history], options.min_iteration_range):
            break
    leader = swarm.leader
    return Found(
        swarm.global_best.astype(np.float32),
        float(swarm.best.fitness[leader]),
        int(swarm.best.patched[leader]),
        int(swarm.best.intact[leader]),
        history,
    )


def _run_de(model, locations, options, rng, evaluate, bar) -> Found:  # noqa: ANN001
    mean, std, _, _ = swarm_bounds(model, locations)
    kernels = {k: activations.kernel_matrix(model.layers[k]) for k in set(locations[:, 0])}
    low, high = de.layer_bounds(kernels, locations)
    initial = pso.initial_positions(rng, mean, std, options.num_particles)
    best, history = de.search(
        evaluate, initial, low, high, rng, options.num_iterations, options.min_iteration_range,
        lambda generation, found: bar(history_row(generation, found)),
    )  # fmt: skip
    position = initial[0] if best.position is None else best.position
    return Found(position.astype(np.float32), best.fitness, best.patched, best.intact, history)


def history_row(generation: int, best: de.Best) -> tuple[int, float, int, int]:
    return (generation, best.fitness, best.patched, best.intact)


def run_with_progress(run, model, locations, options, rng, evaluate, progress) -> Found:  # noqa: ANN001
    """``run`` (:func:`run_pso` or DE) with a progress bar over iterations on ``progress``."""
    num_positives = len(evaluate.positives[2])
    bar = tqdm(total=options.num_iterations, desc="optimize", file=progress, leave=False)

    def show(row: tuple[int, float, int, int]) -> None:
        bar.update(1)
        bar.set_postfix(fitness=f"{row[1]:.2f}", patched=row[2], broken=num_positives - row[3])

    found = run(model, locations, options, rng, evaluate, show)
    bar.close()
    return found


def kept_or_patched(found: Found, unpatched, progress: TextIO) -> bool:  # noqa: ANN001
    """Whether to keep the original weights (:func:`keep_original`), saying so on ``progress``."""
    kept = keep_original(
        found.fitness, found.patched, float(unpatched.fitness[0]), int(unpatched.patched[0])
    )
    if kept:
        print(
            "optimize: no patch fixed more negatives with a better fitness than the original "
            "weights; the model is unchanged",
            file=progress,
        )
    return kept


def outcome(
    model: keras.Model,
    locations: np.ndarray,
    original: np.ndarray,
    evaluate: BatchedFitness,
    found: Found,
    unpatched,  # noqa: ANN001
    kept: bool,
    broken: list | None = None,
) -> SearchOutcome:
    """The :class:`SearchOutcome` of a search: ``found``'s patch, or the original if ``kept``."""
    repaired = original.copy() if kept else found.position
    return SearchOutcome(
        model=repaired_copy(model, locations, repaired),
        locations=locations,
        original=original,
        repaired=repaired,
        history=found.history,
        patched=int(unpatched.patched[0]) if kept else found.patched,
        num_negatives=len(evaluate.negatives[2]),
        intact=int(unpatched.intact[0]) if kept else found.intact,
        num_positives=len(evaluate.positives[2]),
        original_fitness=float(unpatched.fitness[0]),
        kept_original=kept,
        protect_failures=[str(result.requirement) for result in broken or []],
    )


def search_patch(
    task: RepairTask, options: OptimizeConfig, rng: np.random.Generator, progress: TextIO
) -> SearchOutcome:
    """Run the swarm (or DE) on ``task`` and return the best patch found, applied to a copy."""
    model = task.model
    locations = checked_locations(model, task.output_dir / WEIGHTS_FILENAME)
    check_swarm_fits(model, locations, options.num_particles)
    positives: SplitReader | Batch = task.positives
    if options.uses_all_positives:
        positive_batches = task.positives.batches(task.batch_size)
    else:
        positives = sample_positives(rng, task.positives, options.num_input_pos_sampled)
        positive_batches = in_batches(positives, task.batch_size)
    evaluate, original = batched_fitness(
        task, locations, task.negatives.batches(task.batch_size), positive_batches
    )
    labels = (evaluate.negatives[2].numpy(), evaluate.positives[2].numpy())
    evaluate.objective, guard = _fitness_objective(
        task, options, evaluate, original, labels, positives
    )
    run = _run_de if options.resolved_search == "de" else run_pso
    found = run_with_progress(run, model, locations, options, rng, evaluate, progress)
    unpatched = evaluate(original[None])
    kept = kept_or_patched(found, unpatched, progress)
    broken: list = []
    if not kept and guard is not None:
        broken = _protect_failures(task, options, guard, evaluate, model, locations, found)
        if broken:
            kept = True
            print(
                "optimize: the best patch breaks protected requirement "
                f"{describe_failures(broken)}; the model is unchanged",
                file=progress,
            )
    return outcome(model, locations, original, evaluate, found, unpatched, kept, broken)


def _protect_failures(task, options, guard, evaluate, model, locations, found) -> list:  # noqa: ANN001
    """The protected requirements the best patch breaks: on the search's data (it can only
    break them there when no patch kept them all), then on --validation_data, if given."""
    on_search = failed(guard.results(*evaluate.results(found.position[None]))[0])
    if on_search or options.validation_data is None:
        return on_search
    return validation_failures(
        guard.requirements,
        model,
        repaired_copy(model, locations, found.position),
        validation_path(options.validation_data),
        task.batch_size,
    )


def outcome_details(outcome: SearchOutcome) -> dict:
    """What summary.json's ``details`` says of any search built on this module."""
    return {
        "weights": len(outcome.locations),
        "layers": sorted({int(k) for k in outcome.locations[:, 0]}),
        "iterations": len(outcome.history),
        "best_fitness": outcome.history[-1][1] if outcome.history else None,
        "original_fitness": outcome.original_fitness,
        "kept_original": outcome.kept_original,
        "search_patched": outcome.patched,
        "search_negatives": outcome.num_negatives,
        "search_intact": outcome.intact,
        "search_positives": outcome.num_positives,
    }


def write_outputs(output_dir: Path, outcome: SearchOutcome) -> tuple[Path, ...]:
    """Rewrite weights.csv with original and repaired values; write history.csv."""
    return (
        write_repaired(
            output_dir / WEIGHTS_FILENAME, outcome.locations, outcome.original, outcome.repaired
        ),
        write_history(output_dir / HISTORY_FILENAME, outcome.history),
    )
