"""The ``arachne`` repair method: localize with gradients and a Pareto front, then search with
a particle swarm (Sohn, Kang, Yoo, "Search Based Repair of Deep Neural Networks", arXiv
1912.12463). This module only orchestrates; the computation lives in the sibling modules, which
import TensorFlow and are therefore imported inside the methods.
"""

from __future__ import annotations

import sys

import numpy as np

from repair.core.run_files import WEIGHTS_FILENAME
from repair.methods.arachne.config import LocalizeConfig, OptimizeConfig
from repair.methods.base import (
    LocalizeResult,
    OptimizeResult,
    ParetoFront,
    RepairMethod,
    RepairTask,
)


class Arachne(RepairMethod):
    """Patch the kernel weights of a Dense layer found by fault localisation."""

    name = "arachne"
    description = "Arachne: gradient + forward-impact localisation, particle-swarm search."
    localize_options = LocalizeConfig
    optimize_options = OptimizeConfig

    def localize(self, task: RepairTask, options: LocalizeConfig) -> LocalizeResult:
        from repair.core.run_files import write_localized
        from repair.methods.arachne import activations, localize

        model = task.model
        if options.target_layer is None:
            index = activations.default_target_layer(model)
        else:
            index = activations.check_target_layer(model, options.target_layer)
        layer = activations.check_dense(model, index)
        num_grad = options.resolved_num_grad(len(task.negatives))
        found = localize.localize_layer(
            model, index, task.negatives.batches(task.batch_size), num_grad
        )
        weights_path = write_localized(
            task.output_dir / WEIGHTS_FILENAME, found.locations, found.values
        )
        title = (
            f"{len(found.locations)} weights of layer {index} ({layer.name}) on the Pareto front\n"
            f"of {len(found.candidates)} candidates, {len(task.negatives)} negatives"
        )
        message = (
            f"localized {len(found.locations)} weights of layer {index} ({layer.name}): "
            f"the Pareto front of the top {len(found.candidates)} by gradient loss"
        )
        return LocalizeResult(
            message, (weights_path,), ParetoFront(found.objectives, found.front, title)
        )

    def optimize(self, task: RepairTask, options: OptimizeConfig) -> OptimizeResult:
        from repair.methods.arachne import search

        rng = np.random.default_rng(task.seed)
        outcome = search.search_patch(task, options, rng, progress=sys.stderr)
        files = search.write_outputs(task.output_dir, outcome)
        details = {
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
        return OptimizeResult(outcome.model, details, files)
