"""Fixtures of the application-layer tests: a second digits model made by perturbing the shared
one (differs on some inputs, made in a second), the BDD frames of tests/datasets, the chunks of
the sweep tests and a real Ray cluster of three nodes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.datasets.conftest import bdd_root  # noqa: F401  (the fixture, for the BDD steps)
from tests.methods.conftest import target_dir  # noqa: F401  (for the evaluate tests)
from tests.variability.test_runs import holdout_runs  # noqa: F401  (evaluate on a cluster)


@pytest.fixture(scope="session")
def perturbed_model_dir(digits_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared digits model with seeded noise on its last layer's kernel."""
    from repair.core.model import load_model, save_model

    model = load_model(digits_model_dir)
    layer = model.layers[-1]
    kernel, *rest = layer.get_weights()
    rng = np.random.default_rng(0)
    layer.set_weights([kernel + rng.normal(0.0, 0.25 * kernel.std(), kernel.shape), *rest])
    folder = tmp_path_factory.mktemp("perturbed-model")
    save_model(model, folder)
    return folder


@pytest.fixture(scope="session")
def chunks(digits_data_dir: Path, digits_model_dir: Path, tmp_path_factory) -> tuple[Path, int]:
    """Three chunks of 60 repair inputs, and a label misclassified in chunk 0 and in as many
    chunks as possible (so that units repair, and a chain repairs more than once)."""
    from repair.app.commands import target
    from repair.app.utils import split_dataset

    folder = tmp_path_factory.mktemp("sweep-chunks")
    split_dataset(source=digits_data_dir / "repair.h5", output_dir=folder / "chunks",
                  chunk_size=60, num_chunks=3)  # fmt: skip
    negatives = [
        target(model=digits_model_dir, source=folder / "chunks" / str(c) / "repair.h5",
               data_dir=folder / f"target{c}")
        for c in range(3)
    ]  # fmt: skip
    candidates = [row.label for row in negatives[0].labels if row.negative > 0]
    label = max(candidates, key=lambda k: sum(t.negatives_of(k) > 0 for t in negatives))
    return folder / "chunks", label


FAST_HEALTH = {"health_check_period_ms": 300, "health_check_failure_threshold": 3,
               "health_check_initial_delay_ms": 0}  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """A head without CPUs (it schedules, it does not run units) and two 1-CPU worker nodes,
    for one test module (a cluster left running would be joined by the local Ray of others)."""
    from ray.cluster_utils import Cluster

    home = tmp_path_factory.mktemp("ray-home")
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit
    saved = os.environ.get("HOME")
    os.environ["HOME"] = str(home)  # Ray must leave the real home alone
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 0,
            "include_dashboard": False,
            "temp_dir": temp,
            "_system_config": FAST_HEALTH,
        },  # fmt: skip
    )
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    try:
        yield cluster, workers, home  # a driver on this machine uses the same home
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()
        os.environ["HOME"] = saved or ""
        shutil.rmtree(temp, ignore_errors=True)
