"""The CLI conventions (README, "Conventions"): option spellings, booleans, usage errors, help,
lazy TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from repair.cli._app import UsageError
from repair.cli._spelling import normalize_args
from repair.cli.main import app


def _params(command: str):  # noqa: ANN202
    import typer

    group = typer.main.get_command(app)
    return group.commands[command].params


def test_underscore_and_hyphen_spellings_map_to_the_declared_option() -> None:
    params = _params("test")
    assert normalize_args(params, ["--model-dir=m", "--data_dir", "d", "--batch-size=4"]) == [
        "--model_dir=m",
        "--data_dir",
        "d",
        "--batch_size=4",
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


def _commands(group=None, path: str = "repair"):  # noqa: ANN001, ANN202
    import typer
    from typer.core import TyperGroup

    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        yield f"{path} {name}", command
        if isinstance(command, TyperGroup):
            yield from _commands(command, f"{path} {name}")


@pytest.mark.parametrize("args", [["--help"], ["utils", "--help"]])
def test_group_help_shows_whole_command_summaries(cli, args: list[str]) -> None:  # noqa: ANN001
    import typer

    result = cli(args)
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1]
    assert "..." not in commands
    text = " ".join(commands.split())
    group = typer.main.get_command(app)
    if args[0] == "utils":
        group = group.commands["utils"]
    for command in group.commands.values():
        summary = " ".join((command.help or "").split("\n\n")[0].split())
        assert summary and summary in text, summary


def test_every_help_shows_debug_and_the_docs_spelling(cli) -> None:  # noqa: ANN001
    assert "--debug" in cli(["--help"]).stdout
    for path, command in _commands():
        result = cli([*path.split()[1:], "--help"])
        assert result.exit_code == 0, path
        assert "--debug" in result.stdout, path
        for param in command.params:
            for opt in getattr(param, "opts", []):
                assert "-" not in opt[2:], (path, opt)  # --model_dir, never --model-dir
                assert opt in result.stdout, (path, opt)
    assert "--model_dir" in cli(["test", "--help"]).stdout
    assert "--model-dir" not in cli(["test", "--help"]).stdout


@pytest.mark.parametrize("spelling", ["--data-dir", "--data_dir"])
def test_a_usage_error_names_the_spelling_the_user_typed(
    cli,
    spelling: str,
    tmp_path,  # noqa: ANN001
) -> None:
    result = cli(["test", "--model_dir", str(tmp_path), spelling, str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert f"'{spelling}'" in result.stderr
    other = "--data_dir" if spelling == "--data-dir" else "--data-dir"
    assert other not in result.stderr


@pytest.mark.parametrize("spelling", ["--num-particles", "--num_particles"])
def test_a_method_option_error_names_the_spelling_the_user_typed(
    cli,
    spelling: str,
    tmp_path,  # noqa: ANN001
) -> None:
    args = ["optimize", f"--model_dir={tmp_path}", f"--target_data_dir={tmp_path}"]
    result = cli([*args, f"--positive_inputs_dir={tmp_path}", f"{spelling}=0"])
    assert result.exit_code == 2
    assert f"error: {spelling} must be a positive integer; got 0" in result.stderr


def test_debug_shows_the_traceback(cli, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "results.json").write_text("[]")
    args = ["utils", "compare", f"--before={tmp_path}", f"--after={tmp_path}"]
    assert "Traceback" not in cli(args).stderr
    result = cli([*args, "--debug"])
    assert result.exit_code == 1 and "Traceback" in result.stderr
