"""The ``neurecover`` repair method: repair what the last epoch of training broke.

Tokui et al., "NeuRecover: Regression-Controlled Repair of Deep Neural Networks with Training
History", SANER 2022.

It repairs what the last epoch of training broke: the degraded inputs (right at the
second-to-last checkpoint, wrong now). Localisation uses the loss gradient, the forward impact
and the weights' change between the two checkpoints; the search is Arachne's particle swarm on
the batched fitness, with the normalised fitness (each set's term divided by its size) and the
degraded inputs' term weighted by alpha. This module only orchestrates; TensorFlow is imported
inside the methods.
"""

from __future__ import annotations

import sys

import numpy as np

from repair.core.run_files import CHECKPOINT_DIRNAME
from repair.methods.base import (
    LocalizeResult,
    OptimizeResult,
    ParetoFront,
    RepairMethod,
    RepairTask,
)
from repair.methods.neurecover.config import NeuRecoverLocalizeConfig, NeuRecoverOptimizeConfig


class NeuRecover(RepairMethod):
    """Repair the regressions of the last training epoch, found from its checkpoints."""

    name = "neurecover"
    description = (
        "NeuRecover: repair what the last training epoch broke (degraded inputs), from the "
        "training checkpoints; gradient, forward impact and weight change, particle swarm."
    )
    localize_options = NeuRecoverLocalizeConfig
    optimize_options = NeuRecoverOptimizeConfig
    model_companions = (CHECKPOINT_DIRNAME,)  # the training checkpoints it compares

    def localize(self, task: RepairTask, options: NeuRecoverLocalizeConfig) -> LocalizeResult:
        from repair.core.run_files import WEIGHTS_FILENAME, write_localized
        from repair.methods.arachne.config import NUM_GRAD_PER_NEGATIVE, parse_layers
        from repair.methods.arachne.localize import describe_layers, localized_layers
        from repair.methods.neurecover import history, localize

        model = task.model
        folder = history.checkpoints_folder(options.checkpoints, task.model_dir)
        path, previous = history.previous_checkpoint(folder)
        layers = localized_layers(model, parse_layers(options.layers))
        kernels = history.previous_kernels(model, previous, layers)
        degraded = history.degraded_inputs(previous, task.negatives, task.batch_size)
        improved = None
        if task.positives is not None:
            improved = history.select_by_previous(
                previous, task.positives, task.batch_size, previously_correct=False
            )
        objectives = {
            index: localize.layer_objectives(
                model, index, kernels[index], degraded, improved, task.batch_size
            )
            for index in layers
        }
        num_grad = options.num_grad or NUM_GRAD_PER_NEGATIVE * len(degraded)
        found = localize.choose_weights(model, objectives, num_grad)
        weights_path = write_localized(
            task.output_dir / WEIGHTS_FILENAME, found.locations, found.values
        )
        where = describe_layers(model, layers)
        title = (
            f"{len(found.locations)} weights of {where} on the Pareto front\n"
            f"of {len(found.candidates)} candidates, {len(degraded)} degraded inputs"
        )
        message = (
            f"localized {len(found.locations)} weights of {where} for {len(degraded)} degraded "
            f"inputs (right at {path.name}, wrong now)"
        )
        return LocalizeResult(
            message, (weights_path,), ParetoFront(found.objectives, found.front, title)
        )

    def optimize(self, task: RepairTask, options: NeuRecoverOptimizeConfig) -> OptimizeResult:
        from repair.methods.neurecover import search

        rng = np.random.default_rng(task.seed)
        outcome = search.search_patch(task, options, rng, progress=sys.stderr)
        from repair.methods.arachne.search import outcome_details, write_outputs

        files = write_outputs(task.output_dir, outcome)
        # The search's negatives are the degraded inputs.
        details = {**outcome_details(outcome), "degraded": outcome.num_negatives}
        return OptimizeResult(outcome.model, details, files)
