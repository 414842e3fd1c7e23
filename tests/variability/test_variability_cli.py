"""`repair variability` on K seeds, and `prepare --scenario` on the built-in digits."""

from __future__ import annotations

import csv
import json
import shutil

import h5py
import numpy as np
import pytest

from repair.core.data import read_split
from tests.conftest import run_ok, run_repair
from tests.reports.conftest import check_png


@pytest.fixture(scope="module")
def seeds_report(seed_models, holdout_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("variability")
    models = ",".join(map(str, seed_models))
    result = run_ok(["variability", "--model_dirs", models, "--data_dir", holdout_data_dir,
                     "--output_dir", out, "--json"])  # fmt: skip
    return out, json.loads(result.stdout)


def test_the_held_out_label_dominates_the_most_variable_inputs(seeds_report):
    out, report = seeds_report
    with (out / "per_input.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == report["n"] and report["K"] == 5
    labels = np.array([int(row["label"]) for row in rows])
    top = labels[: len(rows) // 10]
    base_rate = np.mean(labels == 0)
    assert np.mean(top == 0) >= 2 * base_rate, (np.mean(top == 0), base_rate)
    disagreement = [float(row["disagreement"]) for row in rows]
    assert disagreement == sorted(disagreement, reverse=True)  # most unstable first


def test_report_unstable_split_and_chart(seeds_report, seed_models, holdout_data_dir):
    out, report = seeds_report
    test = read_split(holdout_data_dir / "test.h5")
    overall = report["overall"]
    assert overall["min"] <= overall["mean"] <= overall["max"] and overall["std"] > 0
    assert overall["noise_floor"] == pytest.approx(
        100 * np.sqrt(overall["mean"] / 100 * (1 - overall["mean"] / 100) / len(test)), abs=1e-3
    )
    assert sum(row["n"] for row in report["labels"]) == len(test)
    assert 0 < report["mean_pairwise_disagreement"] < 100
    with (out / "per_input.csv").open() as file:
        rows = list(csv.DictReader(file))
    unstable_ids = sorted(row["image_id"] for row in rows if 0 < int(row["correct"]) < 5)
    unstable = read_split(out / "unstable" / "repair.h5")
    assert len(unstable) == report["unstable"] == len(unstable_ids)
    assert sorted(unstable.image_ids) == unstable_ids
    by_id = dict(zip(test.image_ids, test.labels, strict=True))
    assert [by_id[i] for i in unstable.image_ids] == unstable.labels.tolist()
    check_png(out / "variability.png", (900, 560))
    # The unstable inputs are repair targets as they stand.
    run_ok(["target", "--model_dir", seed_models[0], "--data_dir", out / "unstable"])
    assert (out / "unstable" / "negative" / "repair.h5").is_file()


def test_a_rerun_without_unstable_inputs_removes_the_last_unstable_split(
    seeds_report, seed_models, holdout_data_dir, tmp_path
):
    out = tmp_path / "variability"
    shutil.copytree(seeds_report[0], out)
    assert (out / "unstable" / "repair.h5").is_file()
    (out / "notes.txt").write_text("the user's")
    twin = shutil.copytree(seed_models[0], tmp_path / "twin")  # the same model: none unstable
    same = f"{seed_models[0]},{twin}"
    result = run_ok(["variability", "--model_dirs", same, "--data_dir", holdout_data_dir,
                     "--output_dir", out, "--json"])  # fmt: skip
    assert json.loads(result.stdout)["unstable"] == 0
    assert not (out / "unstable" / "repair.h5").exists()
    assert (out / "notes.txt").read_text() == "the user's"
    recorded = json.loads((out / ".repair-variability.json").read_text())["files"]
    assert recorded == ["per_input.csv", "variability.json", "variability.png"]


def test_scenario_removes_and_records_only_training_images(holdout_data_dir):
    record = json.loads((holdout_data_dir / "scenario.json").read_text())
    assert record["scenario"] == "holdout:0:0.8" and record["label"] == 0
    assert record["affected"] == round(0.8 * record["label_count_before"])
    with h5py.File(holdout_data_dir / "train.h5", "r") as file:
        train_ids = {v.decode() for v in file["image_ids"][...]}
        zeros = int(np.sum(np.argmax(file["labels"][...], axis=1) == 0))
    assert zeros == record["label_count_before"] - record["affected"]
    assert not train_ids & set(record["image_ids"])
    test_zeros = np.sum(read_split(holdout_data_dir / "test.h5").labels == 0)
    assert test_zeros > 20  # the other splits keep every 0


def test_grayscale_scenario_on_rgb_digits(tmp_path):
    run_ok(["prepare", "digits", "--output_dir", tmp_path, "--rgb",
            "--data_ratio=0.6,0.1,0.15,0.15", "--scenario", "grayscale:3:0.5"])  # fmt: skip
    record = json.loads((tmp_path / "scenario.json").read_text())
    train = read_split(tmp_path / "train.h5")
    assert np.sum(train.labels == 3) == record["label_count_before"]  # none removed
    gray = np.isin(train.image_ids, record["image_ids"])
    assert gray.sum() == record["affected"] == round(0.5 * record["label_count_before"])
    images = train.images[gray]
    assert np.allclose(images[..., 0], images[..., 1]) and np.allclose(
        images[..., 1], images[..., 2]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --model_dirs and --runs_dir"),
        (["--model_dirs", "nowhere/model"], "no such model folder"),
        (["--model_dirs", ","], "--model_dirs needs"),
    ],
)
def test_bad_usage(args, message, digits_data_dir):
    result = run_repair(["variability", "--data_dir", digits_data_dir, *args])
    assert result.exit_code == 2 and message in result.output


def test_scenario_usage_errors(tmp_path):
    for scenario, message in (
        ("holdout:12:0.5", "no class"),
        ("fog:1:0.5", "holdout:LABEL"),
        ("holdout-dup:1:1", "FRACTION < 1"),
        ("augmentation-all:1:0.5", "augmentation-all:FRACTION"),
    ):
        result = run_repair(["prepare", "digits", "--output_dir", tmp_path, "--scenario", scenario])
        assert result.exit_code == 2 and message in result.output


def test_holdout_dup_keeps_every_count_and_duplicates_the_rest(tmp_path):
    common = ["prepare", "digits", "--data_ratio=0.6,0.1,0.15,0.15", "--random_state=0"]
    run_ok([*common, "--output_dir", tmp_path / "plain"])
    printed = run_ok(
        [*common, "--output_dir", tmp_path / "dup", "--scenario", "holdout-dup:4:0.75"]
    )
    record = json.loads((tmp_path / "dup" / "scenario.json").read_text())
    before, after = read_split(tmp_path / "plain/train.h5"), read_split(tmp_path / "dup/train.h5")
    fours = before.image_ids[before.labels == 4]
    assert record["label_count_before"] == len(fours) and record["label"] == 4
    assert record["affected"] == record["duplicated"] == round(0.75 * len(fours))
    assert np.bincount(after.labels).tolist() == np.bincount(before.labels).tolist()
    held = set(record["image_ids"])
    assert held <= set(fours) and not held & set(after.image_ids)
    kept = [i for i in fours if i not in held]
    # Every kept 4 appears once, plus its copies: each kept image copied 2 or 3 times here
    # (len(held) / len(kept) = 3), never one twice before another once.
    times = {i: int(np.sum(after.image_ids == i)) for i in kept}
    assert sum(times.values()) == len(fours) and max(times.values()) - min(times.values()) <= 1
    assert sorted(record["duplicate_image_ids"]) == sorted(
        i for i in kept for _ in range(times[i] - 1)
    )
    unchanged = [i for i in before.image_ids if i not in held]  # in order, copies after them
    assert after.image_ids[: len(unchanged)].tolist() == unchanged
    position = {image_id: k for k, image_id in enumerate(before.image_ids)}
    sources = [position[image_id] for image_id in after.image_ids]
    assert np.array_equal(after.images, before.images[sources])
    assert f"{len(held)} of {len(fours)} training images of label 4, {len(held)} duplicated" in (
        printed.stdout
    )
