"""NeuRecover's search: Arachne's particle swarm with NeuRecover's normalised fitness.

Over the degraded inputs (to fix) and every positive (to keep), on the batched fitness (Tokui et
al., SANER 2022, Sec. III-C): each set's term divided by its own size, the degraded inputs'
times alpha.
"""

from __future__ import annotations

from typing import TextIO

import numpy as np

from repair.core.run_files import WEIGHTS_FILENAME
from repair.methods.arachne.scores import Objective
from repair.methods.arachne.search import (
    SearchOutcome,
    kept_or_patched,
    outcome,
    run_pso,
    run_with_progress,
)
from repair.methods.arachne.search_space import (
    batched_fitness,
    check_swarm_fits,
    checked_locations,
    in_batches,
)
from repair.methods.base import RepairTask
from repair.methods.neurecover import history
from repair.methods.neurecover.config import NeuRecoverOptimizeConfig


def search_patch(
    task: RepairTask,
    options: NeuRecoverOptimizeConfig,
    rng: np.random.Generator,
    progress: TextIO,
) -> SearchOutcome:
    """The best patch for the degraded inputs among task.negatives, applied to a copy."""
    model = task.model
    locations = checked_locations(model, task.output_dir / WEIGHTS_FILENAME)
    check_swarm_fits(model, locations, options.num_particles)
    _, previous = history.previous_checkpoint(
        history.checkpoints_folder(options.checkpoints, task.model_dir)
    )
    degraded = history.degraded_inputs(previous, task.negatives, task.batch_size)
    evaluate, original = batched_fitness(
        task, locations, in_batches(degraded, task.batch_size),
        task.positives.batches(task.batch_size),
    )  # fmt: skip
    evaluate.objective = Objective("normalized", alpha=float(options.alpha))
    found = run_with_progress(run_pso, model, locations, options, rng, evaluate, progress)
    unpatched = evaluate(original[None])
    kept = kept_or_patched(found, unpatched, progress)
    return outcome(model, locations, original, evaluate, found, unpatched, kept)
