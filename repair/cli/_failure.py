"""How a failed command ends: one line on stderr, the right exit status, no traceback.

A usage error (a bad option value, a ConfigError) exits 2, a runtime error (a RepairError,
an OS failure, a bug) exits 1, an interrupt 130; ``--debug`` or ``REPAIR_DEBUG=1`` prints the
traceback first. :func:`run_reporting_errors` is what the top-level group runs a command in.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import typer

from repair.cli._spelling import typed_spellings
from repair.cli._typer_private import ClickException, UsageError
from repair.errors import ConfigError, PluginNotFoundError, RepairError

DEBUG_FLAG = "--debug"


def debug_requested(args: Sequence[str]) -> bool:
    """``--debug`` among ``args``, or REPAIR_DEBUG set (and not 0)."""
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


def close_progress_bars() -> None:
    """Close the bars a failed command left open, so none redraws after its error."""
    tqdm_module = sys.modules.get("tqdm.std")
    if tqdm_module is not None:
        for bar in list(getattr(tqdm_module.tqdm, "_instances", ())):
            bar.close()


def fail(message: str, code: int, debug: bool) -> NoReturn:
    """Print ``error: <message>`` on one line of stderr (the traceback first with ``debug``)
    and exit with ``code``."""
    close_progress_bars()
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


def run_reporting_errors(main: Callable[[], Any], args: Sequence[str], debug: bool) -> NoReturn:
    """Run ``main`` (click's ``main`` of the group, not standalone) and exit: with its return
    code, or with one line naming options as typed in ``args`` when it fails."""
    try:
        result = main()
    except UsageError as error:
        where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
        fail(typed_spellings(f"{error.format_message()}{where}", args), 2, debug)
    except (PluginNotFoundError, ConfigError) as error:  # a bad option value: usage error
        fail(typed_spellings(str(error), args), 2, debug)
    except RepairError as error:
        fail(str(error), 1, debug)
    except typer.Abort:
        fail("interrupted", 130, debug)
    except ClickException as error:
        fail(typed_spellings(error.format_message(), args), error.exit_code, debug)
    except OSError as error:  # disk full, permissions, a file where a folder should be
        fail(os_error_message(error), 1, debug)
    except Exception as error:  # a bug or an OS failure: still one line, details on --debug
        detail = f"{type(error).__name__}: {error}"
        fail(f"{detail} (run with --debug for the traceback)", 1, debug)
    code = result if isinstance(result, int) else 0
    if code == 130:
        print("error: interrupted", file=sys.stderr)
    sys.exit(code)
