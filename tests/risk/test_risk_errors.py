"""Bad inputs of `repair utils risk_calculation_tool`: one clear line each, exit 2 for a bad
option value, exit 1 for a data file that does not hold what the query needs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import write_split
from tests.conftest import run_repair
from tests.risk.conftest import write_images


def run(fx, out: Path, *options: str, target: str = "scene_prob_and_miss_rate"):
    return run_repair(
        ["utils", "risk_calculation_tool", f"--calc_target={target}", "--h5_dataset_path",
         fx.splits, "--model_dir", fx.model, "--output_dir", out, *options]
    )  # fmt: skip


def error_line(result) -> str:
    """The one ``error:`` line on stderr (a progress bar may have drawn before it)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("options", "code", "expected"),
    [
        (
            ["--attributes", "wether=rainy"],
            2,
            "{labels} has no per-image string key 'wether'; its keys: scene, timeofday, weather",
        ),
        (
            ["--attributes", "weather=sunny"],
            2,
            "no image of {labels} has weather=sunny; its values: clear, rainy, undefined",
        ),
        (["--attributes", "weather"], 2, "--attributes parts look like 'timeofday=night'"),
        (
            ["--attributes", "weather=rainy,weather=clear"],
            2,
            "--attributes gives 'weather' two values",
        ),
        (["--label", "bus"], 2, "--label 'bus' is not a class of"),
        (["--label", "7"], 2, "Known: car, pedestrian, truck"),
        (["--calc_target=risk"], 2, "Invalid value for '--calc_target'"),
    ],
)
def test_bad_query_values(risk_fixture, tmp_path, options, code, expected) -> None:
    result = run(risk_fixture, tmp_path / "out", "--scalabel_format_label_path",
                 risk_fixture.labels, *options)  # fmt: skip
    assert result.exit_code == code, result.output
    assert expected.format(labels=risk_fixture.labels) in error_line(result)
    assert not (tmp_path / "out" / "results.json").exists()


def test_options_a_target_needs_or_would_ignore(risk_fixture, tmp_path) -> None:
    # Without label files the splits' own per-image keys are matched; these have none.
    no_labels = run(risk_fixture, tmp_path / "o", "--attributes=weather=rainy")
    assert no_labels.exit_code == 2
    assert "has no per-image string key 'weather'; its keys: none" in error_line(no_labels)
    ignored = run(risk_fixture, tmp_path / "o", "--label=car", target="miss_rate")
    assert ignored.exit_code == 2 and "--calc_target miss_rate counts every" in error_line(ignored)
    no_model = run_repair(
        ["utils", "risk_calculation_tool", "--calc_target=miss_rate", "--h5_dataset_path",
         risk_fixture.splits]
    )  # fmt: skip
    assert no_model.exit_code == 2
    assert "--calc_target miss_rate needs --model_dir" in error_line(no_model)
    missing = run(risk_fixture, tmp_path / "o", "--scalabel_format_label_path", tmp_path / "nope")
    assert missing.exit_code == 2 and "--scalabel_format_label_path" in error_line(missing)


def test_a_frame_missing_from_the_label_files(risk_fixture, tmp_path) -> None:
    # labels_1.json holds f1 and f2 only; a5 (a car) comes from f4.
    result = run(
        risk_fixture,
        tmp_path / "out",
        "--scalabel_format_label_path",
        risk_fixture.labels / "labels_1.json",
        "--label=car",
        "--attributes=weather=clear",
    )
    assert result.exit_code == 1
    assert "frame 'f4.jpg' of image 5 of" in error_line(result)
    assert "not in the label files" in error_line(result)


def test_label_files_that_are_not_scalabel(risk_fixture, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"frames": []}))
    result = run(risk_fixture, tmp_path / "out", "--scalabel_format_label_path", bad,
                 "--attributes=weather=clear")  # fmt: skip
    assert result.exit_code == 1 and "is not a BDD100K detection label file" in error_line(result)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(risk_fixture, tmp_path / "out", "--scalabel_format_label_path", empty,
                 "--attributes=weather=clear")  # fmt: skip
    assert result.exit_code == 1 and "no .json files in the folder" in error_line(result)


def test_an_unsafe_crop_name_is_refused(risk_fixture, tmp_path) -> None:
    split = write_images(tmp_path / "splits" / "x.h5", [("../escape.jpg", 0, 1, "f1.jpg")])
    result = run_repair(
        ["utils", "risk_calculation_tool", "--calc_target=miss_rate", "--h5_dataset_path", split,
         "--model_dir", risk_fixture.model, "--output_dir", tmp_path / "out",
         "--create_image_subset_output_path", risk_fixture.crops]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "unsafe file name '../escape.jpg' in image_ids of" in error_line(result)
    assert not (tmp_path / "escape.jpg").exists()
    assert list((tmp_path / "out").iterdir()) == []  # no results.json, no staging folder left


def test_split_folders_that_cannot_be_read_together(risk_fixture, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_repair(
        ["utils", "risk_calculation_tool", "--calc_target=miss_rate", "--h5_dataset_path", empty,
         "--model_dir", risk_fixture.model, "--output_dir", tmp_path / "out"]
    )  # fmt: skip
    assert result.exit_code == 1 and "no .h5 files in the folder" in error_line(result)
    mixed = tmp_path / "mixed"
    write_images(mixed / "a.h5", [("a.jpg", 0, 0, "f1.jpg")])

    write_split(mixed / "b.h5", np.zeros((1, 1, 1, 3), np.float32), np.array([0]), num_classes=2)
    result = run_repair(
        ["utils", "risk_calculation_tool", "--calc_target=scene_prob", "--h5_dataset_path", mixed,
         "--output_dir", tmp_path / "out"]
    )  # fmt: skip
    assert result.exit_code == 1 and "must hold splits of one dataset" in error_line(result)


def test_a_crop_missing_from_the_folder_is_noted_not_fatal(risk_fixture, tmp_path) -> None:
    crops = tmp_path / "crops"
    shutil.copytree(risk_fixture.crops, crops)
    (crops / "pedestrian" / "a2.jpg").unlink()
    result = run(risk_fixture, tmp_path / "out", "--scalabel_format_label_path",
                 risk_fixture.labels, "--attributes=timeofday=night",
                 "--create_image_subset_output_path", crops)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "note: 2 crops not found in" in result.stderr  # a2 is matched and misrecognised
    assert "(first: a2.jpg)" in result.stderr
    assert not (tmp_path / "out" / "matched_data" / "a2.jpg").exists()
    assert (tmp_path / "out" / "misrecognition_data" / "1" / "2" / "b0.jpg").is_file()
