"""`repair drift --suggest` and `--write_negatives` feed the repair flow; bad input fails."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split
from repair.core.model import load_model, predict_scores
from tests.conftest import run_ok, run_repair


def _drift_args(model_dir: Path, baseline: Path, current: Path, out: Path) -> list:
    return [
        "drift",
        "--model_dir",
        model_dir,
        "--baseline",
        baseline,
        "--current",
        current,
        "--output_dir",
        out,
    ]


def test_suggest_and_write_negatives_feed_localize(
    digits_model_dir: Path, digits_data_dir: Path, weeks_dir: Path, tmp_path: Path
) -> None:
    negatives = tmp_path / "negatives"
    args = _drift_args(
        digits_model_dir, digits_data_dir / "train.h5", weeks_dir / "week2.h5", tmp_path / "out"
    )
    options = ["--methods=mmd", "--permutations=50", "--suggest", "--write_negatives", negatives]
    result = run_ok([*args, *options])
    summary = json.loads((tmp_path / "out" / "drift.json").read_text())
    top = summary["repair_next"][0]["label"]
    assert f"commands for label {top}:" in result.stdout
    commands = [line.strip() for line in result.stdout.splitlines() if line.startswith("  repair ")]
    assert [shlex.split(c)[1] for c in commands] == ["target", "localize", "optimize"]
    assert f"--target_data_dir={weeks_dir}/negative/{top}" in commands[1]

    # The written negatives: misclassified inputs of drifted labels only, in target's layout.
    drifted = set(summary["drifted_labels"])
    written = {int(p.name) for p in (negatives / "negative").iterdir() if p.is_dir()}
    assert written and written <= drifted
    assert not (negatives / "positive").exists()
    labels_json = json.loads((negatives / "negative" / "labels.json").read_text())
    assert {int(label) for label, _ in labels_json} == written
    model = load_model(digits_model_dir)
    for label in written:
        split = read_split(negatives / "negative" / str(label) / "repair.h5")
        predicted = np.argmax(predict_scores(model, split.images), axis=1)
        assert np.all(split.labels == label) and np.all(predicted != label)
        for pred_dir in (negatives / "negative" / str(label)).iterdir():
            if pred_dir.is_dir():
                pair = read_split(pred_dir / "repair.h5")
                assert np.all(
                    np.argmax(predict_scores(model, pair.images), 1) == int(pred_dir.name)
                )
    # ... ready for localize.
    label = max(
        written, key=lambda k: len(read_split(negatives / "negative" / str(k) / "repair.h5").labels)
    )
    run_ok(
        [
            "localize",
            "--method=Arachne",
            "--model_dir",
            digits_model_dir,
            "--target_data_dir",
            negatives / "negative" / str(label),
        ]
    )
    assert (negatives / "negative" / str(label) / "weights.csv").is_file()


def test_layer_option_embeds_another_layer(
    digits_model_dir: Path, digits_data_dir: Path, weeks_dir: Path, tmp_path: Path
) -> None:
    args = _drift_args(
        digits_model_dir, digits_data_dir / "train.h5", weeks_dir / "week3.h5", tmp_path
    )
    result = run_ok(
        [*args, "--layer=-2", "--methods=mmd", "--permutations=20", "--json", "--suggest"]
    )
    summary = json.loads(result.stdout)
    assert summary["layer"]["index"] == 5 and not summary["layer"]["default"]
    assert summary["layer"]["dimensions"] > 64  # the flattened conv features
    assert summary["methods"]["mmd"]["settings"]["dimensions"] == 100  # projected by PCA
    assert all("--target_layer=5" in c for c in summary["commands"][1:2])


@pytest.mark.parametrize(
    ("option", "code", "fragment"),
    [
        ("--methods=cluster,kmeans", 2, "--methods"),
        ("--layer=42", 2, "--layer must lie in"),
        ("--clusters=1", 2, "--clusters"),
        ("--permutations=0", 2, "--permutations"),
    ],
)
def test_bad_options(
    digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path, option, code, fragment
) -> None:
    args = _drift_args(
        digits_model_dir, digits_data_dir / "train.h5", digits_data_dir / "test.h5", tmp_path
    )
    result = run_repair([*args, option])
    assert result.exit_code == code, result.output
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert fragment in result.stderr
    assert not (tmp_path / "drift.json").exists()


def test_missing_current_file(
    digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path
) -> None:
    args = _drift_args(
        digits_model_dir, digits_data_dir / "train.h5", tmp_path / "nope.h5", tmp_path / "out"
    )
    result = run_repair(args)
    assert result.exit_code == 1
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"error: data file not found: {tmp_path / 'nope.h5'}"
    )
    assert not (tmp_path / "out").exists()


def test_write_negatives_refuses_a_target_layout(
    digits_model_dir: Path, digits_data_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "new" / "positive").mkdir(parents=True)
    args = _drift_args(
        digits_model_dir, digits_data_dir / "train.h5", digits_data_dir / "test.h5", tmp_path
    )
    result = run_repair([*args, "--write_negatives", tmp_path / "new"])
    assert result.exit_code == 1
    assert "holds repair target's positive/ folder" in result.stderr
    assert not (tmp_path / "drift.json").exists()
