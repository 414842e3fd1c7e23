"""prepare -> train -> test -> target through the real CLI, checking the numbers."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from repair.core.data import read_split
from repair.core.model import load_model, predict_scores
from tests.conftest import run_ok

NUM_DIGITS = 1797


def test_prepare_writes_every_sample_once_with_ids_and_class_names(digits_data_dir: Path) -> None:
    ids = []
    for name in ("train", "val", "test", "repair"):
        with h5py.File(digits_data_dir / f"{name}.h5") as file:
            assert file["images"].shape[1:] == (8, 8, 1)
            assert file["labels"].shape[1] == 10
            assert list(file.attrs["class_names"]) == [str(d) for d in range(10)]
            ids += [v.decode() for v in file["image_ids"][...]]
    assert len(ids) == len(set(ids)) == NUM_DIGITS


def test_prepare_skips_splits_of_ratio_zero_and_is_reproducible(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        run_ok(
            [
                "prepare",
                "digits",
                "--output-dir",
                tmp_path / folder,
                "--data-ratio",
                "0.5,0,0.5,0",
                "--random-state",
                "7",
                "--image_size=12",
            ]
        )
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        ".repair-prepare.json",
        "test.h5",
        "train.h5",
    ]
    first, second = read_split(tmp_path / "a/train.h5"), read_split(tmp_path / "b/train.h5")
    assert first.images.shape == (898, 12, 12, 1)
    assert list(first.image_ids) == list(second.image_ids)


def test_train_saves_the_model_and_the_last_two_checkpoints(digits_model_dir: Path) -> None:
    assert (digits_model_dir / "model.keras").is_file()
    checkpoints = sorted(p.name for p in (digits_model_dir / "checkpoints").iterdir())
    assert checkpoints == ["epoch_003.keras", "epoch_004.keras"]
    log = (digits_model_dir / "training_log.csv").read_text().splitlines()
    assert log[0].startswith("epoch,") and len(log) == 5


def test_test_accuracy_equals_a_direct_computation(
    digits_data_dir: Path, digits_model_dir: Path
) -> None:
    result = run_ok(
        ["test", "--model_dir", digits_model_dir, "--data_dir", digits_data_dir, "--json"]
    )
    report = json.loads(result.stdout)
    data = read_split(digits_data_dir / "test.h5")
    predicted = np.argmax(predict_scores(load_model(digits_model_dir), data.images), axis=1)
    assert report["correct"] == int(np.sum(predicted == data.labels))
    assert report["total"] == len(data)
    assert abs(report["accuracy"] - 100 * np.mean(predicted == data.labels)) < 1e-3
    assert sum(label["total"] for label in report["labels"]) == len(data)
    plain = run_ok(["test", "--model-dir", digits_model_dir, "--data-dir", digits_data_dir])
    assert plain.stdout.startswith(f"accuracy: {report['accuracy']:.2f}%")
    assert "| label | name | correct | total | accuracy |" in plain.stdout


def _count(path: Path) -> int:
    with h5py.File(path) as file:
        return len(file["labels"])


def test_target_splits_the_repair_set_into_positives_and_negatives(
    digits_workdir: Path, digits_model_dir: Path
) -> None:
    users = digits_workdir / "negative" / "99"
    users.mkdir(parents=True)
    (users / "repair.h5").write_text("the user's own, not recorded by target")
    mine = digits_workdir / "negative" / "my_notes.txt"
    mine.write_text("the user's own file")
    chunk = digits_workdir / "negative" / "1" / "repairsets" / "0" / "repair.h5"
    chunk.parent.mkdir(parents=True)
    chunk.write_text("made by utils split_dataset, not by target")
    result = run_ok(
        ["target", "--model_dir", digits_model_dir, "--data_dir", digits_workdir, "--json"]
    )
    summary = json.loads(result.stdout)
    repair = read_split(digits_workdir / "repair.h5")
    positives = read_split(digits_workdir / "positive/repair.h5")
    negatives = read_split(digits_workdir / "negative/repair.h5")
    assert len(positives) + len(negatives) == len(repair) == summary["total"]
    assert summary["negative"] == len(negatives) > 0
    assert set(positives.image_ids) | set(negatives.image_ids) == set(repair.image_ids)

    model = load_model(digits_model_dir)
    assert np.all(np.argmax(predict_scores(model, positives.images), 1) == positives.labels)
    assert np.all(np.argmax(predict_scores(model, negatives.images), 1) != negatives.labels)

    true_labels = json.loads((digits_workdir / "negative/labels.json").read_text())
    assert [entry[0] for entry in true_labels] == sorted(
        {str(v) for v in negatives.labels}, key=int
    )
    for label, _ in true_labels:
        folder = digits_workdir / "negative" / label
        per_pred = json.loads((folder / "labels.json").read_text())
        assert sum(_count(folder / pred / "repair.h5") for pred, _ in per_pred) == _count(
            folder / "repair.h5"
        )
    assert (users / "repair.h5").read_text() == "the user's own, not recorded by target"
    assert mine.read_text() == "the user's own file"
    assert chunk.read_text() == "made by utils split_dataset, not by target"
    assert not list(digits_workdir.glob(".target-staging-*"))


def test_train_is_reproducible_for_a_seed(digits_data_dir: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        run_ok(
            [
                "train",
                "--data_dir",
                digits_data_dir,
                "--output_dir",
                tmp_path / name,
                "--epochs=1",
                "--random_state=5",
            ]
        )
    first, second = load_model(tmp_path / "a"), load_model(tmp_path / "b")
    for left, right in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(left, right)
