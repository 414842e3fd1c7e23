"""Errors in the project's words: one ``error:`` line of its own, naming the file and the fault."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from tqdm import tqdm
from typer.testing import CliRunner

from repair.cli._app import RepairTyper
from repair.cli._failure import LineTracker, os_error_message
from repair.core.files import check_output_dir, make_output_dir
from repair.core.label_results import read_results
from repair.core.run_files import read_locations
from repair.errors import DataFormatError, ModelError, OutputDirError
from tests.conftest import run_repair


def error_lines(stderr: str) -> list[str]:
    """The lines ``grep '^error:'`` finds: split on newlines only, as grep does."""
    return [line for line in stderr.split("\n") if line.startswith("error:")]


def assert_error(result, code: int, *fragments: str) -> str:  # noqa: ANN001
    assert result.exit_code == code, result.output
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "Error:" not in lines[0] and "(run with --debug" not in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# --- the output folder: one check for every command that writes ---------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["prepare", "digits"],
        ["train", "--data_dir={data}"],
        ["utils", "draw_radar_chart", "--model_dir={model}", "--data_dir={data}"],
        ["utils", "split_dataset", "--input={data}/test.h5"],
        ["localize", "--model_dir={model}", "--target_data_dir={data}"],
        ["create_image_subset", "--category_dir={data}"],
        ["drift", "--model_dir={model}", "--baseline={data}/test.h5", "--current={data}/val.h5"],
        ["evaluate", "--model_dir={model}", "--target_data_dir={data}"]
        + ["--positive_inputs_dir={data}"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_an_output_folder_that_is_a_file_is_refused_before_any_work(
    args: list[str], digits_data_dir: Path, digits_model_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("mine")
    filled = [a.format(data=digits_data_dir, model=digits_model_dir) for a in args]
    for output in (blocker, blocker / "sub"):
        result = run_repair([*filled, f"--output_dir={output}"])
        what = "it is a file" if output == blocker else f"{blocker} is a file"
        assert_error(result, 2, "--output_dir", f"cannot write to {output}: {what}")
    assert blocker.read_text() == "mine"


def test_every_output_dir_option_is_checked() -> None:
    """New commands get the check without asking: it is attached to every --output_dir."""
    from repair.cli._app import writable_dir
    from tests.cli.test_conventions import _commands

    checked = [path for path, command in _commands() for param in command.params
               if param.name == "output_dir" and param.callback is writable_dir]  # fmt: skip
    for path in ("repair prepare", "repair train", "repair localize", "repair optimize"):
        assert path in checked
    assert len(checked) >= 12


def test_a_read_only_output_folder_is_named(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import os

    # Tests may run as root, for whom every folder is writable: make os.access say no.
    real_access = os.access

    def access(path, mode: int, **kwargs) -> bool:  # noqa: ANN001, ANN003
        if mode & os.W_OK and Path(path) == tmp_path:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(OutputDirError, match=f"cannot write to {tmp_path}/a/b: {tmp_path} is"):
        check_output_dir(tmp_path / "a" / "b")
    result = run_repair(["prepare", "digits", f"--output_dir={tmp_path}"])
    assert_error(result, 2, f"cannot write to {tmp_path}: it is read-only")
    assert make_output_dir(tmp_path.parent / "fresh" / "x").is_dir()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PermissionError(13, "Permission denied", "out/x.h5"), "cannot access out/x.h5: perm"),
        (NotADirectoryError(20, "Not a directory", "out/c"), "cannot write to out/c: a file is"),
        (FileExistsError(17, "File exists", "out"), "cannot write to out: a file is in the way"),
        (OSError(28, "No space left on device", "out/m.keras"), "no space left on device: out/"),
    ],
)
def test_operating_system_errors_are_said_in_the_projects_words(
    error: OSError, expected: str
) -> None:
    assert os_error_message(error).startswith(expected)
    app = RepairTyper()

    @app.command("fail")
    def fail() -> None:
        raise error

    @app.command("other")
    def other() -> None: ...

    result = CliRunner().invoke(app, ["fail"])
    assert_error(result, 1, expected)


# --- an error under an open progress bar starts its own line -------------------------------


def test_an_error_under_an_open_progress_bar_starts_on_its_own_line() -> None:
    app = RepairTyper()

    @app.command("work")
    def work() -> None:
        from repair.errors import DataFormatError

        bar = tqdm(total=10, desc="work")  # left open, mid-line, as a failing loop leaves it
        bar.update(3)
        raise DataFormatError("bad row 3 in x.csv")

    @app.command("other")
    def other() -> None: ...

    result = CliRunner().invoke(app, ["work"])
    assert_error(result, 1, "bad row 3 in x.csv")
    assert error_lines(result.stderr) == ["error: bad row 3 in x.csv"]
    # the bar closed before the error: nothing redraws after it
    assert result.stderr.rstrip("\n").endswith("error: bad row 3 in x.csv")


class _Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.mark.parametrize(
    ("written", "terminal", "mid_line"),
    [
        ("", False, False),
        ("done\n", False, False),
        ("\rwork: 30%|###", False, True),
        ("\rwork: 30%|###", True, True),
        ("\rwork: 30%|###\r          \r", False, True),  # a cleared bar: the file keeps it
        ("\rwork: 30%|###\r          \r", True, False),  # on a terminal the line is blank
    ],
)
def test_the_line_tracker_knows_when_a_bar_left_the_line_open(
    written: str, terminal: bool, mid_line: bool
) -> None:
    tracker = LineTracker(_Stream(terminal))
    tracker.write(written)
    assert tracker.mid_line is mid_line


def test_a_failing_command_with_a_bar_leaves_a_greppable_error(
    digits_data_dir: Path, tmp_path: Path
) -> None:
    """train's epoch bar is open when the checkpoints folder turns out to be a file."""
    out = tmp_path / "model"
    out.mkdir()
    (out / "checkpoints").write_text("not a folder")
    result = run_repair(
        ["train", "--model=base", f"--data_dir={digits_data_dir}", f"--output_dir={out}"]
        + ["--epochs=1"]
    )
    assert_error(result, 1, "checkpoints")


