"""`repair optimize` end to end on the digits target layout: outputs, seeds, bad inputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from repair.core.data import read_split, write_split
from repair.core.model import load_model, predict_scores
from tests.conftest import run_ok, run_repair
from tests.methods.conftest import FAST, localize_and_optimize


def test_optimize_writes_what_spec_5_asks(digits_model_dir: Path, work_dir: Path) -> None:
    """Unbalanced multi-label negatives (all of negative/) are repaired without error."""
    out = work_dir / "out"
    summary = localize_and_optimize(digits_model_dir, work_dir, out, "--random_state=5")
    negatives = read_split(work_dir / "negative" / "repair.h5")
    assert len(np.unique(negatives.labels)) >= 2

    repaired = load_model(out / "repair")
    fixed = np.argmax(predict_scores(repaired, negatives.images), axis=1) == negatives.labels
    assert summary["patched"] == int(fixed.sum()) and summary["negatives"] == len(negatives)
    assert summary["repair_rate"] == 100.0 * fixed.mean()
    assert summary["seed"] == 5 and summary["settings"]["num_particles"] == 8
    assert {"broken", "positives", "break_rate", "wall_time_s"} <= set(summary)
    assert json.loads((out / "summary.json").read_text()) == summary

    with (out / "weights.csv").open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows and all(len(row) == 5 for row in rows)  # layer,i,j,original,repaired
    original, changed = load_model(digits_model_dir), repaired.get_weights()
    for layer, i, j, before, after in rows:
        kernel = original.layers[int(layer)].kernel.numpy()
        assert float(before) == kernel[int(i), int(j)]
        assert float(after) == repaired.layers[int(layer)].kernel.numpy()[int(i), int(j)]
    # Only the listed weights changed.
    differing = sum(
        int(np.sum(a != b)) for a, b in zip(original.get_weights(), changed, strict=True)
    )
    assert differing <= len(rows)

    with (out / "history.csv").open(newline="") as file:
        history = list(csv.reader(file))
    assert history[0] == ["iteration", "best_fitness", "patched", "intact"]
    assert 1 <= len(history) - 1 <= 4
    assert [float(row[1]) for row in history[1:]] == sorted(float(row[1]) for row in history[1:])


def test_same_random_state_same_repair(digits_model_dir: Path, work_dir: Path) -> None:
    runs = {}
    for name, seed in (("a", "11"), ("b", "11"), ("c", "12")):
        out = work_dir / name
        localize_and_optimize(digits_model_dir, work_dir, out, f"--random_state={seed}")
        runs[name] = ((out / "weights.csv").read_text(), (out / "history.csv").read_text())
    assert runs["a"] == runs["b"]
    assert runs["a"][1] != runs["c"][1]  # another seed, another search


def test_optimize_needs_weights_csv(digits_model_dir: Path, work_dir: Path) -> None:
    result = run_repair(
        ["optimize", "--model_dir", digits_model_dir, "--target_data_dir", work_dir / "negative",
         "--positive_inputs_dir", work_dir / "positive", *FAST]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "weights.csv" in result.stderr and "repair localize" in result.stderr


def test_empty_inputs_are_clear_errors(digits_model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    empty = np.zeros((0, 8, 8, 1), np.float32)
    write_split(data / "empty" / "repair.h5", empty, np.zeros(0, np.int64), num_classes=10)
    rng = np.random.default_rng(0)
    images = rng.random((6, 8, 8, 1), dtype=np.float32)
    write_split(data / "some" / "repair.h5", images, np.arange(6) % 10, num_classes=10)
    base = ["--model_dir", digits_model_dir]
    result = run_repair(["localize", *base, "--target_data_dir", data / "empty"])
    assert result.exit_code == 1 and "holds no negative inputs" in result.stderr
    run_ok(["localize", *base, "--target_data_dir", data / "some"])
    result = run_repair(
        ["optimize", *base, "--target_data_dir", data / "some",
         "--positive_inputs_dir", data / "empty", *FAST]
    )  # fmt: skip
    assert result.exit_code == 1 and "holds no positive inputs" in result.stderr
    missing = run_repair(["localize", *base, "--target_data_dir", tmp_path])
    assert missing.exit_code == 1 and "no repair.h5" in missing.stderr


def test_bad_option_values_are_usage_errors(digits_model_dir: Path, target_dir: Path) -> None:
    base = ["optimize", "--model_dir", digits_model_dir, "--target_data_dir",
            target_dir / "negative", "--positive_inputs_dir", target_dir / "positive"]  # fmt: skip
    for bad, words in (
        (["--num_particles=0"], "--num_particles must be a positive integer; got 0"),
        (["--num_iterations", "x"], "--num_iterations must be of type int"),
        (["--num_particle=3"], "no such option: --num_particle"),
        (["--device=tpu"], "--device"),
        (["--method=nope"], "Available: arachne"),
    ):
        result = run_repair([*base, *bad])
        assert result.exit_code == 2, (bad, result.output)
        assert words in result.stderr, (bad, result.stderr)


def test_original_weights_kept_when_no_patch_beats_them(
    digits_model_dir: Path, work_dir: Path
) -> None:
    """With correctly classified inputs as 'negatives', the original weights are the best
    patch; the reference would still return the swarm's (worse) best."""
    out = work_dir / "kept"
    common = ["--model_dir", digits_model_dir, "--target_data_dir", work_dir / "positive",
              "--output_dir", out]  # fmt: skip
    run_ok(["localize", *common, "--num_grad=20"])
    result = run_ok(
        ["optimize", *common, "--positive_inputs_dir", work_dir / "positive", *FAST, "--json"]
        + ["--random_state=0"]
    )
    summary = json.loads(result.stdout)
    assert summary["details"]["kept_original"] is True
    assert summary["broken"] == 0 and summary["patched"] == summary["negatives"]
    with (out / "weights.csv").open(newline="") as file:
        assert all(row[3] == row[4] for row in csv.reader(file))


