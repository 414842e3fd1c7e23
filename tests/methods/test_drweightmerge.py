"""DRWeightMerge on the digits CNN: two misclassification types repaired at once through the
CLI, the run folder's files as optimize writes them, the weights moving the trade-off, and the
settings file's errors at the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from repair.core.data import read_split
from repair.core.model import load_model, predict_scores
from tests.conftest import run_ok, run_repair

SMALL = ["--num_particles=12", "--num_iterations=8", "--random_state=3"]


def two_labels(data: Path) -> list[int]:
    """The two labels with the most negatives (the shared model misses a few of several)."""
    counts = np.bincount(read_split(data / "negative" / "repair.h5").labels, minlength=10)
    return [int(k) for k in np.argsort(-counts, kind="stable")[:2]]


def write_settings(path: Path, labels: list[int], weights: tuple[float, float]) -> Path:
    settings = {
        "target_misclassifications": {},
        "general_misclassifications": [str(k) for k in labels],
        "weights_precisions": {str(k): 1 for k in range(10)},
        "weights_mislassifications": {str(k): w for k, w in zip(labels, weights, strict=True)},
    }
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


def repair(model_dir: Path, data: Path, out: Path, settings: Path) -> dict:
    common = ["--method=DRWeightMerge", "--model_dir", model_dir, "--target_data_dir",
              data / "negative", "--output_dir", out]  # fmt: skip
    localized = run_ok(["localize", *common, "--weight_path", settings])
    assert "2 misclassification types" in localized.stdout
    result = run_ok(
        ["optimize", *common, "--positive_inputs_dir", data / "positive", *SMALL, "--json"]
    )
    return json.loads(result.stdout)


def test_two_types_are_repaired_at_once(digits_model_dir: Path, work_dir: Path) -> None:
    labels = two_labels(work_dir)
    out = work_dir / "drwm"
    summary = repair(
        digits_model_dir, work_dir, out, write_settings(work_dir / "dr.json", labels, (1, 1))
    )
    types = summary["details"]["types"]
    assert set(types) == {str(k) for k in labels}
    assert all(types[str(k)]["fixed"] >= 1 for k in labels), types
    # What the summary says is what the saved model does on each type's folder.
    repaired = load_model(out / "repair" / "model.keras")
    for label in labels:
        split = read_split(work_dir / "negative" / str(label) / "repair.h5")
        fixed = np.argmax(predict_scores(repaired, split.images), axis=1) == split.labels
        assert int(fixed.sum()) == types[str(label)]["fixed"]
    # The run folder of optimize: weights.csv as Arachne's (layer,i,j,original,repaired).
    rows = list(csv.reader((out / "weights.csv").open(encoding="utf-8")))
    record = json.loads((out / "dr_types.json").read_text(encoding="utf-8"))
    union = {tuple(w) for kind in record["types"] for w in kind["weights"]}
    assert len(rows) == len(union) == summary["details"]["weights"]
    assert all(len(row) == 5 for row in rows)
    shared = {tuple(w) for w in record["shared"]}
    assert shared == set.intersection(*({tuple(w) for w in t["weights"]} for t in record["types"]))
    for name in ("history.csv", "summary.json", "dr_types.json"):
        assert (out / name).is_file()


def test_a_heavier_weight_fixes_at_least_as_many_of_its_type(
    digits_model_dir: Path, work_dir: Path
) -> None:
    labels = two_labels(work_dir)
    fixed = {}
    for weights in ((1, 1), (3, 1)):
        settings = write_settings(work_dir / f"dr{weights[0]}.json", labels, weights)
        out = work_dir / f"drwm{weights[0]}"
        types = repair(digits_model_dir, work_dir, out, settings)["details"]["types"]
        fixed[weights] = (types[str(labels[0])]["fixed"], types[str(labels[1])]["fixed"])
    assert fixed[(3, 1)][0] >= fixed[(1, 1)][0], fixed


def test_settings_errors_at_the_command_line(digits_model_dir: Path, work_dir: Path) -> None:
    common = ["localize", "--method=DRWeightMerge", "--model_dir", digits_model_dir,
              "--target_data_dir", work_dir / "negative",
              "--output_dir", work_dir / "out"]  # fmt: skip
    bad = work_dir / "bad.json"
    write_settings(bad, [4, 99], (1, 1))
    result = run_repair([*common, "--weight_path", bad])
    assert result.exit_code == 2 and "unknown label '99'" in result.output
    assert str(bad) in result.output and len(result.output.strip().splitlines()) == 1
    present = {int(p.name) for p in (work_dir / "negative").iterdir() if p.name.isdigit()}
    absent = next(k for k in range(10) if k not in present)
    missing = write_settings(work_dir / "missing.json", [absent, 4], (1, 1))
    result = run_repair([*common, "--weight_path", missing])
    assert result.exit_code == 1 and f"negative/{absent}/repair.h5" in result.output
    assert not (work_dir / "out" / "weights.csv").exists()
