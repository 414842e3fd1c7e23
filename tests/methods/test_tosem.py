"""Arachne's journal version (TOSEM 2023) and requirement-aware search, on the digits CNN.

Conv2D kernels in the batched fitness and the tosem/normalized fitnesses are checked against
the model with the patch written in (per-input losses from ``model.predict``); DE and PSO
against their seeds; ``--protect`` against the validation data it promises to hold on.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import SplitReader, read_split
from repair.core.model import load_model, predict_scores
from repair.core.tf import keras
from repair.methods.arachne.activations import cache_layer, kernel_matrix, targetable_layers
from repair.methods.arachne.config import LocalizeConfig, OptimizeConfig
from repair.methods.arachne.fitness import BatchedFitness, write_patch
from repair.methods.arachne.scores import Objective, SetResults
from tests.conftest import run_ok, run_repair
from tests.methods.conftest import FAST

NUM_PARTICLES = 4


def random_locations(model: keras.Model, layer: int, count: int, rng: np.random.Generator):
    rows, cols = kernel_matrix(model.layers[layer]).shape
    flat = rng.choice(rows * cols, size=count, replace=False)
    return np.stack([np.full(count, layer), flat // cols, flat % cols], axis=1)


def model_results(model: keras.Model, particle, locations, images, labels) -> SetResults:
    """The oracle: the particle written into a copy of the model, per-input loss and correct."""
    patched = keras.models.clone_model(model)
    patched.set_weights(model.get_weights())
    write_patch(patched, locations, particle)
    probabilities = predict_scores(patched, images)
    losses = keras.losses.sparse_categorical_crossentropy(labels, probabilities).numpy()
    correct = np.argmax(probabilities, axis=1) == labels
    return SetResults(
        losses[None], correct[None], np.array([losses.mean()]), np.array([correct.sum()])
    )


@pytest.fixture(scope="module")
def data(digits_model_dir: Path, target_dir: Path):
    model = load_model(digits_model_dir)
    negatives = read_split(target_dir / "negative" / "repair.h5")
    positives = read_split(target_dir / "positive" / "repair.h5").select(slice(0, 40))
    return model, negatives, positives


def check_against_model(data, locations, objective, max_elements=1 << 24) -> None:
    model, negatives, positives = data
    first = int(locations[:, 0].min())
    rows = locations[locations[:, 0] == first, 1]
    matrices = {k: kernel_matrix(model.layers[k]) for k in set(locations[:, 0].tolist())}
    original = np.array([matrices[k][i, j] for k, i, j in locations], dtype=np.float32)
    fitness = BatchedFitness(
        model, locations, original,
        cache_layer(model, first, rows, [negatives]), cache_layer(model, first, rows, [positives]),
        device="cpu", max_elements=max_elements, objective=objective,
    )  # fmt: skip
    rng = np.random.default_rng(len(locations))
    particles = (original + rng.normal(0.0, 0.3, size=(NUM_PARTICLES, len(original)))).astype(
        np.float32
    )
    scores = fitness(particles)
    reference = objective or Objective("v1")
    for p, particle in enumerate(particles):
        neg = model_results(model, particle, locations, negatives.images, negatives.labels)
        pos = model_results(model, particle, locations, positives.images, positives.labels)
        expected = reference(neg, pos)
        assert scores.fitness[p] == pytest.approx(expected.fitness[0], rel=1e-5)
        assert (scores.patched[p], scores.intact[p]) == (neg.count[0], pos.count[0])
    assert len(set(scores.fitness.round(6))) > 1  # the particles really differ


@pytest.mark.parametrize(
    ("layers", "counts", "max_elements"),
    [
        ((0,), (20,), 1 << 24),  # the first Conv2D: cached patches + sparse correction
        ((2,), (20,), 5000),  # the second Conv2D, chunked over inputs
        ((0, 2, -1), (8, 8, 4), 1 << 24),  # a conv first, a later conv and the output layer
    ],
)
def test_conv_kernels_in_the_batched_fitness_equal_the_model(
    data, layers, counts, max_elements
) -> None:
    model = data[0]
    rng = np.random.default_rng(sum(counts))
    locations = np.concatenate(
        [
            random_locations(model, layer % len(model.layers), count, rng)
            for layer, count in zip(layers, counts, strict=True)
        ]
    )
    check_against_model(data, locations, None, max_elements)


@pytest.mark.parametrize("kind", ["tosem", "normalized"])
def test_tosem_and_normalized_fitness_equal_the_model(data, kind) -> None:
    model = data[0]
    rng = np.random.default_rng(3)
    locations = np.concatenate(
        [random_locations(model, 0, 6, rng), random_locations(model, 6, 6, rng)]
    )
    check_against_model(data, locations, Objective(kind, alpha=10.0))


def test_label_weights_and_guard_in_the_objective() -> None:
    losses = np.array([[0.5, 2.0, 0.1]])
    negatives = SetResults(losses, np.array([[False, False, True]]), losses.mean(1), np.array([1]))
    positives = SetResults(losses, np.array([[True, True, True]]), losses.mean(1), np.array([3]))
    plain = Objective("tosem", alpha=2.0)(negatives, positives)
    # per input: 1/(1+0.5) + 1/(1+2) + 1 on the negatives; 3 on the positives.
    assert plain.fitness[0] == pytest.approx(3.0 + 2.0 * (1 / 1.5 + 1 / 3 + 1.0))
    weights = np.array([0.0, 1.0, 1.0])
    weighted = Objective("tosem", 2.0, weights, weights)(negatives, positives)
    assert weighted.fitness[0] == pytest.approx(2.0 + 2.0 * (1 / 3 + 1.0))
    guarded = Objective("tosem", 2.0, guard=lambda n, p: np.array([0.25]))(negatives, positives)
    assert guarded.fitness[0] == -1.25  # below any patch that keeps the requirements (>= 0)


def test_targetable_layers_are_dense_and_conv(data) -> None:
    model = data[0]
    kinds = {type(model.layers[i]).__name__ for i in targetable_layers(model)}
    assert kinds == {"Conv2D", "Dense"} and 1 not in targetable_layers(model)  # not pooling


def test_bidirectional_sample_is_stratified(target_dir: Path) -> None:
    from repair.methods.arachne.localize import stratified_positives

    with SplitReader(target_dir / "positive" / "repair.h5") as reader:
        labels = reader.labels()
        sample = stratified_positives(reader, 0, 50)
        again = stratified_positives(reader, 0, 50)
    assert len(sample) == 50 and np.array_equal(sample.labels, again.labels)
    expected = 50 * np.bincount(labels, minlength=10) / len(labels)
    assert np.all(np.abs(np.bincount(sample.labels, minlength=10) - expected) < 1)


def test_version_sets_the_defaults_and_options_are_checked() -> None:
    from repair.cli._methods import split_method_args
    from repair.errors import ConfigError

    assert LocalizeConfig().resolved_localizer == "v1"
    tosem = LocalizeConfig(version="tosem")
    assert (tosem.resolved_localizer, tosem.resolved_layers) == ("bidirectional", "all")
    optimize = OptimizeConfig(version="tosem", fitness="normalized")
    assert (optimize.resolved_search, optimize.resolved_fitness) == ("de", "normalized")
    assert LocalizeConfig(layers="0,6").resolved_layers == (0, 6)
    parts = split_method_args(["--version", "tosem", "--alpha=3"], [LocalizeConfig, OptimizeConfig])
    assert parts == [["--version", "tosem"], ["--version", "tosem", "--alpha=3"]]
    for bad in (
        {"search": "ga"},
        {"fitness": "x"},
        {"alpha": 0},
        {"protect": "car=>90"},
        {"label_weights": "car:2"},
        {"validation_data": "x.h5"},  # without --protect
    ):
        with pytest.raises(ConfigError):
            OptimizeConfig(**bad)
    with pytest.raises(ConfigError):
        LocalizeConfig(layers="last,1")


def tosem_localize(model_dir: Path, data: Path, out: Path) -> Path:
    """`repair localize --version=tosem` on data/negative into ``out``; returns ``out``."""
    run_ok(
        ["localize", "--model_dir", model_dir, "--target_data_dir", data / "negative",
         "--output_dir", out, "--positive_inputs_dir", data / "positive", "--version=tosem"]
    )  # fmt: skip
    return out


def tosem_optimize(model_dir: Path, data: Path, localized: Path, out: Path, *extra: str) -> dict:
    """`repair optimize --version=tosem --json` from a copy of ``localized``'s weights.csv."""
    out.mkdir(parents=True)
    shutil.copy(localized / "weights.csv", out / "weights.csv")
    result = run_ok(
        ["optimize", "--model_dir", model_dir, "--target_data_dir", data / "negative",
         "--output_dir", out, "--positive_inputs_dir", data / "positive", "--version=tosem",
         *FAST, "--json", *extra]
    )  # fmt: skip
    return json.loads(result.stdout)


