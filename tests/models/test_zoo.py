"""keras_app, vit and hydra: trained one epoch through the CLI, saved, inspected and repaired.

Tiny settings (8x8 digits, a 0.35-wide MobileNetV2, a two-block ViT, a two-branch HydraNet) keep
the whole file near a minute on two cores. The batched fitness is checked against the model with
the patch written in, at layers followed by BatchNorm, Dropout, residual additions, LayerNorm,
attention and the gate's routing, and at layers on parallel paths (two heads, a branch and the
gate) patched in one search.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split, write_split
from repair.core.model import load_model
from repair.core.tf import keras
from repair.methods.arachne.activations import cache_layer, kernel_matrix, targetable_layers
from repair.methods.arachne.fitness import (
    BatchedFitness,
    compile_for_fitness,
    model_fitness,
    write_patch,
)
from tests.conftest import run_ok
from tests.methods.conftest import FAST

TRAIN_SAMPLES = 200
SETTINGS = {
    "keras_app": {
        "model": "MobileNetV2",
        "model_args": {"alpha": 0.35},
        "augmentation": [["Resizing", {"height": 32, "width": 32}]],
        "layers": [
            ["GlobalAveragePooling2D", {}],
            ["Dense", {"units": 16, "activation": "relu", "name": "top"}],
            ["BatchNormalization", {}],
            ["Dropout", {"rate": 0.2}],
        ],
        "optimizer": ["Adam", {"learning_rate": 0.003}],
    },
    "vit": {
        "image_size": 8,
        "patch_size": 4,
        "projection_dim": 8,
        "num_heads": 2,
        "transformer_layers": 2,
        "mlp_head_units": [16],
    },
    "hydra": {
        "layers": [
            ["Flatten", {}],
            ["Dense", {"units": 16, "activation": "relu", "name": "_Hidden"}],
        ]
    },
}
EXTRA = {"hydra": ["--branch_num=2"]}


@pytest.fixture(scope="module")
def zoo_data(digits_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The digits with a 200-image train.h5 (one epoch in seconds), repair.h5 and test.h5."""
    folder = tmp_path_factory.mktemp("zoo-data")
    train = read_split(digits_data_dir / "train.h5").select(slice(0, TRAIN_SAMPLES))
    write_split(folder / "train.h5", train.images, train.labels, num_classes=10)
    for name in ("repair.h5", "test.h5"):
        shutil.copy(digits_data_dir / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def zoo(zoo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> a folder with model.keras trained one epoch, and its target/ layout."""
    root = tmp_path_factory.mktemp("zoo")
    folders = {}
    for name, settings in SETTINGS.items():
        (root / f"{name}.json").write_text(json.dumps(settings))
        out = root / name
        run_ok(
            ["train", f"--model={name}", "--data_dir", zoo_data, "--output_dir", out]
            + ["--epochs=1", f"--model_settings={root / f'{name}.json'}", *EXTRA.get(name, [])]
        )
        target = out / "target"
        target.mkdir()
        shutil.copy(zoo_data / "repair.h5", target / "repair.h5")
        run_ok(["target", "--model_dir", out, "--data_dir", target])
        folders[name] = out
    return folders


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_trains_one_epoch_and_reloads_with_the_same_outputs(zoo, zoo_data, name) -> None:
    log = (zoo[name] / "training_log.csv").read_text().splitlines()
    assert len(log) == 2 and log[0].startswith("epoch,")
    model = load_model(zoo[name])
    images = read_split(zoo_data / "test.h5").images[:20]
    again = keras.models.load_model(zoo[name] / "model.keras", compile=False)
    np.testing.assert_allclose(model.predict(images, verbose=0), again.predict(images, verbose=0))
    assert model.output_shape == (None, 10)


TARGETS = {  # layers Arachne must find in each model
    "keras_app": ["Conv1", "block_16_project", "Conv_1", "top", "predictions"],
    "vit": ["block1_mlp1", "block2_mlp2", "head_mlp1", "predictions"],  # MLPs and classifier
    "hydra": ["Branch0_Hidden", "Gate_Hidden", "Branch1_Dense", "Gate_Dense"],
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_inspect_marks_the_layers_arachne_can_target(zoo, name) -> None:
    report = json.loads(run_ok(["inspect", f"--model_dir={zoo[name]}", "--json"]).stdout)
    model = load_model(zoo[name])
    marked = [layer["index"] for layer in report["layers"] if layer["arachne_target"]]
    assert marked == targetable_layers(model)
    names = {model.layers[index].name for index in marked}
    assert set(TARGETS[name]) <= names, names


def _layer(model: keras.Model, name: str) -> int:
    return next(i for i, layer in enumerate(model.layers) if layer.name == name)


def _locations(model: keras.Model, layer: int, count: int, rng: np.random.Generator):
    rows, cols = kernel_matrix(model.layers[layer]).shape
    flat = rng.choice(rows * cols, size=count, replace=False)
    return np.stack([np.full(count, layer), flat // cols, flat % cols], axis=1)


FITNESS_CASES = [
    ("keras_app", ("block_15_project",)),  # BatchNorm, a residual Add reading the block's input
    ("keras_app", ("top", "predictions")),  # BatchNorm and Dropout between two changed layers
    ("vit", ("block1_mlp2",)),  # Dropout, skip Add, then block 2: LayerNorm, attention, MLP
    ("vit", ("block1_mlp1", "block2_mlp1", "predictions")),
    ("hydra", ("Branch0_Hidden",)),  # the other branch and the gate join at the routing
    ("hydra", ("Gate_Dense",)),  # the routing itself changes
    ("hydra", ("Gate_Hidden", "Gate_Dense")),
    ("hydra", ("Branch0_Dense", "Branch1_Dense")),  # parallel paths: two heads at once
    ("hydra", ("Branch0_Hidden", "Branch1_Dense", "Gate_Dense")),  # a branch, a head, the gate
]


def assert_fitness_equals_the_patched_model(model: keras.Model, target: Path, layers) -> None:
    """The batched fitness of 4 random patches of 8 weights in each of ``layers`` (names) on
    40 negatives and 40 positives of the ``target`` layout equals the reference's fitness of
    the model with each patch written in (to 1e-5), and the counts are equal."""
    rng = np.random.default_rng(len(layers))
    indices = [_layer(model, layer) for layer in layers]
    locations = np.concatenate([_locations(model, k, 8, rng) for k in indices])
    negatives = read_split(target / "negative" / "repair.h5").select(slice(0, 40))
    positives = read_split(target / "positive" / "repair.h5").select(slice(0, 40))
    first = min(indices)
    rows = locations[locations[:, 0] == first, 1]
    matrices = {k: kernel_matrix(model.layers[k]) for k in indices}
    original = np.array([matrices[k][i, j] for k, i, j in locations], dtype=np.float32)
    fitness = BatchedFitness(
        model, locations, original,
        cache_layer(model, first, rows, [negatives], indices),
        cache_layer(model, first, rows, [positives], indices), device="cpu", max_elements=1 << 16,
    )  # fmt: skip
    scale = np.abs(original).mean() + 1e-3
    particles = original + rng.normal(0.0, 20 * scale, size=(4, len(original)))
    scores = fitness(particles.astype(np.float32))
    patched = compile_for_fitness(keras.models.clone_model(model))
    for p, particle in enumerate(particles.astype(np.float32)):
        patched.set_weights(model.get_weights())
        write_patch(patched, locations, particle)
        expected, n_patched, n_intact = model_fitness(
            patched, (negatives.images, negatives.labels), (positives.images, positives.labels)
        )
        assert scores.fitness[p] == pytest.approx(expected, rel=1e-5)
        assert (scores.patched[p], scores.intact[p]) == (n_patched, n_intact)
    assert len(set(scores.fitness.round(6))) > 1  # the particles really differ


@pytest.mark.parametrize(("name", "layers"), FITNESS_CASES)
def test_batched_fitness_equals_the_model_with_the_patch_written(zoo, name, layers) -> None:
    assert_fitness_equals_the_patched_model(load_model(zoo[name]), zoo[name] / "target", layers)


REPAIRED_LAYERS = {"keras_app": ("top", "predictions"), "vit": ("block2_mlp1",)}
REPAIRED_LAYERS["hydra"] = ("Branch0_Hidden", "Branch1_Dense", "Gate_Dense")  # three paths


@pytest.mark.parametrize("name", sorted(SETTINGS))
@pytest.mark.parametrize("version", ["v1", "tosem"])
def test_localize_and_optimize_run_on_it(zoo, name, version, tmp_path) -> None:
    model = load_model(zoo[name])
    data = tmp_path / "data"
    shutil.copytree(zoo[name] / "target", data)
    common = ["--model_dir", zoo[name], "--target_data_dir", data / "negative"]
    common += ["--output_dir", tmp_path / "out", f"--version={version}"]
    layers = ",".join(str(_layer(model, n)) for n in REPAIRED_LAYERS[name])
    where = [] if version == "v1" else [f"--layers={layers}"]  # v1: the last classifier
    positives = ["--positive_inputs_dir", data / "positive"]
    run_ok(["localize", "--method=arachne", *common, *where, *positives, "--num_grad=20"])
    rows = (tmp_path / "out" / "weights.csv").read_text().split()
    assert rows and {int(row.split(",")[0]) for row in rows} <= set(targetable_layers(model))
    result = run_ok(["optimize", "--method=arachne", *common, *positives, *FAST, "--json"])
    summary = json.loads(result.stdout)
    assert summary["negatives"] == len(read_split(data / "negative" / "repair.h5"))
    repaired = load_model(tmp_path / "out" / "repair" / "model.keras")
    assert repaired.count_params() == model.count_params()


def test_one_search_patches_layers_on_parallel_paths(zoo, tmp_path) -> None:
    """HydraNet: weights of a branch's hidden layer, the other branch's head and the gate in
    one weights.csv; optimize searches them together, and what its summary says is what the
    saved model does."""
    from repair.core.model import predict_scores
    from repair.core.run_files import write_localized

    model = load_model(zoo["hydra"])
    data = tmp_path / "data"
    shutil.copytree(zoo["hydra"] / "target", data)
    rng = np.random.default_rng(7)
    indices = [_layer(model, n) for n in ("Branch0_Hidden", "Branch1_Dense", "Gate_Dense")]
    locations = np.concatenate([_locations(model, k, 6, rng) for k in indices])
    values = np.array([kernel_matrix(model.layers[k])[i, j] for k, i, j in locations])
    out = tmp_path / "out"
    write_localized(out / "weights.csv", locations, values)
    common = ["--model_dir", zoo["hydra"], "--target_data_dir", data / "negative"]
    summary = json.loads(run_ok(
        ["optimize", "--method=arachne", *common, "--output_dir", out,
         "--positive_inputs_dir", data / "positive", *FAST, "--random_state=0", "--json"]
    ).stdout)  # fmt: skip
    repaired = load_model(out / "repair" / "model.keras")
    changed = set()
    for index in range(len(model.layers)):
        for before, after in zip(model.layers[index].get_weights(),
                                 repaired.layers[index].get_weights(), strict=True):  # fmt: skip
            if not np.array_equal(before, after):
                changed.add(index)
    assert changed == set(indices)  # the three paths were patched, nothing else
    negatives = read_split(data / "negative" / "repair.h5")
    fixed = np.argmax(predict_scores(repaired, negatives.images), axis=1) == negatives.labels
    assert int(fixed.sum()) == summary["patched"] > 0
