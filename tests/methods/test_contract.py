"""Every registered repair method passes the same checks (like scikit-learn's
``parametrize_with_checks``): it leaves its input model alone, a seed fixes its result, and the
repaired model round-trips through save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repair.core.data import SplitReader, read_split
from repair.core.model import load_model, predict_scores, save_model
from repair.methods import available_methods, load_method
from repair.methods.base import RepairMethod, RepairTask

# Small settings for the methods that know them; any other method runs with its defaults.
SMALL = {
    "arachne": {"num_particles": 6, "num_iterations": 3, "num_input_pos_sampled": 40},
    "neurecover": {"num_particles": 6, "num_iterations": 3},
    "drweightmerge": {"num_particles": 6, "num_iterations": 3},
}


def small_options(method: type[RepairMethod]):
    config = method.optimize_options
    known = SMALL.get(method.name, {})
    fields = getattr(config, "__dataclass_fields__", {})
    return config(**{k: v for k, v in known.items() if k in fields})


def repair_once(method, model, data: Path, out: Path, seed: int, model_dir: Path | None = None):
    with (
        SplitReader(data / "negative" / "repair.h5") as negatives,
        SplitReader(data / "positive" / "repair.h5") as positives,
    ):
        task = RepairTask(
            model, negatives, out, positives, batch_size=16, seed=seed, model_dir=model_dir
        )
        instance = method()
        instance.localize(task, method.localize_options())
        return instance.optimize(task, small_options(method))


def check_method_contract(name: str, model_dir: Path, work_dir: Path) -> None:
    """The checks; also run by test_plugins on a method installed by an entry point."""
    method = load_method(name)
    assert issubclass(method, RepairMethod) and method.name
    model = load_model(model_dir)
    before = [w.copy() for w in model.get_weights()]

    first = repair_once(method, model, work_dir, work_dir / "a", 21, model_dir)
    for kept, now in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(kept, now)  # the input model is untouched
    assert first.model is not model

    again = repair_once(method, model, work_dir, work_dir / "b", 21, model_dir)
    for a, b in zip(first.model.get_weights(), again.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # same seed, same repair

    images = read_split(work_dir / "negative" / "repair.h5").images
    saved = load_model(save_model(first.model, work_dir / "saved"))
    np.testing.assert_allclose(
        predict_scores(saved, images), predict_scores(first.model, images), rtol=1e-6, atol=1e-7
    )


@pytest.mark.parametrize("name", available_methods())
def test_method_contract(name: str, digits_model_dir: Path, work_dir: Path) -> None:
    check_method_contract(name, digits_model_dir, work_dir)
