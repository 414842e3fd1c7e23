"""``repair evaluate`` runs on workers that share no disk with the driver (a Ray cluster).

The inputs of the runs travel through the object store once per evaluate
(:mod:`repair.app.shipping`): the model file and what the method reads beside it, the target
folder's whole tree (DRWeightMerge reads its ``<true>/<predicted>/`` folders), the positives'
split, the test file, the negatives a held-out run draws its halves from, and the files the
method's options name. A run works in a temporary folder on its worker and returns the files of
its run folder as bytes, with the driver's paths in them; the driver writes them into
``run_<k>/``, each file atomically.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.app import shipping
from repair.app.evaluation import RunSpec
from repair.core.run_files import SPLIT_FILENAME
from repair.executors import Outcome


@dataclass(frozen=True)
class ShippedRun:
    """One run (a :class:`RunSpec`, or a held-out run holding one as ``run``) with the
    driver's paths, the function that runs it, and the parcel of its inputs."""

    function: Callable[[Any], Any]
    spec: Any
    parcel: shipping.Parcel


def _plain(spec: Any) -> RunSpec:
    return spec if isinstance(spec, RunSpec) else spec.run


def run_inputs(spec: Any) -> list[shipping.Input]:
    """What the run reads (what lies under its own run folder is made there, not shipped)."""
    run = _plain(spec)
    files = [run.target_data_dir]
    if run.reference is not None:
        files.append(run.reference.path)
    if spec is not run:  # a held-out run: the negatives it halves, the test file
        files += [spec.negatives_file] + ([] if spec.test is None else [spec.test.path])
    found = [
        shipping.model_input(str(run.model_dir), run.method),
        shipping.Input(str(run.positive_inputs_dir), (SPLIT_FILENAME,)),
        *(shipping.Input(str(path)) for path in files),
        *shipping.option_inputs(run.localize_options),
        *shipping.option_inputs(run.optimize_options),
    ]
    return [i for i in found if not shipping.is_under(i.path, str(run.run_dir))]


def run_shipped(item: ShippedRun) -> dict[str, Any]:
    """In a worker: fetch the inputs, run in a temporary folder, return the run's value, the
    files of its run folder with the driver's paths, and the node it ran on."""
    from repair.executors.ray import fetch, node_id

    with tempfile.TemporaryDirectory(
        prefix="repair-evaluate-run-", ignore_cleanup_errors=True
    ) as folder:
        root = Path(folder)
        driver_dir = str(_plain(item.spec).run_dir)
        mapping = shipping.unpack(item.parcel, root / "inputs", fetch)
        mapping = [(driver_dir, str(root / "run")), *mapping]
        value = item.function(shipping.relocated(item.spec, mapping))
        files = shipping.folder_files(root / "run", shipping.reverse(mapping))
        return {"value": value, "files": files, "node": node_id()}


def ship_runs(pool: Any, function: Callable[[Any], Any], specs: list[Any]) -> list[ShippedRun]:
    """The runs with their inputs in ``pool``'s object store (each file once): from here on,
    nothing reads the driver's inputs."""
    packer = shipping.Packer(pool.share)
    return [ShippedRun(function, spec, packer.pack(run_inputs(spec))) for spec in specs]


def run_shipped_runs(
    pool: Any, items: list[ShippedRun], facts: dict[str, Any]
) -> Iterator[Outcome]:
    """Run ``items`` on ``pool`` (a Ray executor); each finished run's folder is written before
    its outcome (the run's own value) is yielded. ``facts`` gets the node of each run, the bytes
    sent and the retries."""
    nodes: list[str | None] = [None] * len(items)
    for outcome in pool.map_unordered(run_shipped, items):
        if outcome.error is None:
            run_dir = _plain(items[outcome.index].spec).run_dir
            shipping.write_files(run_dir, outcome.value["files"])
            nodes[outcome.index] = outcome.value["node"]
            outcome = Outcome(outcome.index, value=outcome.value["value"])
        yield outcome
    facts.update(nodes=nodes, object_store_bytes=pool.shared_bytes, retried=pool.retried())
