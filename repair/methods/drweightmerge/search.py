"""DRWeightMerge's search: Arachne's particle swarm over the merged weights, with its fitness.

One swarm over the union of the types' weights (a shared weight is one dimension), on Arachne's
batched fitness (activations cached once; every particle scored in one pass), scored by
:class:`.fitness.DRObjective`. The reference instead repairs each type with Arachne, then
searches one coefficient per type between the original and that type's repaired weights; its
coefficient vector assumes eight types, it never finds the shared weights, and it writes each
candidate into the model it then keeps using.
"""

from __future__ import annotations

from typing import TextIO

import numpy as np

from repair.core.run_files import WEIGHTS_FILENAME
from repair.errors import DataFormatError
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
)
from repair.methods.base import RepairTask
from repair.methods.drweightmerge.config import DROptimizeConfig
from repair.methods.drweightmerge.fitness import DRObjective, type_masks
from repair.methods.drweightmerge.localize import read_types
from repair.methods.drweightmerge.settings import DRSettings


def search_patch(
    task: RepairTask, options: DROptimizeConfig, rng: np.random.Generator, progress: TextIO
) -> tuple[SearchOutcome, dict]:
    """The best patch for every type at once, applied to a copy; and each type's counts."""
    from repair.core.model import predict_split

    model = task.model
    settings = read_types(task.output_dir)
    locations = checked_locations(model, task.output_dir / WEIGHTS_FILENAME)
    check_swarm_fits(model, locations, options.num_particles)
    predicted = predict_split(model, task.negatives, task.batch_size, "predict negatives")
    evaluate, original = batched_fitness(
        task, locations, task.negatives.batches(task.batch_size),
        task.positives.batches(task.batch_size),
    )  # fmt: skip
    negatives = (evaluate.negatives[2].numpy(), predicted.predicted)
    masks = type_masks(settings.types, *negatives)
    for kind, mask in zip(settings.types, masks, strict=True):
        if not mask.any():
            raise DataFormatError(
                f"no negative of type {kind.key} in {task.negatives.path}: the model or the "
                "negatives are not the ones localize read"
            )
    evaluate.objective = DRObjective.build(settings, negatives, evaluate.positives[2].numpy())
    found = run_with_progress(run_pso, model, locations, options, rng, evaluate, progress)
    unpatched = evaluate(original[None])
    kept = kept_or_patched(found, unpatched, progress)
    result = outcome(model, locations, original, evaluate, found, unpatched, kept)
    fixed = evaluate.results(result.repaired[None])[0].correct[0]
    return result, type_counts(settings, masks, fixed)


def type_counts(settings: DRSettings, masks: np.ndarray, fixed: np.ndarray) -> dict:
    """Per type key: its weight, negatives and how many of them the patch fixes."""
    return {
        kind.key: {
            "weight": kind.weight,
            "negatives": int(mask.sum()),
            "fixed": int((mask & fixed).sum()),
        }
        for kind, mask in zip(settings.types, masks, strict=True)
    }
