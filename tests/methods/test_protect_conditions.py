"""``optimize --protect`` on operating conditions: LABEL@key=value and @key=value, read on the
search's own inputs (their per-image keys) and on --validation_data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split, write_split
from repair.core.requirements import parse_requirements
from repair.errors import ConfigError
from repair.methods.arachne.protect import RequirementGuard, input_columns
from repair.methods.arachne.scores import SetResults
from tests.conftest import run_ok, run_repair
from tests.core.test_conditions import _write_csv
from tests.methods.conftest import FAST

NAMES = ["car", "pedestrian"]


def _results(correct: list[list[bool]]) -> SetResults:
    hits = np.array(correct, dtype=bool)
    return SetResults(np.zeros(hits.shape), hits, np.zeros(len(hits)), hits.sum(axis=1))


def _guard(text: str) -> RequirementGuard:
    # 2 negatives then 4 positives; pedestrians at night are inputs 1 (negative) and 5.
    labels_neg, labels_pos = np.array([0, 1]), np.array([0, 0, 1, 1])
    columns = input_columns(
        {"timeofday": np.array(["day", "night"], dtype=object)},
        {"timeofday": np.array(["day", "night", "day", "night"], dtype=object)},
    )
    original = (_results([[False, False]]), _results([[True, True, True, True]]))
    return RequirementGuard(
        parse_requirements(text), labels_neg, labels_pos, NAMES, original, columns
    )


def test_the_guard_reads_each_condition_on_its_own_inputs() -> None:
    guard = _guard("pedestrian@timeofday=night>=100,@timeofday=night>=50")
    # particle 0 fixes the night pedestrian (input 1); particle 1 fixes the day car instead.
    negatives = _results([[False, True], [True, False]])
    positives = _results([[True, True, True, True], [True, True, True, True]])
    first, second = guard.results(negatives, positives)
    assert [r.passed for r in first] == [True, True]
    assert [r.passed for r in second] == [False, True]
    assert second[0].actual == pytest.approx(50.0)
    violation = guard(negatives, positives)
    assert violation[0] == 0 and violation[1] > 0


def test_the_guard_names_the_conditions_the_inputs_have() -> None:
    with pytest.raises(ConfigError, match=r"timeofday=dusk; its values: day, night"):
        _guard("car@timeofday=dusk>=50")
    with pytest.raises(ConfigError, match="protect a condition of their per-image keys"):
        _guard("car@fog_3>=50")


def test_optimize_protects_a_condition_end_to_end(
    digits_workdir: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "conditions.csv"
    _write_csv(digits_workdir, csv)
    run_ok(["utils", "add_attributes", "--data_dir", digits_workdir, "--csv", csv])
    run_ok(["target", "--model_dir", digits_model_dir, "--data_dir", digits_workdir])
    out = tmp_path / "out"
    data = digits_workdir
    common = ["--model_dir", digits_model_dir, "--target_data_dir", data / "negative",
              "--output_dir", out, "--positive_inputs_dir", data / "positive"]  # fmt: skip
    run_ok(["localize", *common])
    # No patch can raise the night accuracy by 60 points: the original weights are kept.
    impossible = "overall@timeofday=night>=+60"
    result = run_ok(["optimize", *common, *FAST, "--json", f"--protect={impossible}"])
    summary = json.loads(result.stdout)
    assert summary["details"]["kept_original"] and summary["patched"] == 0
    result = run_ok(
        [
            "optimize",
            *common,
            *FAST,
            "--json",
            "--protect=@timeofday=night>=0",
            f"--validation_data={digits_workdir / 'test.h5'}",
        ]  # fmt: skip
    )
    assert json.loads(result.stdout)["details"]["protect_failures"] == []
    bad = run_repair(["optimize", *common, *FAST, "--protect=car@weather=snowy>=10"])
    assert bad.exit_code == 2
    assert "weather=snowy; its values: clear, foggy, rainy, undefined" in bad.stderr
    # The validation split must have the condition too: checked before the search.
    no_keys = tmp_path / "plain.h5"
    split = read_split(data / "test.h5")
    write_split(no_keys, split.images, split.labels, 10, image_ids=split.image_ids)
    result = run_repair(["optimize", *common, *FAST, "--protect=@timeofday=night>=0",
                         f"--validation_data={no_keys}"])  # fmt: skip
    assert result.exit_code == 2
    assert "plain.h5 has no per-image string key 'timeofday'; its keys: none" in result.stderr
