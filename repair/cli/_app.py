"""The typer classes behind every ``repair`` command: option spellings, help and error handling.

Every option takes ``--model_dir`` and ``--model-dir``, ``--flag=True`` beside ``--flag``; a
usage error exits 2 with one line and a runtime error exits 1 with one line. Commands declare
plain typer options; :class:`RepairCommand` shows them in the spelling the docs use
(``--model_dir``) and rewrites the other spellings before click parses them, and
:class:`RepairGroup` turns every failure into one line on stderr, naming options as typed.
"""

from __future__ import annotations

import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer import _click  # typer >= 0.20 vendors click here
from typer.core import TyperCommand, TyperGroup, TyperOption

from repair.errors import ConfigError, PluginNotFoundError, RepairError

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})
DEBUG_FLAG = "--debug"
UsageError = _click.exceptions.UsageError


def canonical_option(name: str) -> str:
    """``--model_dir`` and ``--model-dir`` both become ``--model-dir``."""
    return "--" + name[2:].replace("_", "-")


def docs_spelling(name: str) -> str:
    """``--model-dir`` becomes ``--model_dir``, the spelling the docs use; ``-h`` stays."""
    return "--" + name[2:].replace("-", "_") if name.startswith("--") else name


def typed_spellings(message: str, args: Sequence[str]) -> str:
    """``message`` with each option of ``args`` spelled as typed there (``--model-dir`` or
    ``--model_dir``), so an error names what the user wrote."""
    for arg in args:
        if arg == "--":
            break
        name = arg.partition("=")[0]
        if not name.startswith("--") or len(name) < 3:
            continue
        spelling = "[-_]".join(re.escape(part) for part in re.split("[-_]", name[2:]))
        message = re.sub(rf"(?<![\w-])--{spelling}(?![\w-])", lambda _, n=name: n, message)
    return message


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


def _debug_option() -> TyperOption:
    """``--debug``, listed in every ``--help``; :class:`RepairGroup` reads it before parsing."""
    from typer._coercion import bool_flag_type_descriptor

    return TyperOption(
        param_decls=[DEBUG_FLAG],
        type_descriptor=bool_flag_type_descriptor(),
        is_flag=True,
        expose_value=False,
        help="Show the traceback of an error (or set REPAIR_DEBUG=1).",
    )


def _with_debug(params: list[_click.core.Parameter]) -> list[_click.core.Parameter]:
    if any(DEBUG_FLAG in getattr(p, "opts", ()) for p in params):
        return params
    *declared, last = params
    is_help = last.name == "help"
    return [*declared, _debug_option(), last] if is_help else [*params, _debug_option()]


OUTPUT_DIR_PARAM = "output_dir"  # every command that writes names its folder --output_dir


def writable_dir(ctx: _click.core.Context, param: _click.core.Parameter, value: Any) -> Any:
    """Refuse an output folder that is a file or read-only, before any work (exit 2)."""
    from repair.core.files import check_output_dir
    from repair.errors import OutputDirError

    try:
        return None if value is None else check_output_dir(value)
    except OutputDirError as error:
        raise _click.exceptions.BadParameter(str(error), ctx=ctx, param=param) from None


def _check_output_dirs(params: Sequence[_click.core.Parameter]) -> None:
    """Give every ``--output_dir`` the :func:`writable_dir` check, once, for all commands."""
    for param in params:
        if param.name == OUTPUT_DIR_PARAM and param.callback is None:
            param.callback = writable_dir


def _spell_as_docs(params: Sequence[_click.core.Parameter]) -> None:
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

    def get_params(self, ctx: _click.core.Context) -> list[_click.core.Parameter]:
        return _with_debug(super().get_params(ctx))

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


class LineTracker:
    """A stream wrapper that remembers whether the last text written ended a line.

    Progress bars leave the cursor mid-line (``\r`` redraws); an error printed then must start
    on a line of its own, so that ``grep '^error:'`` finds it in a log.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.last = "\n"

    @property
    def mid_line(self) -> bool:
        """True unless the cursor is at the start of a line: after ``\n``, or, on a terminal,
        after a cleared bar's ``\r`` (a log file keeps what came before the ``\r``)."""
        if self.last == "\n":
            return False
        return not (self.last == "\r" and self._is_terminal())

    def _is_terminal(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def write(self, text: str) -> int:
        if text:
            self.last = text[-1]
        return self.stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _close_progress_bars() -> None:
    """Close the bars a failed command left open, so none redraws after its error."""
    tqdm_module = sys.modules.get("tqdm.std")
    if tqdm_module is not None:
        for bar in list(getattr(tqdm_module.tqdm, "_instances", ())):
            bar.close()


def _fail(message: str, code: int, debug: bool) -> None:
    _close_progress_bars()
    if isinstance(sys.stderr, LineTracker) and sys.stderr.mid_line:
        sys.stderr.write("\n")  # close the progress bar's line
    if debug:
        traceback.print_exc()
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"error: {one_line}", file=sys.stderr)
    sys.exit(code)


def os_error_message(error: OSError) -> str:
    """An operating-system failure in the project's words: what, and which path."""
    path = error.filename
    reason = (error.strerror or str(error)).lower()
    if isinstance(error, PermissionError):
        return f"cannot access {path}: permission denied" if path else reason
    if isinstance(error, FileExistsError | NotADirectoryError):
        return f"cannot write to {path}: a file is in the way of a folder"
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder; expected a file"
    if isinstance(error, FileNotFoundError):
        return f"not found: {path}"
    return f"{reason}: {path}" if path else reason


def _summary(command: _click.core.Command) -> str:
    """The command's whole first help paragraph, on one line (click cuts it at 45 characters)."""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return " ".join(text.split())


class RepairGroup(TyperGroup):
    """A group whose help shows whole command summaries and ``--debug``; the top-level one runs
    a command and turns every failure into one line on stderr."""

    def get_params(self, ctx: _click.core.Context) -> list[_click.core.Parameter]:
        return _with_debug(super().get_params(ctx))

    def format_commands(
        self, ctx: _click.core.Context, formatter: _click.formatting.HelpFormatter
    ) -> None:
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
        debug = _debug_requested(args)
        args = [arg for arg in args if arg != DEBUG_FLAG]
        stderr = sys.stderr
        sys.stderr = LineTracker(stderr)
        try:
            self._run(args, prog_name, complete_var, debug, **extra)
        finally:
            sys.stderr = stderr

    def _run(
        self,
        args: list[str],
        prog_name: str | None,
        complete_var: str | None,
        debug: bool,
        **extra: Any,
    ) -> None:
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
            _fail(typed_spellings(f"{error.format_message()}{where}", args), 2, debug)
        except (PluginNotFoundError, ConfigError) as error:  # a bad option value: usage error
            _fail(typed_spellings(str(error), args), 2, debug)
        except RepairError as error:
            _fail(str(error), 1, debug)
        except typer.Abort:
            _fail("interrupted", 130, debug)
        except _click.exceptions.ClickException as error:
            _fail(typed_spellings(error.format_message(), args), error.exit_code, debug)
        except OSError as error:  # disk full, permissions, a file where a folder should be
            _fail(os_error_message(error), 1, debug)
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