def test_device_option(digits_model_dir: Path, work_dir: Path) -> None:
    from repair.core.tf import tf

    out = work_dir / "device"
    summary = localize_and_optimize(digits_model_dir, work_dir, out, "--device=cpu")
    assert summary["settings"]["device"] == "cpu"
    if tf.config.list_logical_devices("GPU"):
        return  # the error below is for machines without a GPU
    result = run_repair(
        ["optimize", "--model_dir", digits_model_dir, "--target_data_dir", work_dir / "negative",
         "--positive_inputs_dir", work_dir / "positive", "--output_dir", out, *FAST,
         "--device", "gpu"]
    )  # fmt: skip
    assert result.exit_code == 2 and "sees no GPU" in result.stderr  # a bad option value here


def test_a_patch_is_kept_only_if_it_scores_higher_and_fixes_more() -> None:
    from repair.methods.arachne.search import keep_original

    assert keep_original(10.0, 3, 11.0, 0)  # lower fitness
    assert keep_original(12.0, 0, 11.0, 0)  # higher fitness from lower losses, nothing fixed
    assert not keep_original(12.0, 1, 11.0, 0)


def test_a_swarm_larger_than_memory_is_refused_before_it_is_allocated(
    digits_model_dir: Path, work_dir: Path, tmp_path: Path
) -> None:
    """--num_particles 1000000000 grew until the kernel killed the process, with no message."""
    common = ["--model_dir", digits_model_dir, "--target_data_dir", work_dir / "negative"]
    common += ["--output_dir", tmp_path / "out"]
    run_ok(["localize", "--method=Arachne", *common])
    result = run_repair(
        ["optimize", *common, "--positive_inputs_dir", work_dir / "positive",
         "--num_particles", "1000000000", "--num_iterations=1"]
    )  # fmt: skip
    assert result.exit_code == 2, result.output  # a bad option value, as prepare's --image_size
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: --num_particles=1000000000 needs about ")
    assert "of memory; this machine has" in last
    assert not (tmp_path / "out" / "repair").exists()
