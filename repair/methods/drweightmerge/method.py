"""The ``drweightmerge`` repair method: several misclassification types at once, weighted.

The eAI-Repair-Toolkit's DRWeightMerge ("distributed repair"): the user names misclassification
types (``true -> predicted``, or every misclassification of a label) and weighs them and each
label's accuracy in ``dr_setting.json``; one repair trades them by those weights. Localisation is
Arachne's per type, merged; the search is Arachne's particle swarm on the batched fitness with
the weighted fitness of :mod:`.fitness`. This module only orchestrates; TensorFlow is imported
inside the methods.
"""

from __future__ import annotations

import sys

import numpy as np

from repair.methods.base import LocalizeResult, OptimizeResult, RepairMethod, RepairTask
from repair.methods.drweightmerge.config import DRLocalizeConfig, DROptimizeConfig


class DRWeightMerge(RepairMethod):
    """Repair several weighted misclassification types with one patch."""

    name = "drweightmerge"
    description = (
        "DRWeightMerge: several misclassification types (dr_setting.json) repaired at once, "
        "traded by their weights; Arachne's localisation per type, merged, and its swarm."
    )
    localize_options = DRLocalizeConfig
    optimize_options = DROptimizeConfig

    def localize(self, task: RepairTask, options: DRLocalizeConfig) -> LocalizeResult:
        from repair.core.run_files import DR_TYPES_FILENAME, WEIGHTS_FILENAME, write_localized
        from repair.methods.arachne.activations import kernel_matrix
        from repair.methods.arachne.config import parse_layers
        from repair.methods.arachne.localize import describe_layers, localized_layers
        from repair.methods.drweightmerge import localize
        from repair.methods.drweightmerge.settings import check_folders

        model = task.model
        root = localize.negative_root(options.negative_root_dir, task.negatives)
        settings = localize.load_settings(options, root, task.negatives.info)
        paths = check_folders(settings, root)
        layers = localized_layers(model, parse_layers(options.layers))
        found, sizes = localize.localize_all(
            model, settings, paths, layers, task.batch_size, options.num_grad
        )
        union, shared = localize.merge_locations(found)
        kernels = {k: kernel_matrix(model.layers[k]) for k in layers}
        values = np.array([kernels[k][i, j] for k, i, j in union], dtype=np.float32)
        files = (
            write_localized(task.output_dir / WEIGHTS_FILENAME, union, values),
            localize.write_types(
                task.output_dir / DR_TYPES_FILENAME, settings, found, sizes, shared
            ),
        )
        message = (
            f"localized {len(union)} weights of {describe_layers(model, layers)} for "
            f"{len(settings.types)} misclassification types ({sum(sizes)} negatives), "
            f"{len(shared)} of them shared by several types"
        )
        return LocalizeResult(message, files)

    def optimize(self, task: RepairTask, options: DROptimizeConfig) -> OptimizeResult:
        from repair.methods.arachne.search import outcome_details, write_outputs
        from repair.methods.drweightmerge import search

        rng = np.random.default_rng(task.seed)
        outcome, types = search.search_patch(task, options, rng, progress=sys.stderr)
        files = write_outputs(task.output_dir, outcome)
        return OptimizeResult(outcome.model, {**outcome_details(outcome), "types": types}, files)
