"""Atomic file writes: an interrupted command never leaves a half-written output behind."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from repair.errors import DataFormatError, OutputDirError, RepairError

COMMITTED_MARK = ".committed"  # in a staging folder: its files are to be moved into place


def temporary_sibling(target: Path) -> Path:
    """A hidden path beside ``target`` with the same suffix (Keras checks ``.keras``), unique
    per call, so that threads writing files of the same name never share one."""
    return target.with_name(
        f".{target.stem}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{target.suffix}"
    )


def check_output_dir(folder: str | Path) -> Path:
    """``folder`` as a Path if it is, or can be made, a folder this process may write into.

    Checks the nearest existing ancestor, so nothing is created; raises OutputDirError naming
    the folder and what is in the way ("cannot write to out: it is a file").
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "it is a file" if existing == folder else f"{existing} is a file"
        raise OutputDirError(f"cannot write to {folder}: {where}")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "it is read-only" if existing == folder else f"{existing} is read-only"
        raise OutputDirError(f"cannot write to {folder}: {where}")
    return folder


def make_output_dir(folder: str | Path) -> Path:
    """Create ``folder`` (and its parents) after :func:`check_output_dir`; return it."""
    folder = check_output_dir(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # e.g. a read-only file system, which access() does not see
        raise OutputDirError(f"cannot write to {folder}: {error.strerror}") from None
    return folder


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``target`` only if the block succeeds.

    On any exception, Ctrl-C included, the temporary file is removed and ``target`` keeps
    whatever it held before.
    """
    target = Path(target)
    make_output_dir(target.parent)
    tmp = temporary_sibling(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(target: str | Path, text: str) -> Path:
    """Write ``text`` to ``target`` atomically and return the path."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json_atomic(target: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``target`` atomically and return the path."""
    return write_text_atomic(target, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV text with ``\n`` line ends (write it with :func:`write_text_atomic`)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def is_plain_name(name: object) -> bool:
    """Whether ``name`` is one plain file name: a non-empty string that is not ``.`` or ``..``
    and holds no path separator (``/`` or ``\\``) and no NUL, so joined to a folder it stays in
    that folder. Names read from data files pass this before they become paths."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and not any(char in name for char in ("/", "\\", "\0"))
    )


def check_plain_name(name: object, what: str) -> str:
    """``name`` itself when :func:`is_plain_name`; else a DataFormatError naming ``what`` (the
    file and field it came from), so that an unsafe name is refused, never followed."""
    if not is_plain_name(name):
        raise DataFormatError(
            f"unsafe file name {name!r} in {what}: a name must be a plain file name "
            "(no '/', '\\', '..', NUL or empty name)"
        )
    return name


def _link_inputs(output_dir: Path, stage: Path) -> None:
    """Hard-link ``output_dir``'s top-level files into ``stage``, so what writes into the stage
    reads the inputs it expects (optimize: localize's weights.csv). Atomic writes replace a
    link, never change the file it points to."""
    for path in output_dir.iterdir():
        if path.is_file() and not path.name.startswith("."):
            try:
                os.link(path, stage / path.name)
            except OSError:
                shutil.copy2(path, stage / path.name)


def _changed_files(output_dir: Path, stage: Path, last: str | None) -> list[Path]:
    """Files in ``stage`` that are new or rewritten (not links to ``output_dir``'s), relative;
    the file named ``last`` last (a record whose presence means the set is whole)."""
    changed = []
    for path in sorted(stage.rglob("*")):
        if not path.is_file() or path.name == COMMITTED_MARK:
            continue
        relative = path.relative_to(stage)
        old = output_dir / relative
        if old.is_file() and os.path.samefile(old, path):
            continue
        changed.append(relative)
    return sorted(changed, key=lambda relative: last is not None and relative == Path(last))


def _finish_commit(stage: Path, output_dir: Path) -> None:
    """Move the files the committed mark lists into place (again), then drop the stage."""
    for line in (stage / COMMITTED_MARK).read_text(encoding="utf-8").splitlines():
        source = stage / line
        if source.is_file():
            target = output_dir / line
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    shutil.rmtree(stage, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (one we may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def recover_staged_sets(output_dir: Path, prefix: str) -> None:
    """Finish a file set a killed command had committed (:func:`staged_set`); drop one it had
    not.

    A stage marked committed is moved into place (roll forward); an unmarked stage of a process
    that no longer runs is removed (its files never reached the folder).
    """
    if not output_dir.is_dir():
        return
    for stage in output_dir.glob(f"{prefix}*"):
        if (stage / COMMITTED_MARK).is_file():
            _finish_commit(stage, output_dir)
            continue
        pid = stage.name[len(prefix) :].split("-")[0]
        if not (pid.isdigit() and pid_alive(int(pid))):
            shutil.rmtree(stage, ignore_errors=True)


@contextmanager
def staged_set(output_dir: Path, prefix: str, last: str | None = None) -> Iterator[Path]:
    """Yield a staging folder holding links to ``output_dir``'s files; write a run's outputs
    there. When the block succeeds the changed files replace the old ones as one set: a mark
    lists them first, so a kill during the moves is finished by the next reader
    (:func:`recover_staged_sets`); a kill before leaves the old set untouched."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    recover_staged_sets(output_dir, prefix)
    stage = output_dir / f"{prefix}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    try:
        _link_inputs(output_dir, stage)
        yield stage
        changed = _changed_files(output_dir, stage, last)
        write_text_atomic(stage / COMMITTED_MARK, "".join(f"{p.as_posix()}\n" for p in changed))
    except RepairError as error:  # name the user's files, not their links in the hidden stage
        shutil.rmtree(stage, ignore_errors=True)
        message = str(error).replace(str(stage), str(output_dir))
        if message == str(error):
            raise
        raise type(error)(message) from error
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _finish_commit(stage, output_dir)
