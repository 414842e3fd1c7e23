"""repair audit over two architectures: row counts, equality with repair test, transfer,
stratum selectors in compare, and target --holdout keeping the stratum keys."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import SplitReader, read_split, write_split
from repair.robustness import COMMON
from tests.conftest import SPLITS, run_ok

SMALL = 60  # images per corrupted stratum: the row count is what matters there


@pytest.fixture(scope="module")
def dense_model_dir(digits_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second architecture: Flatten, Dense(32), Dense(10, softmax), trained for seconds."""
    from repair.core.model import save_model
    from repair.core.tf import keras
    from repair.core.training import seed_everything

    train = read_split(digits_data_dir / "train.h5")
    seed_everything(0)
    model = keras.Sequential(
        [
            keras.Input(shape=train.images.shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(train.images, train.labels, epochs=15, batch_size=64, verbose=0)
    folder = tmp_path_factory.mktemp("dense-model")
    save_model(model, folder)
    return folder


@pytest.fixture(scope="module")
def audited(digits_data_dir, digits_model_dir, dense_model_dir, tmp_path_factory):
    """Digits with corrupted strata of 60 test images and FGM examples made on each model,
    audited with both models."""
    data = tmp_path_factory.mktemp("audit-data")
    for name in SPLITS:
        shutil.copy(digits_data_dir / name, data / name)
    test = read_split(data / "test.h5")
    write_split(data / "small.h5", test.images[:SMALL], test.labels[:SMALL], 10)
    run_ok(["corrupt", "--data_dir", data, "--target_data", "small.h5", "--corruptions", "common"])
    models = {"base": digits_model_dir, "dense": dense_model_dir}
    for name, folder in models.items():
        run_ok(
            [
                "attack",
                "--model_dir",
                folder,
                "--data_dir",
                data,
                "--eps",
                "0.1",
                "--output_dir",
                data / "adversarial" / name,
            ]
        )
    out = tmp_path_factory.mktemp("audit")
    result = run_ok(
        [
            "audit",
            "--model_dirs",
            f"{digits_model_dir},{dense_model_dir}",
            "--data_dir",
            data,
            "--target_data",
            "test.h5,corrupted/*.h5,adversarial/*/*.h5,missing/*.h5",
            "--output_dir",
            out,
        ]
    )
    return data, out, models, result


def _table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def _test_accuracy(model_dir: Path, data: Path, file: str) -> dict:
    args = ["test", "--model_dir", model_dir, "--data_dir", data, "--target_data", file]
    return json.loads(run_ok([*args, "--json"]).stdout)


def test_audit_rows_match_repair_test_and_cover_every_stratum(audited):
    data, out, models, result = audited
    rows = _table(out / "audit.csv")
    assert list(rows[0])[:7] == [
        "model",
        "category",
        "kind",
        "intensity",
        "n",
        "correct",
        "accuracy",
    ]
    corrupted_or_clean = [r for r in rows if r["category"] != "adversarial"]
    assert len(corrupted_or_clean) == len(models) * (len(COMMON) * 5 + 1)
    assert {r["category"] for r in rows} == {
        "clean",
        "noise",
        "blur",
        "weather",
        "digital",
        "adversarial",
    }
    for folder in models.values():
        for file in ("test.h5", "corrupted/fog_3.h5", "adversarial/dense/fgm_0.1.h5"):
            [row] = [r for r in rows if r["model"] == str(folder) and r["file"] == file]
            expected = _test_accuracy(folder, data, file)
            assert (int(row["correct"]), int(row["n"])) == (expected["correct"], expected["total"])
            assert float(row["accuracy"]) == pytest.approx(expected["accuracy"], abs=1e-4)
    labels = _table(out / "audit_labels.csv")
    fog = [
        r
        for r in labels
        if r["model"] == str(models["base"]) and r["kind"] == "fog" and r["intensity"] == "3"
    ]
    assert sum(int(r["n"]) for r in fog) == SMALL
    assert "note: no split file matches 'missing/*.h5'" in result.stderr
    assert "| model | clean | corruptions 1 |" in result.stdout
    for chart in ("noise", "blur", "weather", "digital", "adversarial"):
        assert (out / f"audit_{chart}.png").read_bytes()[:4] == b"\x89PNG"


def test_mean_accuracy_over_corruptions_does_not_rise_with_intensity(audited):
    from repair.robustness.audit import read_audit

    _, out, models, _ = audited
    by_level = {}
    for row in read_audit(out / "audit.csv"):
        corrupted = row.stratum.category not in ("clean", "adversarial")
        if row.model == str(models["base"]) and corrupted:
            by_level.setdefault(row.stratum.intensity, []).append(row.accuracy)
    means = [np.mean(by_level[level]) for level in sorted(by_level)]
    assert len(means) == 5 and np.all(np.diff(means) <= 1e-9), means


def test_transfer_table_over_two_architectures(audited):
    data, out, models, _ = audited
    table = _table(out / "transfer.csv")
    names = [str(models["base"]), str(models["dense"])]
    assert list(table[0]) == ["attack", "eps", "source_model", *names]
    assert [(r["attack"], r["eps"], r["source_model"]) for r in table] == [
        ("fgm", "0.1", names[0]),
        ("fgm", "0.1", names[1]),
    ]
    for row, source in zip(table, ("base", "dense"), strict=True):
        for folder in models.values():
            expected = _test_accuracy(folder, data, f"adversarial/{source}/fgm_0.1.h5")
            assert float(row[str(folder)]) == pytest.approx(expected["accuracy"], abs=1e-4)
        # white-box examples fool their own model more than the other architecture
        own, other = (
            float(row[str(models[source])]),
            float(row[str(models["dense" if source == "base" else "base"])]),
        )
        assert own < other
    assert (out / "transfer.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_reads_stratum_selectors_from_audits(audited, cli):
    _, out, models, _ = audited
    labels = _table(out / "audit_labels.csv")

    def accuracy(model: str, file: str, label: str) -> float:
        [row] = [
            r for r in labels if r["model"] == model and r["file"] == file and r["label"] == label
        ]
        return float(row["accuracy"])

    base, dense = str(models["base"]), str(models["dense"])
    after = accuracy(dense, "corrupted/fog_3.h5", "8")
    change = after - accuracy(base, "corrupted/fog_3.h5", "8")
    args = [
        "utils",
        "compare",
        "--before",
        out,
        "--after",
        out,
        "--before_model",
        base,
        "--after_model",
        dense,
        "--json",
        "--require",
    ]
    require = f"8@fog_3>={after - 0.01:.2f},8@fog_3>={change - 0.01:+.2f}"
    report = json.loads(run_ok([*args, require]).stdout)
    assert [c["actual"] for c in report["requirements"]] == [
        pytest.approx(after, abs=1e-3),
        pytest.approx(change, abs=1e-3),
    ]
    assert report["overall"]["before"] == pytest.approx(
        float(
            next(
                r
                for r in _table(out / "audit.csv")
                if r["model"] == base and r["file"] == "test.h5"
            )["accuracy"]
        ),
        abs=1e-3,
    )
    # A level just out of reach: absolute where the accuracy leaves room, else the change.
    beyond = f"{after + 1:.2f}" if after < 99 else f"{change + 1:+.2f}"
    failed = cli([*args[:-2], "--require", f"8@fog_3>={beyond}"])
    assert failed.exit_code == 1 and "8@fog_3" in failed.stderr and "failed" in failed.stderr
    unknown = cli([*args[:-2], "--require", "8@haze_3>=1"])
    assert unknown.exit_code == 2 and "no stratum 'haze_3'" in unknown.stderr
    several = cli(["utils", "compare", "--before", out, "--after", out, "--require", "8>=1"])
    assert several.exit_code == 2 and "--before_model" in several.stderr


def test_target_holds_out_half_of_a_stratum_and_keeps_its_keys(audited):
    data, _, models, _ = audited
    source = data / "adversarial" / "base" / "fgm_0.1.h5"
    report = json.loads(
        run_ok(
            [
                "target",
                "--model_dir",
                models["base"],
                "--data_dir",
                data,
                "--target_data",
                "adversarial/base/fgm_0.1.h5",
                "--holdout",
                "0.5",
                "--json",
            ]
        ).stdout
    )
    held_path = data / "holdout" / "fgm_0.1.h5"
    assert report["holdout"] == {"path": str(held_path), "total": pytest.approx(269 / 2, abs=5)}
    with SplitReader(source) as reader:
        total, labels = len(reader), reader.labels()
    assert report["total"] + report["holdout"]["total"] == total
    seen = []
    for path in (held_path, data / "negative" / "repair.h5", data / "positive" / "repair.h5"):
        with SplitReader(path) as reader:
            assert {"attack", "eps", "source_model", "source_index"} <= set(reader.info.extras)
            assert set(reader.extra("eps")) == {0.1}
            seen.append(reader.extra("source_index"))
    assert sorted(np.concatenate(seen).tolist()) == list(range(total))
    held_labels = read_split(held_path).labels
    assert np.all(np.abs(np.bincount(held_labels) - np.bincount(labels) / 2) <= 0.5)


def test_bad_audit_and_holdout_options_are_usage_errors(audited, cli):
    data, _, models, _ = audited
    model = str(models["base"])
    for args, message in (
        (["--model_dirs", f"{model},{model}"], "names a model twice"),
        (["--model_dirs", model, "--target_data", "../test.h5"], "relative to --data_dir"),
        (["--model_dirs", ","], "at least one model"),
    ):
        result = cli(["audit", "--data_dir", data, *args])
        assert result.exit_code == 2 and message in result.stderr
    result = cli(["audit", "--data_dir", data, "--model_dirs", model, "--target_data", "no.h5"])
    assert result.exit_code == 1 and "data file not found" in result.stderr
    target = ["target", "--model_dir", model, "--data_dir", data, "--holdout", "1"]
    result = cli(target)
    assert result.exit_code == 2 and "--holdout must lie strictly between 0 and 1" in result.stderr
