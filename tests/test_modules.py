"""The package's modules stay rooms a reader can hold: short, and saying what they are for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "repair"
MAX_LINES = 400
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_package_is_found() -> None:
    assert len(MODULES) > 100, MODULES


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_under_the_line_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_name(path)} has {lines} lines; split it along its seams"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_docstring_opens_with_one_line_saying_what_it_is_for(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
    assert docstring, f"{_name(path)} has no module docstring"
    lines = docstring.split("\n")
    assert len(lines[0].split()) >= 3, f"{_name(path)}: first line {lines[0]!r} says too little"
    assert len(lines) == 1 or not lines[1].strip(), (
        f"{_name(path)}: the first line must stand alone (a summary, then a blank line); "
        f"got {lines[0]!r} continued by {lines[1]!r}"
    )
