"""Failures found by the robustness tools become repair targets (issue 12 §4), end to end.

A corrupted stratum (`repair corrupt`) and an adversarial file (`repair attack`) each go
through `repair target --holdout 0.5`, `repair localize` and `repair optimize` on the label
with most failures; the original and the repaired model are then audited on the held-out half
and on clean test data, and `repair utils compare` reads a stratum requirement from the two
audits. Every figure checked here is recomputed by `repair test` on the same files.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import SplitReader, read_split
from tests.conftest import run_ok, run_repair

# Enough search to patch some failures (seed 0): the audits then differ before and after.
FAST = ["--num_particles=20", "--num_iterations=15", "--num_input_pos_sampled=40"]

# source file inside the data folder -> (its stratum name, the per-image keys it must keep)
CASES = {
    "corrupted": (
        "corrupted/contrast_5.h5",
        "contrast_5",
        {"corruption": "contrast", "intensity": 5},
    ),
    "adversarial": ("adversarial/base/fgm_0.1.h5", "fgm_0.1", {"attack": "fgm", "eps": 0.1}),
}


@pytest.fixture(scope="module")
def strata(digits_data_dir: Path, digits_model_dir: Path, tmp_path_factory) -> Path:
    """Digits test.h5 with its contrast-5 stratum and FGM examples (eps 0.1) of the model."""
    data = tmp_path_factory.mktemp("strata")
    shutil.copy(digits_data_dir / "test.h5", data / "test.h5")
    run_ok(["corrupt", "--data_dir", data, "--target_data=test.h5"]
           + ["--corruptions=contrast", "--intensities=5"])  # fmt: skip
    run_ok(["attack", "--model_dir", digits_model_dir, "--data_dir", data, "--attack=fgm"]
           + ["--eps=0.1", "--output_dir", data / "adversarial" / "base"])  # fmt: skip
    return data


def _decoded(values: np.ndarray) -> list:
    return [v.decode() if isinstance(v, bytes) else v for v in np.asarray(values).tolist()]


def _accuracy(model: Path, data: Path, file: str) -> dict:
    args = ["test", "--model_dir", model, "--data_dir", data, "--target_data", file, "--json"]
    return json.loads(run_ok(args).stdout)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize("case", CASES)
def test_a_stratum_is_repaired_on_one_half_and_audited_on_the_other(
    case: str, strata: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    file, stratum, keys = CASES[case]
    data = tmp_path / "data"
    shutil.copytree(strata, data)
    source = read_split(data / file)
    with SplitReader(data / file) as reader:
        source_extras = {name: reader.extra(name) for name in reader.info.extras}

    report = json.loads(
        run_ok(
            [
                "target",
                "--model_dir",
                digits_model_dir,
                "--data_dir",
                data,
                "--target_data",
                file,
                "--holdout=0.5",
                "--random_state=3",
                "--json",
            ]
        ).stdout  # fmt: skip
    )
    held = data / "holdout" / Path(file).name
    assert report["holdout"]["path"] == str(held) and held.is_file()
    assert report["total"] + report["holdout"]["total"] == len(source)

    # The label with most failures is the repair target; its negatives and all positives keep
    # the stratum keys, and source_index points at the very rows they came from.
    negative_root = data / "negative"
    counts = {
        int(folder.name): len(read_split(folder / "repair.h5"))
        for folder in negative_root.iterdir()
        if folder.is_dir()
    }
    label = max(counts, key=counts.get)
    assert counts[label] >= 3, counts
    negatives, positives = negative_root / str(label), data / "positive"
    seen = []
    for path in (
        negatives / "repair.h5",
        negative_root / "repair.h5",
        positives / "repair.h5",
        held,
    ):
        split = read_split(path)
        with SplitReader(path) as reader:
            assert {*keys, "source_index"} <= set(reader.info.extras)
            if case == "adversarial":
                assert "source_model" in reader.info.extras
            for key, value in keys.items():
                assert set(_decoded(reader.extra(key))) == {value}
            index = reader.extra("source_index").astype(int)
            for name, values in source_extras.items():
                assert _decoded(reader.extra(name)) == _decoded(values[index])
        np.testing.assert_array_equal(split.images, source.images[index])
        np.testing.assert_array_equal(split.labels, source.labels[index])
        if path.parent == negatives:
            assert set(split.labels.tolist()) == {label}
        if path.parent != negatives:
            seen.append(index)
    assert sorted(np.concatenate(seen).tolist()) == list(range(len(source)))

    out = tmp_path / "run"
    common = ["--model_dir", digits_model_dir, "--target_data_dir", negatives, "--output_dir", out]
    run_ok(["localize", *common])
    summary = json.loads(
        run_ok(
            ["optimize", *common, "--positive_inputs_dir", positives, *FAST]
            + ["--random_state=0", "--json"]
        ).stdout  # fmt: skip
    )
    assert summary["negatives"] == counts[label] and summary["patched"] > 0
    repaired = out / "repair"
    assert (repaired / "model.keras").is_file()

    audits = {}
    held_file = f"holdout/{Path(file).name}"
    for name, model in (("before", digits_model_dir), ("after", repaired)):
        audits[name] = tmp_path / f"audit-{name}"
        run_ok(["audit", "--model_dirs", model, "--data_dir", data, "--target_data"]
               + [f"test.h5,{held_file}", "--output_dir", audits[name]])  # fmt: skip
        rows = _rows(audits[name] / "audit.csv")
        assert sorted(r["file"] for r in rows) == sorted(["test.h5", held_file])
        for row in rows:
            expected = _accuracy(model, data, row["file"])
            assert (int(row["correct"]), int(row["n"])) == (expected["correct"], expected["total"])
            assert float(row["accuracy"]) == pytest.approx(expected["accuracy"], abs=1e-4)
        [label_row] = [
            r
            for r in _rows(audits[name] / "audit_labels.csv")
            if r["file"] == held_file and r["label"] == str(label)
        ]
        [expected] = [r for r in _accuracy(model, data, held_file)["labels"] if r["label"] == label]
        audits[name, "label"] = float(label_row["accuracy"])
        assert audits[name, "label"] == pytest.approx(expected["accuracy"], abs=1e-4)

    # The repair, made on one half, carries over to the held-out half of that label (on digits:
    # contrast 0 -> 100 %, FGM 50 -> 71 %).
    assert audits["after", "label"] > audits["before", "label"]
    compare = ["utils", "compare", "--before", audits["before"], "--after", audits["after"]]
    after = audits["after", "label"]
    change = after - audits["before", "label"]
    require = f"{label}@{stratum}>={after - 0.01:.2f},{label}@{stratum}>={change - 0.01:+.2f}"
    passed = run_repair([*compare, "--json", "--require", require])
    assert passed.exit_code == 0, passed.output
    actual = [c["actual"] for c in json.loads(passed.stdout)["requirements"]]
    assert actual == [pytest.approx(after, abs=1e-3), pytest.approx(change, abs=1e-3)]
    # A requirement the audits miss: the audits swapped, the "after" side (the audit before the
    # repair) held to a level above its accuracy (after the repair it may reach 100 %, above
    # which no level can be asked).
    before = audits["before", "label"]
    swapped = ["utils", "compare", "--before", audits["after"], "--after", audits["before"]]
    failed = run_repair([*swapped, "--require", f"{label}@{stratum}>={before + 0.01:.2f}"])
    assert failed.exit_code == 1 and f"{label}@{stratum} accuracy" in failed.stderr

    # An audit of the whole stratum beside its held-out half: the stratum name alone is
    # ambiguous (a usage error naming both files); the held-out file's name picks it.
    both = tmp_path / "audit-both"
    run_ok(["audit", "--model_dirs", digits_model_dir, "--data_dir", data, "--target_data"]
           + [f"test.h5,{file},{held_file}", "--output_dir", both])  # fmt: skip
    compare = ["utils", "compare", "--before", both, "--after", audits["after"], "--json"]
    ambiguous = run_repair([*compare, "--require", f"{label}@{stratum}>=0"])
    assert ambiguous.exit_code == 2 and "matches several files" in ambiguous.stderr
    assert file in ambiguous.stderr and held_file in ambiguous.stderr
    named = f"{label}@{held_file.removesuffix('.h5')}>={change - 0.01:+.2f}"
    [check] = json.loads(run_ok([*compare, "--require", named]).stdout)["requirements"]
    assert check["actual"] == pytest.approx(change, abs=1e-3)
