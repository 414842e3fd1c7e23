"""Write docs/cli.md from the live ``repair`` command tree, so the reference cannot drift.

    python scripts/gen_cli_docs.py           # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check   # exit 1 if docs/cli.md is out of date

Every command, its help text and every option (all spellings, type, default) come from the
typer/click objects the CLI itself runs; plugin options (datasets, repair methods) from the
plugins' own option dataclasses, as ``--help`` shows them.
"""

from __future__ import annotations

import argparse
import enum
import inspect
import sys
from pathlib import Path

import typer
from typer.core import TyperArgument, TyperGroup

from repair.cli._typer_private import Command, Context
from repair.cli._typer_private import Parameter as TyperParameter

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
HEADER = """\
# Command reference

Generated from the CLI by `python scripts/gen_cli_docs.py`; do not edit by hand.
Every option has two spellings, `--model_dir` and `--model-dir`, and takes its value as
`--opt=value` or `--opt value`; booleans also take `--flag=True|False`. Add `--debug` (or set
`REPAIR_DEBUG=1`) to any command to see the traceback of an error.
"""


def _underscored(opt: str) -> str:
    return "--" + opt[2:].replace("-", "_") if opt.startswith("--") else opt


def _spellings(param: TyperParameter) -> str:
    if isinstance(param, TyperArgument):
        return f"`{param.name.upper()}` (argument)"
    names = [_underscored(o) for o in (*param.opts, *param.secondary_opts)]
    return ", ".join(f"`{name}`" for name in names)


def _type(param: TyperParameter, ctx: Context) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    kind = param.display_type(ctx).strip("<>").replace(" range", "")
    low = "" if param.min is None else f" ≥ {param.min}"
    high = "" if param.max is None else f" ≤ {param.max}"
    return f"{kind}{low}{high}"


def _default(param: TyperParameter) -> str:
    if param.required:
        return "required"
    default = param.default
    if not param.show_default or default is None or default == "":
        return ""
    if isinstance(default, enum.Enum):
        default = default.value
    return f"`{default}`"


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def _options_table(command: Command) -> list[str]:
    ctx = Context(command)
    rows = ["| option | type | default | description |", "|---|---|---|---|"]
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        help_text = getattr(param, "help", "") or ""
        rows.append(
            f"| {_spellings(param)} | {_cell(_type(param, ctx))} | {_cell(_default(param))} "
            f"| {_cell(help_text)} |"
        )
    return rows


def _command_section(path: str, command: Command) -> list[str]:
    lines = [f"## `{path}`", "", inspect.cleandoc(command.help or ""), ""]
    lines += _options_table(command)
    plugin_help = getattr(type(command), "plugin_help", None)
    if plugin_help is not None:
        lines += ["", "```text", plugin_help().rstrip(), "```"]
    return [*lines, ""]


def _walk(path: str, command: Command) -> list[str]:
    if not isinstance(command, TyperGroup):
        return _command_section(path, command)
    lines = []
    if path != "repair":
        lines += [f"## `{path}` commands", "", inspect.cleandoc(command.help or ""), ""]
    for name, sub in command.commands.items():
        if not sub.hidden:
            lines += _walk(f"{path} {name}", sub)
    return lines


def _contents(group: TyperGroup, path: str = "repair") -> list[str]:
    lines = []
    for name, sub in group.commands.items():
        if sub.hidden:
            continue
        group = isinstance(sub, TyperGroup)
        anchor = f"{path} {name}".replace(" ", "-") + ("-commands" if group else "")
        summary = _cell(sub.get_short_help_str(limit=90))
        lines.append(f"- [`{path} {name}`](#{anchor}) {summary}")
        if group:
            lines += ["  " + line for line in _contents(sub, f"{path} {name}")]
    return lines


def render() -> str:
    """The whole of docs/cli.md for the CLI as installed now."""
    from repair.cli.main import app

    root = typer.main.get_command(app)
    lines = [HEADER, "## Commands", "", *_contents(root), ""]
    lines += _walk("repair", root)
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/cli.md is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not DOCS.is_file() or DOCS.read_text(encoding="utf-8") != text:
            print(f"{DOCS} is out of date: run python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        print(f"{DOCS} is up to date")
        return 0
    sys.path.insert(0, str(DOCS.parents[1]))
    from repair.core.files import write_text_atomic

    write_text_atomic(DOCS, text)
    print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
