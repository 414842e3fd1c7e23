"""`repair saliency` on the digits model: the maps file, the overlays, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from repair.core.data import read_split
from repair.core.model import load_model, predict_scores
from repair.core.tf import keras
from repair.explain.gradcam import GradCam
from tests.conftest import run_ok, run_repair
from tests.reports.conftest import check_png


def _read(path: Path) -> dict:
    with h5py.File(path, "r") as file:
        values = {key: file[key][...] for key in file}
        values["attrs"] = dict(file.attrs)
    return values


def test_maps_overlays_and_rerun(digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path):
    out = tmp_path / "saliency"
    data = digits_data_dir / "test.h5"
    args = ["saliency", "--model_dir", digits_model_dir, "--data", data, "--output_dir", out]
    printed = json.loads(run_ok([*args, "--max_overlays=3", "--json"]).stdout)
    model, split = load_model(digits_model_dir), read_split(data)
    written = _read(out / "saliency.h5")
    predicted = np.argmax(predict_scores(model, split.images), axis=1)
    assert written["maps"].shape == (len(split), 8, 8) and written["maps"].dtype == np.float32
    assert written["classes"].tolist() == predicted.tolist() == written["predicted"].tolist()
    assert written["labels"].tolist() == split.labels.tolist()
    assert [v.decode() for v in written["image_ids"]] == split.image_ids.tolist()
    assert written["positions"].tolist() == list(range(len(split)))
    last_conv = max(
        i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Conv2D)
    )
    attrs = written["attrs"]
    assert (attrs["layer_index"], attrs["layer"]) == (last_conv, model.layers[last_conv].name)
    assert attrs["score"] == "logit" and attrs["explains"] == "pred"
    expected = GradCam(model, last_conv)(split.images[:20], predicted[:20])
    np.testing.assert_allclose(written["maps"][:20], expected, rtol=1e-5, atol=1e-7)
    # ReLU of the weighted maps: never negative, and most inputs have some positive evidence
    # (an all-zero map, 17 % here, means no location raised the class score at that layer).
    assert (written["maps"] >= 0).all() and (written["maps"].max(axis=(1, 2)) > 0).mean() > 0.5
    assert printed["overlays"] == [str(out / "overlays" / f"{k}.png") for k in range(3)]
    for path in printed["overlays"]:
        check_png(Path(path), ((8 + 4 + 8) * 16, 8 * 16))
    # The true class, and fewer overlays: the earlier run's extra overlays go.
    result = run_ok([*args, "--class", "true", "--max_overlays=1", "--layer", model.layers[0].name])
    assert f"layer 0 ({model.layers[0].name}), for the true class" in result.stdout
    again = _read(out / "saliency.h5")
    assert again["classes"].tolist() == split.labels.tolist()
    assert sorted(p.name for p in (out / "overlays").iterdir()) == ["0.png"]


def test_errors_name_the_model_the_layer_and_the_choices(
    digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path
):
    data = digits_data_dir / "test.h5"
    out = tmp_path / "out"
    model = load_model(digits_model_dir)
    convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    dense = next(layer.name for layer in model.layers if isinstance(layer, keras.layers.Dense))
    common = ["saliency", "--data", data, "--output_dir", out]
    result = run_repair([*common, "--model_dir", digits_model_dir, "--layer", dense])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: --layer must name a Conv2D layer of the model; got {dense!r}. "
        f"Conv2D layers: {', '.join(convs)}"
    )
    flat = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(name="flat"),
                             keras.layers.Dense(10, activation="softmax", name="out")])  # fmt: skip
    flat.save(tmp_path / "flat.keras")
    result = run_repair([*common, "--model_dir", tmp_path / "flat.keras"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: model {tmp_path / 'flat.keras'} has no Conv2D layer, which Grad-CAM needs; "
        "its layers: flat (Flatten), out (Dense)"
    )
    result = run_repair([*common, "--model_dir", digits_model_dir, "--class", "both"])
    assert result.exit_code == 2 and "--class" in result.stderr
    assert not out.exists()
