"""Atomic single-file writes: an interrupted command never leaves a half-written file behind.

A set of files written as one goes through :mod:`repair.core.staging`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from repair.errors import DataFormatError, OutputDirError


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