def test_tosem_localizes_over_conv_and_dense_and_de_is_reproducible(
    digits_model_dir: Path, work_dir: Path
) -> None:
    localized = tosem_localize(digits_model_dir, work_dir, work_dir / "localized")
    layers = {int(row.split(",")[0]) for row in (localized / "weights.csv").read_text().split()}
    assert layers <= set(targetable_layers(load_model(digits_model_dir)))
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        summary = tosem_optimize(
            digits_model_dir, work_dir, localized, work_dir / name, f"--random_state={seed}"
        )
        assert summary["details"]["search"] == "de" and summary["details"]["fitness"] == "tosem"
        runs[name] = (work_dir / name / "weights.csv").read_text()
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_bidirectional_without_positives_is_a_clear_error(
    digits_model_dir: Path, target_dir: Path, tmp_path: Path
) -> None:
    alone = tmp_path / "alone" / "negative"  # no positive/ beside it to take instead
    shutil.copytree(target_dir / "negative", alone)
    result = run_repair(
        ["localize", "--model_dir", digits_model_dir, "--target_data_dir",
         alone, "--output_dir", tmp_path, "--localizer=bidirectional"]
    )  # fmt: skip
    assert result.exit_code == 2 and "--positive_inputs_dir" in result.stderr  # a usage error


