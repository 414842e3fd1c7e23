"""NeuRecover on the digits CNN and its training checkpoints, and one test per bug of the public
toolkit's version: an empty degraded set, fewer than two checkpoints, layers mapped with
BatchNormalization or without bias, the sample counts of the fitness, a zero gradient."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import SplitReader, read_split
from repair.core.model import load_model, predict_scores, save_model
from repair.core.tf import keras
from repair.errors import DataFormatError, InputNotFoundError, ModelError
from repair.methods.arachne.activations import kernel_matrix
from repair.methods.arachne.scores import Objective, SetResults
from repair.methods.neurecover import history
from repair.methods.neurecover.localize import layer_objectives, pareto_front_nd
from tests.conftest import run_ok, run_repair

FAST = ["--num_particles=6", "--num_iterations=3"]


def degraded_of(model_dir: Path, negatives: Path) -> int:
    previous = load_model(sorted((model_dir / "checkpoints").glob("epoch_*.keras"))[-2])
    split = read_split(negatives / "repair.h5")
    return int(np.sum(np.argmax(predict_scores(previous, split.images), 1) == split.labels))


def test_neurecover_repairs_the_degraded_inputs(digits_model_dir: Path, work_dir: Path) -> None:
    out = work_dir / "nr"
    common = ["--method=neurecover", "--model_dir", digits_model_dir, "--target_data_dir",
              work_dir / "negative", "--output_dir", out]  # fmt: skip
    localized = run_ok(["localize", *common, "--positive_inputs_dir", work_dir / "positive"])
    assert "degraded inputs" in localized.stdout and (out / "weights.csv").is_file()
    result = run_ok(
        ["optimize", *common, "--positive_inputs_dir", work_dir / "positive", *FAST, "--json"]
    )
    details = json.loads(result.stdout)["details"]
    assert details["search_negatives"] == details["degraded"]
    # Sample counts: the fitness reads every degraded input and every positive, no fewer.
    assert details["degraded"] == degraded_of(digits_model_dir, work_dir / "negative") > 0
    with SplitReader(work_dir / "positive" / "repair.h5") as positives:
        assert details["search_positives"] == len(positives)


def test_normalised_fitness_divides_by_each_sets_size() -> None:
    def results(correct: list[bool], losses: list[float]) -> SetResults:
        c, loss = np.array([correct]), np.array([losses])
        return SetResults(loss, c, loss.mean(axis=1), c.sum(axis=1))

    degraded = results([True, False], [0.2, 1.0])
    positives = results([True, True, True, False], [0.1, 0.1, 0.1, 2.0])
    scores = Objective("normalized", alpha=3.0)(degraded, positives)
    expected = 3.0 * (1 + 1) / (0.6 + 1) / 2 + (3 + 1) / (0.575 + 1) / 4
    assert scores.fitness[0] == pytest.approx(expected)


def test_fewer_than_two_checkpoints_is_a_clear_error(
    digits_model_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputNotFoundError, match="no checkpoints folder"):
        history.previous_checkpoint(tmp_path / "missing")
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(sorted((digits_model_dir / "checkpoints").glob("*.keras"))[-1], folder)
    with pytest.raises(DataFormatError, match="at least 2 training checkpoints"):
        history.previous_checkpoint(folder)


def test_no_degraded_input_is_a_clear_error(
    digits_model_dir: Path, work_dir: Path, tmp_path: Path
) -> None:
    """Checkpoints whose second-to-last is the model itself: nothing regressed."""
    folder = tmp_path / "same"
    folder.mkdir()
    for name in ("epoch_001.keras", "epoch_002.keras"):
        shutil.copy(digits_model_dir / "model.keras", folder / name)
    result = run_repair(
        ["localize", "--method=neurecover", "--model_dir", digits_model_dir, "--target_data_dir",
         work_dir / "negative", "--output_dir", tmp_path / "out", f"--checkpoints={folder}"]
    )  # fmt: skip
    assert result.exit_code == 1 and "no degraded inputs" in result.stderr
    assert "Traceback" not in result.stderr


def small_model(seed: int) -> keras.Model:
    """Conv, BatchNormalization, a Dense layer without bias: weights lists that a mapping by
    position (kernel, bias, kernel, bias, ...) would misread."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, use_bias=False, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(8, use_bias=False, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def test_layers_map_by_index_with_batchnorm_and_no_bias(tmp_path: Path) -> None:
    model, before = small_model(0), small_model(1)
    folder = tmp_path / "checkpoints"
    save_model(before, folder / "epoch_001.keras")
    save_model(model, folder / "epoch_002.keras")
    _, previous = history.previous_checkpoint(folder)
    kernels = history.previous_kernels(model, previous, [0, 3, 4])
    for index in (0, 3, 4):
        np.testing.assert_array_equal(kernels[index], kernel_matrix(before.layers[index]))
    rng = np.random.default_rng(0)
    images = rng.random((12, 8, 8, 1), dtype=np.float32)
    from repair.core.data import Batch

    degraded = Batch(images, np.arange(12) % 10)
    objectives = layer_objectives(model, 3, kernels[3], degraded, None, 4)
    change = np.abs(kernel_matrix(model.layers[3]) - kernel_matrix(before.layers[3]))
    np.testing.assert_array_equal(objectives[..., 2], change)
    assert np.count_nonzero(objectives[..., 0]) > 0  # the loss gradient, not a zero gradient
    other = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])  # fmt: skip
    with pytest.raises(ModelError, match="not the same network"):
        history.previous_kernels(model, other, [4])


def test_pareto_front_over_three_objectives() -> None:
    points = np.array([[3, 1, 1], [1, 3, 1], [1, 1, 3], [1, 1, 1], [3, 1, 0], [2, 2, 2]], float)
    assert pareto_front_nd(points).tolist() == [True, True, True, False, False, True]
