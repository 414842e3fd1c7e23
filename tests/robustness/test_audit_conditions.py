"""`repair audit --strata` on generated BDD-style frames: condition rows whose counts equal the
label JSON's, the chart, and requirement selectors on conditions in `utils compare`."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import SplitReader
from repair.core.model import load_model, predict_split
from repair.datasets.bdd.synthetic import write_frames
from tests.conftest import run_ok, run_repair
from tests.reports.conftest import check_png

KEYS = ("weather", "timeofday")


@pytest.fixture(scope="session")
def bdd_conditions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Crops of 60 generated frames with varied conditions, packed at 8x8, and a `base` CNN
    trained on them: folder with labels.json, data/ and model/."""
    root = tmp_path_factory.mktemp("bdd-conditions")
    write_frames(root / "frames", root / "labels.json", 60, 6, 320, 180, seed=5)
    run_ok(
        ["create_category_dir", f"--image_dir={root / 'frames'}"]
        + [f"--label_file={root / 'labels.json'}", f"--output_dir={root / 'crops'}", "--workers=1"]
    )
    run_ok(
        ["prepare", "bdd-objects", f"--input_dir={root / 'crops'}", f"--output_dir={root / 'data'}"]
        + ["--data_ratio=0.6,0,0.2,0.2", "--image_size=8", "--random_state=0"]
    )
    run_ok(
        ["train", "--model=base", "--data_dir", root / "data", "--output_dir", root / "model"]
        + ["--epochs=3", "--batch_size=32", "--random_state=0"]
    )
    return root


def _expected_counts(root: Path, split: str) -> Counter:
    """(key=value, label) -> images of ``split``, from the label JSON via each crop's frame."""
    frames = {f["name"]: f["attributes"] for f in json.loads((root / "labels.json").read_text())}
    with SplitReader(root / "data" / split) as reader:
        batch = reader.read()
    counts: Counter = Counter()
    for frame, label in zip(batch.attribute_ids, batch.labels, strict=True):
        for key in KEYS:
            counts[(f"{key}={frames[frame].get(key, 'undefined')}", int(label))] += 1
    return counts


def _audit(root: Path, out: Path, *extra: str):
    return run_repair(
        ["audit", "--model_dirs", root / "model", "--data_dir", root / "data"]
        + ["--target_data=test.h5", "--output_dir", out, *extra]
    )


@pytest.fixture(scope="module")
def audited(bdd_conditions: Path) -> Path:
    out = bdd_conditions / "audit"
    result = _audit(bdd_conditions, out, "--strata=weather,timeofday")
    assert result.exit_code == 0, result.output
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def test_condition_rows_count_what_the_label_json_says(bdd_conditions: Path, audited: Path) -> None:
    expected = _expected_counts(bdd_conditions, "test.h5")
    with SplitReader(bdd_conditions / "data/test.h5") as reader:
        batch = reader.read()
        predictions = predict_split(load_model(bdd_conditions / "model"), reader, 256, "t")
    hits = predictions.true == predictions.predicted
    label_rows = [r for r in _rows(audited / "audit_labels.csv") if r["category"] == "condition"]
    got = Counter({(r["kind"], int(r["label"])): int(r["n"]) for r in label_rows})
    assert got == expected
    for row in label_rows:
        key, value = row["kind"].split("=", 1)
        mask = (np.asarray(batch.extras[key]) == value) & (batch.labels == int(row["label"]))
        assert int(row["correct"]) == int(hits[mask].sum())
        assert row["intensity"] == ""
    totals = [r for r in _rows(audited / "audit.csv") if r["category"] == "condition"]
    for key in KEYS:
        mine = [r for r in totals if r["kind"].startswith(f"{key}=")]
        assert len(mine) > 1 and sum(int(r["n"]) for r in mine) == len(batch)
    clean = [r for r in _rows(audited / "audit.csv") if r["category"] == "clean"]
    assert len(clean) == 1 and int(clean[0]["n"]) == len(batch)


def test_a_chart_per_condition_key(audited: Path) -> None:
    for key in KEYS:
        check_png(audited / f"audit_condition_{key}.png", _png_size(audited, key))


def _png_size(folder: Path, key: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(folder / f"audit_condition_{key}.png") as image:
        assert image.size[0] >= 640 and image.size[1] >= 300
        return image.size


def test_unknown_strata_key_names_the_keys(bdd_conditions: Path, tmp_path: Path) -> None:
    result = _audit(bdd_conditions, tmp_path / "a", "--strata=season")
    assert result.exit_code == 2
    assert "no per-image string key 'season'; its keys: scene, timeofday, weather" in result.stderr
    assert not (tmp_path / "a").exists()


def _night(audited: Path, label: str | None = None) -> tuple[int, int]:
    rows = _rows(audited / ("audit_labels.csv" if label else "audit.csv"))
    mine = [
        r for r in rows if r["kind"] == "timeofday=night" and (label is None or r["name"] == label)
    ]
    return sum(int(r["correct"]) for r in mine), sum(int(r["n"]) for r in mine)


def test_compare_gates_on_a_condition(audited: Path) -> None:
    rows = [r for r in _rows(audited / "audit_labels.csv") if r["kind"] == "timeofday=night"]
    label = max(rows, key=lambda r: int(r["n"]))["name"]
    correct, n = _night(audited, label)
    accuracy = 100 * correct / n
    worst = min(100 * int(r["correct"]) / int(r["n"]) for r in rows)
    base = ["utils", "compare", "--before", audited, "--after", audited, "--json", "--require"]
    low, lowest = max(accuracy - 0.01, 0), max(worst - 0.01, 0)  # unsigned: levels, not changes
    passing = f"{label}@timeofday=night>={low:.2f},@timeofday=night>={lowest:.2f}"
    result = run_ok([*base, passing])
    checks = json.loads(result.stdout)["requirements"]
    assert [c["passed"] for c in checks] == [True, True]
    assert checks[1]["actual"] == pytest.approx(worst, abs=1e-3)
    failing = f"{label}@timeofday=night>={accuracy + 0.5:.2f}!,@timeofday=night>={worst + 0.5:.2f}"
    result = run_repair([*base, failing])
    assert result.exit_code == 1
    assert [c["passed"] for c in json.loads(result.stdout)["requirements"]] == [False, False]


@pytest.mark.parametrize(
    ("require", "message"),
    [
        ("car@timeofday=dusk>=1", "no condition 'timeofday=dusk' in the audit of"),
        ("@season=winter>=1", "no condition key 'season' in the audit of"),
    ],
)
def test_compare_names_the_conditions_an_audit_has(
    audited: Path, require: str, message: str
) -> None:
    result = run_repair(
        ["utils", "compare", "--before", audited, "--after", audited, "--require", require]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert "timeofday values: dawn/dusk, daytime, night" in result.stderr or "audited keys:" in (
        result.stderr
    )
