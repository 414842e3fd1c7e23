"""`--target_layer` as a usage error, `repair inspect`, and what optimize prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repair.cli.optimize import print_summary
from tests.cli.test_messages import assert_error
from tests.conftest import run_ok, run_repair
from tests.methods.conftest import FAST

# The shared `base` CNN: conv, pool, conv, pool, flatten, dense (64), dense (10 classes).
TARGETS = "0 (conv2d), 2 (conv2d_1), 5 (dense), 6 (dense_1)"


@pytest.mark.parametrize(
    ("layer", "fragment"),
    [
        ("1", "--target-layer 1: layer 1 (max_pooling2d) is a MaxPooling2D"),
        ("4", "--target-layer 4: layer 4 (flatten) is a Flatten"),
        ("99", "--target-layer must lie in [-7, 6]; got 99"),
        ("-8", "--target-layer must lie in [-7, 6]; got -8"),
    ],
)
def test_target_layer_arachne_cannot_repair_is_a_usage_error_listing_the_valid_ones(
    layer: str, fragment: str, digits_model_dir: Path, target_dir: Path, tmp_path: Path
) -> None:
    result = run_repair(
        ["localize", f"--model_dir={digits_model_dir}"]
        + [f"--target_data_dir={target_dir / 'negative'}", f"--output_dir={tmp_path / 'o'}"]
        + [f"--target-layer={layer}"]  # named back as typed
    )
    line = assert_error(result, 2, fragment, f"layers Arachne can target: {TARGETS}")
    assert "repair inspect" in line
    assert not (tmp_path / "o" / "weights.csv").exists()


def test_target_layer_a_valid_hidden_dense_layer_works(
    digits_model_dir: Path, target_dir: Path, tmp_path: Path
) -> None:
    run_ok(
        ["localize", f"--model_dir={digits_model_dir}", "--target_layer=-2", "--num_grad=20"]
        + [f"--target_data_dir={target_dir / 'negative'}", f"--output_dir={tmp_path}"]
    )
    assert {row.split(",")[0] for row in (tmp_path / "weights.csv").read_text().split()} == {"5"}


def test_inspect_lists_the_layers_and_marks_the_targets(digits_model_dir: Path) -> None:
    from repair.core.model import load_model
    from repair.methods.arachne.activations import targetable_layers

    report = json.loads(run_ok(["inspect", f"--model_dir={digits_model_dir}", "--json"]).stdout)
    model = load_model(digits_model_dir)
    layers = report["layers"]
    assert [layer["name"] for layer in layers] == [layer.name for layer in model.layers]
    assert [layer["params"] for layer in layers] == [lay.count_params() for lay in model.layers]
    assert layers[0]["type"] == "Conv2D" and layers[0]["output_shape"] == [None, 8, 8, 16]
    assert layers[-1]["output_shape"] == [None, 10]
    marked = [layer["index"] for layer in layers if layer["arachne_target"]]
    assert marked == targetable_layers(model) == [0, 2, 5, 6]
    assert report["arachne_default_target"] == 6

    table = run_ok(["inspect", "--model-dir", digits_model_dir]).stdout.splitlines()
    assert table[0] == "| index | name | type | output shape | parameters | Arachne target |"
    assert table[2].startswith("| 0 | conv2d | Conv2D | (None, 8, 8, 16) | 160 |")
    assert table[-2].endswith("| yes (default) |") and table[-3].endswith("| yes |")
    assert table[-1] == f"parameters: {model.count_params():,}"


def test_optimize_names_a_weights_csv_it_cannot_read(
    digits_model_dir: Path, work_dir: Path
) -> None:
    negative = work_dir / "negative"
    (negative / "weights.csv").write_text("6,1,2,0.5\n6.7,30,1,0.1\n")
    result = run_repair(
        ["optimize", f"--model_dir={digits_model_dir}", f"--target_data_dir={negative}"]
        + [f"--positive_inputs_dir={work_dir / 'positive'}", *FAST]
    )
    assert_error(result, 1, f"line 2 of {negative / 'weights.csv'}", "got '6.7'")


def test_optimize_says_whether_it_changed_the_model_and_both_wall_times(
    digits_model_dir: Path, work_dir: Path
) -> None:
    common = [f"--model_dir={digits_model_dir}", f"--target_data_dir={work_dir / 'negative'}"]
    run_ok(["localize", *common])
    out = run_ok(
        ["optimize", *common, f"--positive_inputs_dir={work_dir / 'positive'}", *FAST]
        + ["--random_state=0"]
    ).stdout.splitlines()
    summary = json.loads((work_dir / "negative" / "summary.json").read_text())
    model = summary["repaired_model"]
    if summary["details"]["kept_original"]:
        assert out[0] == f"model unchanged: {model} keeps the original weights"
    else:
        assert out[0] == f"repaired model: {model}"
    assert out[-1].startswith(f"seed: 0, search wall time: {summary['wall_time_s']:.2f} s, ")
    whole_s = float(out[-1].rsplit("whole command: ", 1)[1].removesuffix(" s"))
    assert whole_s >= summary["wall_time_s"]


@pytest.mark.parametrize("kept", [True, False])
def test_print_summary_says_model_unchanged_when_the_original_weights_were_kept(
    kept: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = {
        "repaired_model": "out/repair/model.keras",
        "details": {"kept_original": kept},
        **{"patched": 0, "negatives": 4, "repair_rate": 0.0},
        **{"broken": 0, "positives": 9, "break_rate": 0.0},
        **{"seed": 1, "wall_time_s": 0.5},
    }
    print_summary(summary, 2.25)
    first, *_, last = capsys.readouterr().out.splitlines()
    expected = "model unchanged: out/repair/model.keras keeps the original weights"
    assert first == (expected if kept else "repaired model: out/repair/model.keras")
    assert last == "seed: 1, search wall time: 0.50 s, whole command: 2.25 s"
