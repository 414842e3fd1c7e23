"""SPEC §1: option spellings, booleans, usage errors, lazy TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from repair.cli._app import UsageError, normalize_args
from repair.cli.main import app


def _params(command: str):  # noqa: ANN202
    import typer

    group = typer.main.get_command(app)
    return group.commands[command].params


def test_underscore_and_hyphen_spellings_map_to_the_declared_option() -> None:
    params = _params("test")
    assert normalize_args(params, ["--model_dir=m", "--data_dir", "d", "--batch-size=4"]) == [
        "--model-dir=m",
        "--data-dir",
        "d",
        "--batch-size=4",
    ]


def test_boolean_flags_take_true_and_false_values() -> None:
    params = _params("test")
    assert normalize_args(params, ["--json=True"]) == ["--json"]
    assert normalize_args(params, ["--json=false"]) == []
    with pytest.raises(UsageError, match="--json takes True or False"):
        normalize_args(params, ["--json=maybe"])


def test_arguments_after_double_dash_are_untouched() -> None:
    assert normalize_args(_params("test"), ["--", "--model_dir"]) == ["--", "--model_dir"]


def test_help_does_not_import_tensorflow() -> None:
    code = (
        "import sys; from repair.cli.main import app; "
        "from typer.testing import CliRunner; r = CliRunner().invoke(app, ['--help']); "
        "assert r.exit_code == 0, r.output; "
        "assert 'tensorflow' not in sys.modules and 'h5py' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_console_script_help_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "repair", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("prepare", "train", "test", "target"):
        assert command in result.stdout


def test_unknown_option_is_a_one_line_usage_error(cli) -> None:  # noqa: ANN001
    result = cli(["test", "--model_dir", ".", "--data_dir", ".", "--bogus=1"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "--bogus" in lines[0]


def test_plugin_options_parse_types_flags_and_reject_unknown_names() -> None:
    from repair.cli._plugin_options import parse_plugin_options
    from repair.datasets.digits import DigitsOptions

    options = parse_plugin_options(DigitsOptions, ["--image-size", "16", "--rgb"], "digits")
    assert options == DigitsOptions(image_size=16, rgb=True)
    assert parse_plugin_options(DigitsOptions, ["--rgb=False"], "digits").rgb is False
    assert parse_plugin_options(DigitsOptions, ["--no-rgb"], "digits").rgb is False
    with pytest.raises(UsageError, match="--image_size must be a positive integer; got 0"):
        parse_plugin_options(DigitsOptions, ["--image_size=0"], "digits")
    with pytest.raises(UsageError, match="must be of type int; got 'big'"):
        parse_plugin_options(DigitsOptions, ["--image_size=big"], "digits")
