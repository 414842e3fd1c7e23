"""The ``arachne`` repair method: gradient and Pareto-front localisation, particle-swarm search.

Sohn, Kang, Yoo, "Search Based Repair of Deep Neural Networks", arXiv 1912.12463. This module
only orchestrates; the computation lives in the sibling modules, which import TensorFlow and
are therefore imported inside the methods.
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

    @classmethod
    def localize_reads_positives(cls, options: LocalizeConfig) -> bool:
        """The bidirectional localizer (``--version tosem``'s) weighs negatives against
        positives."""
        return options.resolved_localizer == "bidirectional"

    def localize(self, task: RepairTask, options: LocalizeConfig) -> LocalizeResult:
        from repair.core.run_files import write_localized
        from repair.methods.arachne import localize
        from repair.methods.arachne.search_space import in_batches

        model = task.model
        option = "--layers" if options.target_layer is None else "--target_layer"
        layers = localize.localized_layers(model, options.resolved_layers, option)
        num_grad = options.resolved_num_grad(len(task.negatives))
        bidirectional = options.resolved_localizer == "bidirectional"
        if bidirectional:
            positives = localize.stratified_positives(
                task.positives, task.seed, len(task.negatives)
            )
            objectives = {
                index: localize.bidirectional_objectives(
                    model,
                    index,
                    lambda: task.negatives.batches(task.batch_size),
                    lambda: in_batches(positives, task.batch_size),
                )
                for index in layers
            }
            found = localize.choose_weights(model, objectives, num_grad)
        elif len(layers) == 1:
            found = localize.localize_layer(
                model, layers[0], task.negatives.batches(task.batch_size), num_grad
            )
        else:
            objectives = {
                index: localize.objectives_of_layer(
                    model, index, task.negatives.batches(task.batch_size)
                )
                for index in layers
            }
            found = localize.choose_weights(model, objectives, num_grad)
        weights_path = write_localized(
            task.output_dir / WEIGHTS_FILENAME, found.locations, found.values
        )
        where = localize.describe_layers(model, layers)
        title = (
            f"{len(found.locations)} weights of {where} on the Pareto front\n"
            f"of {len(found.candidates)} candidates, {len(task.negatives)} negatives"
        )
        message = (
            f"localized {len(found.locations)} weights of {where}: "
            f"the Pareto front of the top {len(found.candidates)} by gradient loss"
            + (" (bidirectional)" if bidirectional else "")
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
            **search.outcome_details(outcome),
            "search": options.resolved_search,
            "fitness": options.resolved_fitness,
            "protect_failures": outcome.protect_failures,
        }
        return OptimizeResult(outcome.model, details, files)