def test_protect_never_returns_a_model_breaking_a_requirement_on_validation_data(
    digits_model_dir: Path, digits_data_dir: Path, work_dir: Path
) -> None:
    """Validation data: val.h5, which the search never sees. The same short DE search without
    --protect returns a model that lowers overall accuracy there (the setting can show a
    violation: measured with the real models); with --protect the returned model never does,
    or it is the original weights and protect_failures names the requirement."""
    from repair.core.requirements import parse_requirements
    from repair.methods.arachne.protect import validation_failures

    requirement = "overall>=+0"
    requirements = parse_requirements(requirement)
    original = load_model(digits_model_dir)
    validation = digits_data_dir / "val.h5"
    localized = tosem_localize(digits_model_dir, work_dir, work_dir / "localized")
    unprotected_violations = 0
    for seed in (1, 2):
        common = [f"--random_state={seed}", "--num_iterations=6"]
        plain = work_dir / f"plain{seed}"
        summary = tosem_optimize(digits_model_dir, work_dir, localized, plain, *common)
        assert not summary["details"]["kept_original"]  # a patch was returned: now measure it
        broken = validation_failures(
            requirements, original, load_model(plain / "repair"), validation, 64
        )
        unprotected_violations += bool(broken)

        out = work_dir / f"protect{seed}"
        summary = tosem_optimize(
            digits_model_dir, work_dir, localized, out, *common,
            f"--protect={requirement}", f"--validation_data={validation}",
        )  # fmt: skip
        repaired = load_model(out / "repair")
        assert not validation_failures(requirements, original, repaired, validation, 64)
        if summary["details"]["protect_failures"]:
            assert summary["details"]["protect_failures"] == [requirement]
            assert summary["details"]["kept_original"] and summary["patched"] == 0
            for kept, before in zip(repaired.get_weights(), original.get_weights(), strict=True):
                np.testing.assert_array_equal(kept, before)
    assert unprotected_violations >= 1  # else this test could not fail


