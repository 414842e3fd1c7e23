"""The typer classes behind every ``repair`` command: option spellings and error handling.

SPEC §1 asks for ``--model_dir`` and ``--model-dir``, ``--flag=True`` beside ``--flag``, exit
code 2 with one line for usage errors and 1 with one line for runtime errors. Commands declare
plain typer options; :class:`RepairCommand` rewrites the other spellings before click parses
them, and :class:`RepairGroup` turns every failure into one line on stderr.
"""

from __future__ import annotations

import math
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer import _click  # typer >= 0.20 vendors click here
from typer.core import TyperCommand, TyperGroup, TyperOption

from repair.errors import PluginNotFoundError, RepairError

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})
DEBUG_FLAG = "--debug"
UsageError = _click.exceptions.UsageError


def canonical_option(name: str) -> str:
    """``--model_dir`` and ``--model-dir`` both become ``--model-dir``."""
    return "--" + name[2:].replace("_", "-")


def normalize_args(params: Sequence[_click.core.Parameter], args: Sequence[str]) -> list[str]:
    """Rewrite option spellings in ``args`` to the ones ``params`` declare.

    ``--a_b=v`` becomes ``--a-b=v``; for a boolean flag, ``--flag=True`` becomes ``--flag`` and
    ``--flag=False`` becomes ``--no-flag``. Arguments after ``--`` are left alone.
    """
    spelled: dict[str, str] = {}
    flags: dict[str, tuple[str, str | None]] = {}
    for param in params:
        if not isinstance(param, TyperOption):
            continue
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("--"):
                spelled[canonical_option(opt)] = opt
        if param.is_flag:
            off = param.secondary_opts[0] if param.secondary_opts else None
            for opt in param.opts:
                flags[canonical_option(opt)] = (opt, off)
    rewritten: list[str] = []
    for position, arg in enumerate(args):
        if arg == "--":
            rewritten.extend(args[position:])
            break
        if not arg.startswith("--"):
            rewritten.append(arg)
            continue
        name, has_value, value = arg.partition("=")
        key = canonical_option(name)
        if key in flags and has_value:
            on, off = flags[key]
            if value.lower() in TRUE_WORDS:
                rewritten.append(on)
            elif value.lower() in FALSE_WORDS:
                if off is not None:
                    rewritten.append(off)
            else:
                raise UsageError(f"{name} takes True or False; got {value!r}")
            continue
        if key in spelled:
            arg = spelled[key] + (f"={value}" if has_value else "")
        rewritten.append(arg)
    return rewritten


class RepairCommand(TyperCommand):
    """A typer command that accepts both option spellings and ``--flag=True|False``."""

    def parse_args(self, ctx: _click.core.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, normalize_args(self.get_params(ctx), args))
        check_finite_floats(ctx, self.get_params(ctx))
        return rest


def check_finite_floats(ctx: _click.core.Context, params: Sequence[_click.core.Parameter]) -> None:
    """Every float option is a finite number: click's FLOAT reads 'nan' and 'inf' as floats,
    and a NaN passes every ``value <= 0`` check after it."""
    for param in params:
        value = ctx.params.get(param.name or "")
        if isinstance(value, float) and not math.isfinite(value):
            raise _click.exceptions.BadParameter(
                f"must be a finite number; got {value}", ctx=ctx, param=param
            )


def command_with_help(extra_help: Callable[[], str]) -> type[RepairCommand]:
    """A :class:`RepairCommand` whose ``--help`` ends with ``extra_help()``, computed only then.

    Plugin commands list their plugins' options this way without loading plugins at start-up.
    """

    class PluginHelpCommand(RepairCommand):
        plugin_help = staticmethod(extra_help)  # read by scripts/gen_cli_docs.py

        def format_help(
            self, ctx: _click.core.Context, formatter: _click.formatting.HelpFormatter
        ) -> None:
            super().format_help(ctx, formatter)
            # typer's rich help prints directly; the plain formatter collects text.
            formatter.write(f"\n{extra_help()}\n")

    return PluginHelpCommand


def _debug_requested(args: list[str]) -> bool:
    return DEBUG_FLAG in args or os.environ.get("REPAIR_DEBUG", "") not in ("", "0")


def _fail(message: str, code: int, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"error: {one_line}", file=sys.stderr)
    sys.exit(code)


class RepairGroup(TyperGroup):
    """The top-level group: runs a command and turns every failure into one line on stderr."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = _debug_requested(args)
        args = [arg for arg in args if arg != DEBUG_FLAG]
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or "repair",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except UsageError as error:
            where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            _fail(f"{error.format_message()}{where}", 2, debug)
        except PluginNotFoundError as error:  # a name the user typed: a bad option value
            _fail(str(error), 2, debug)
        except RepairError as error:
            _fail(str(error), 1, debug)
        except typer.Abort:
            _fail("interrupted", 130, debug)
        except _click.exceptions.ClickException as error:
            _fail(error.format_message(), error.exit_code, debug)
        except Exception as error:  # a bug or an OS failure: still one line, details on --debug
            detail = f"{type(error).__name__}: {error}"
            _fail(f"{detail} (run with --debug for the traceback)", 1, debug)
        code = result if isinstance(result, int) else 0
        if code == 130:
            print("error: interrupted", file=sys.stderr)
        sys.exit(code)


class RepairTyper(typer.Typer):
    """A ``typer.Typer`` whose commands and groups use the classes above."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", RepairGroup)
        kwargs.setdefault("add_completion", False)
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("no_args_is_help", True)
        # Help texts are plain: "[default: ...]" must print as written, not be read as markup.
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", RepairCommand)
        return super().command(*args, **kwargs)
