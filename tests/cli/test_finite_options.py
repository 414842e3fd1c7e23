"""Float options refuse NaN and infinity (exit 2): a NaN passes every ``value <= 0`` check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_repair


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_learning_rate_must_be_finite(tmp_path: Path, value: str) -> None:
    result = run_repair(["train", "--data_dir", tmp_path, f"--learning_rate={value}"])
    assert result.exit_code == 2
    assert "--learning" in result.stderr and "must be a finite number" in result.stderr


def test_every_kind_of_float_option_refuses_nan(tmp_path: Path) -> None:
    cases = [
        (["prepare", "digits", "--data_ratio=nan,0,0,1"], "--data_ratio must be finite"),
        (
            ["optimize", "--model_dir", tmp_path, "--target_data_dir", tmp_path,
             "--positive_inputs_dir", tmp_path, "--velocity_phi=inf"],
            "--velocity_phi must be a finite number",
        ),
        (
            ["utils", "draw_radar_chart", "--model_dir", tmp_path, "--data_dir", tmp_path,
             "--min_lim=nan"],
            "must be a finite number",
        ),
    ]  # fmt: skip
    for args, words in cases:
        result = run_repair(args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.stderr, (args, result.stderr)