def test_protect_keeps_the_original_and_names_the_requirement(
    digits_model_dir: Path, work_dir: Path
) -> None:
    """No patch can raise overall accuracy by 60 points: every one violates, none is kept."""
    out = work_dir / "impossible"
    common = ["--model_dir", digits_model_dir, "--target_data_dir", work_dir / "negative",
              "--output_dir", out, "--positive_inputs_dir", work_dir / "positive"]  # fmt: skip
    run_ok(["localize", *common])
    result = run_ok(
        ["optimize", *common, *FAST, "--json", "--random_state=0", "--protect=overall>=+60"]
    )
    summary = json.loads(result.stdout)
    assert summary["details"]["kept_original"] and summary["patched"] == 0
    weighted = run_ok(
        ["optimize", *common, *FAST, "--json", "--fitness=normalized", "--label_weights=0=0,1=3"]
    )
    settings = json.loads(weighted.stdout)["settings"]
    assert settings["label_weights"] == "0=0,1=3" and settings["fitness"] == "normalized"
    bad_label = run_repair(["optimize", *common, *FAST, "--protect=zebra>=50"])
    assert bad_label.exit_code == 2 and "unknown label 'zebra'" in bad_label.stderr
    bad_weight = run_repair(["optimize", *common, *FAST, "--label_weights=zebra=2"])
    assert bad_weight.exit_code == 2 and "unknown label 'zebra'" in bad_weight.stderr
    usage = run_repair(["optimize", *common, *FAST, "--search=ga"])
    assert usage.exit_code == 2 and "--search must be one of pso, de" in usage.stderr


def test_de_is_seeded_bounded_and_stops_when_stagnant() -> None:
    """scipy's DE on a toy fitness: the same seed gives the same search, every candidate stays
    in the bounds, and a flat fitness stops early (by the patience window, or sooner by scipy's
    own convergence test: every member scores the same)."""
    from repair.methods.arachne import de
    from repair.methods.arachne.scores import Scores

    low, high = np.array([-1.0, 0.0, 2.0]), np.array([1.0, 0.5, 3.0])
    seen = []

    def evaluate(positions: np.ndarray) -> Scores:
        seen.append(positions.copy())
        fitness = -np.sum((positions - np.array([0.3, 0.1, 2.5])) ** 2, axis=1)
        zeros = np.zeros(len(positions), dtype=np.int64)
        return Scores(fitness, zeros, zeros)

    def run(seed: int) -> tuple:
        rng = np.random.default_rng(seed)
        initial = rng.normal(0.0, 1.0, size=(12, 3))
        return de.search(evaluate, initial, low, high, rng, generations=15, patience=10)

    first, again, other = run(5), run(5), run(6)
    np.testing.assert_array_equal(first[0].position, again[0].position)
    assert first[1] == again[1] and first[1] != other[1]
    assert [row[1] for row in first[1]] == sorted(row[1] for row in first[1])
    everything = np.concatenate(seen)
    assert np.all(everything >= low - 1e-12) and np.all(everything <= high + 1e-12)

    def flat(positions: np.ndarray) -> Scores:
        zeros = np.zeros(len(positions), dtype=np.int64)
        return Scores(np.zeros(len(positions)), zeros, zeros)

    rng = np.random.default_rng(0)
    _, history = de.search(flat, rng.random((6, 3)), low, high, rng, generations=50, patience=3)
    assert 1 <= len(history) <= 5  # a flat fitness: no better patch, stopped early
    with pytest.raises(Exception, match="at least 5"):
        de.search(flat, rng.random((4, 3)), low, high, rng, generations=5, patience=3)


def test_localize_takes_the_positives_beside_the_negatives(
    digits_model_dir: Path, target_dir: Path, tmp_path: Path
) -> None:
    labels = np.bincount(read_split(target_dir / "negative" / "repair.h5").labels)
    negatives = target_dir / "negative" / str(int(np.argmax(labels)))  # negative/<true>/
    common = ["localize", "--model_dir", digits_model_dir, "--target_data_dir", negatives]
    found = run_ok([*common, "--output_dir", tmp_path / "found", "--localizer=bidirectional"])
    beside = f"positive inputs: {target_dir / 'positive'} (found beside {target_dir / 'negative'})"
    assert beside in found.stderr
    given = run_ok([*common, "--output_dir", tmp_path / "given", "--localizer=bidirectional",
                    "--positive_inputs_dir", target_dir / "positive"])  # fmt: skip
    assert "positive inputs:" not in given.stderr
    weights = [(tmp_path / name / "weights.csv").read_text() for name in ("found", "given")]
    assert weights[0] == weights[1]
    assert "positive inputs:" not in run_ok([*common, "--output_dir", tmp_path / "v1"]).stderr
    # --version tosem takes them too (its localizer is the bidirectional one).
    tosem = run_ok([*common, "--output_dir", tmp_path / "tosem", "--version=tosem"])
    assert beside in tosem.stderr