# --- weights.csv ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"6.7,30,1,0.1\n", "layer must be a non-negative integer; got '6.7'"),
        (b"6,30.5,1,0.1\n", "i must be a non-negative integer; got '30.5'"),
        (b"inf,30,1,0.1\n", "layer must be a non-negative integer; got 'inf'"),
        (b"6,nan,1,0.1\n", "i must be a non-negative integer; got 'nan'"),
        (b"6,30,-1,0.1\n", "j must be a non-negative integer; got '-1'"),
        (b"6,30,1,inf\n", "weight values must be finite numbers; got 'inf'"),
        (b"6,30,1,0.1,nan\n", "weight values must be finite numbers; got 'nan'"),
        (b"6,30\n", "must start with layer,i,j"),
        (b"6,30,\xff,0.1\n", "is not UTF-8 text"),
    ],
)
def test_weights_csv_refuses_what_it_would_misread(
    content: bytes, fragment: str, tmp_path: Path
) -> None:
    path = tmp_path / "weights.csv"
    path.write_bytes(b"6,1,2,0.5\n" + content)
    with pytest.raises(DataFormatError, match=re.escape(fragment)) as caught:
        read_locations(path)
    assert str(path) in str(caught.value)
    if b"\xff" not in content:
        assert "line 2 of" in str(caught.value)


def test_weights_csv_reads_whole_numbers_written_as_floats(tmp_path: Path) -> None:
    path = tmp_path / "weights.csv"
    path.write_text("6,1,2,0.5\r\n6.0,3,4,-0.25,0.75\n\n")
    assert read_locations(path).tolist() == [[6, 1, 2], [6, 3, 4]]


# --- results.json ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "fragment"),
    [
        ('{"success": 1, "failure": 0, "score": NaN}', "score of label 0 must be a percentage"),
        ('{"success": 1, "failure": 0, "score": "high"}', 'got "high"'),
        ('{"success": 1, "failure": 0, "score": 250}', "from 0 to 100; got 250"),
        ('{"success": 1.5, "failure": 0}', "success of label 0 must be a whole number; got 1.5"),
        ('{"success": 1, "failure": "2"}', 'failure of label 0 must be a whole number; got "2"'),
        ('{"success": NaN, "failure": 0}', "must be a whole number; got NaN"),
        ('{"success": -1, "failure": 0}', "negative success count for label 0"),
    ],
)
def test_results_json_refuses_bad_numbers(counts: str, fragment: str, tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(f'[["0", {counts}]]')
    with pytest.raises(DataFormatError, match=re.escape(fragment)) as caught:
        read_results(tmp_path)
    assert str(tmp_path / "results.json") in str(caught.value)


def test_compare_names_a_nan_score(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "results.json").write_text(json.dumps([["0", {"success": 3, "failure": 1}]]))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text('[["0", {"success": 3, "failure": 1, "score": NaN}]]')
    result = run_repair(["utils", "compare", f"--before={good}", f"--after={bad}"])
    assert_error(result, 1, "score of label 0", str(bad / "results.json"))


# --- models --------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04 truncated zip"])
def test_a_corrupt_keras_file_is_called_corrupt_not_missing(
    content: bytes, digits_data_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "model.keras").write_bytes(content)
    result = run_repair(["test", f"--model_dir={tmp_path}", f"--data_dir={digits_data_dir}"])
    line = assert_error(result, 1, "cannot load model", "corrupt", str(tmp_path / "model.keras"))
    assert "not found" not in line.lower()


def test_a_truncated_keras_archive_is_corrupt(digits_model_dir: Path, tmp_path: Path) -> None:
    from repair.core.model import load_model

    whole = (digits_model_dir / "model.keras").read_bytes()
    (tmp_path / "model.keras").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ModelError, match="corrupt"):
        load_model(tmp_path)
