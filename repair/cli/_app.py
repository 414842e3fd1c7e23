"""The typer classes behind every ``repair`` command: spellings, ``--debug``, one-line errors.

Every option takes ``--model_dir`` and ``--model-dir``, ``--flag=True`` beside ``--flag``; a
usage error exits 2 with one line and a runtime error exits 1 with one line. Commands declare
plain typer options; :class:`RepairCommand` shows them in the spelling the docs use
(``--model_dir``) and rewrites the other spellings before click parses them
(:mod:`repair.cli._spelling`), and :class:`RepairGroup` turns every failure into one line on
stderr (:mod:`repair.cli._failure`).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from repair.cli._failure import DEBUG_FLAG, LineTracker, debug_requested, run_reporting_errors
from repair.cli._spelling import docs_spelling, normalize_args
from repair.cli._typer_private import (
    BadParameter,
    Command,
    Context,
    HelpFormatter,
    Parameter,
    UsageError,
    debug_flag,
)

__all__ = ["RepairCommand", "RepairGroup", "RepairTyper", "UsageError", "command_with_help"]


def _debug_option() -> TyperOption:
    """``--debug``, listed in every ``--help``; :class:`RepairGroup` reads it before parsing."""
    return debug_flag(DEBUG_FLAG, "Show the traceback of an error (or set REPAIR_DEBUG=1).")


def _with_debug(params: list[Parameter]) -> list[Parameter]:
    if any(DEBUG_FLAG in getattr(p, "opts", ()) for p in params):
        return params
    *declared, last = params
    is_help = last.name == "help"
    return [*declared, _debug_option(), last] if is_help else [*params, _debug_option()]


OUTPUT_DIR_PARAM = "output_dir"  # every command that writes names its folder --output_dir


def writable_dir(ctx: Context, param: Parameter, value: Any) -> Any:
    """Refuse an output folder that is a file or read-only, before any work (exit 2)."""
    from repair.core.files import check_output_dir
    from repair.errors import OutputDirError

    try:
        return None if value is None else check_output_dir(value)
    except OutputDirError as error:
        raise BadParameter(str(error), ctx=ctx, param=param) from None


def _check_output_dirs(params: Sequence[Parameter]) -> None:
    """Give every ``--output_dir`` the :func:`writable_dir` check, once, for all commands."""
    for param in params:
        if param.name == OUTPUT_DIR_PARAM and param.callback is None:
            param.callback = writable_dir


def _spell_as_docs(params: Sequence[Parameter]) -> None:
    for param in params:
        if isinstance(param, TyperOption):
            param.opts = [docs_spelling(opt) for opt in param.opts]
            param.secondary_opts = [docs_spelling(opt) for opt in param.secondary_opts]


class RepairCommand(TyperCommand):
    """A typer command that shows ``--model_dir``, accepts both option spellings and
    ``--flag=True|False``, and lists ``--debug`` in its help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _spell_as_docs(self.params)
        _check_output_dirs(self.params)

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _with_debug(super().get_params(ctx))

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, normalize_args(self.get_params(ctx), args))
        check_finite_floats(ctx, self.get_params(ctx))
        return rest


def check_finite_floats(ctx: Context, params: Sequence[Parameter]) -> None:
    """Every float option is a finite number: click's FLOAT reads 'nan' and 'inf' as floats,
    and a NaN passes every ``value <= 0`` check after it."""
    for param in params:
        value = ctx.params.get(param.name or "")
        if isinstance(value, float) and not math.isfinite(value):
            raise BadParameter(f"must be a finite number; got {value}", ctx=ctx, param=param)


def command_with_help(extra_help: Callable[[], str]) -> type[RepairCommand]:
    """A :class:`RepairCommand` whose ``--help`` ends with ``extra_help()``, computed only then.

    Plugin commands list their plugins' options this way without loading plugins at start-up.
    """

    class PluginHelpCommand(RepairCommand):
        plugin_help = staticmethod(extra_help)  # read by scripts/gen_cli_docs.py

        def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
            super().format_help(ctx, formatter)
            # typer's rich help prints directly; the plain formatter collects text.
            formatter.write(f"\n{extra_help()}\n")

    return PluginHelpCommand


def _summary(command: Command) -> str:
    """The command's whole first help paragraph, on one line (click cuts it at 45 characters)."""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return " ".join(text.split())


class RepairGroup(TyperGroup):
    """A group whose help shows whole command summaries and ``--debug``; the top-level one runs
    a command and turns every failure into one line on stderr."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _with_debug(super().get_params(ctx))

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [
            (name, _summary(command))
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = debug_requested(args)
        args = [arg for arg in args if arg != DEBUG_FLAG]
        main = functools.partial(
            super().main,
            args=args,
            prog_name=prog_name or "repair",
            complete_var=complete_var,
            standalone_mode=False,
            **extra,
        )
        stderr = sys.stderr
        sys.stderr = LineTracker(stderr)
        try:
            run_reporting_errors(main, args, debug)
        finally:
            sys.stderr = stderr


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
