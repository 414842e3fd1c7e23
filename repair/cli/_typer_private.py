"""The one module that touches typer's private API: its vendored click and its flag type.

Since 0.26 typer vendors click as ``typer._click`` instead of depending on click, so the
classes every typer command is built on (Context, Parameter, UsageError, HelpFormatter) have
no public name, and typer warns that code under ``typer/_click`` may change at any release.
0.29 changed how an option is built (``TyperOption(type_descriptor=...)``, from
``typer._coercion``), which :func:`debug_flag` needs. pyproject.toml therefore pins
``typer>=0.29,<0.30``: raising the pin is a deliberate step, checked by tests/cli.
"""

from __future__ import annotations

from typer import _click
from typer._coercion import bool_flag_type_descriptor
from typer.core import TyperOption

Command = _click.core.Command
Context = _click.core.Context
Parameter = _click.core.Parameter
HelpFormatter = _click.formatting.HelpFormatter
ClickException = _click.exceptions.ClickException
BadParameter = _click.exceptions.BadParameter  # the same class as the public typer.BadParameter
UsageError = _click.exceptions.UsageError


def debug_flag(declaration: str, help_text: str) -> TyperOption:
    """A boolean flag that is listed in ``--help`` but never passed to the command."""
    return TyperOption(
        param_decls=[declaration],
        type_descriptor=bool_flag_type_descriptor(),
        is_flag=True,
        expose_value=False,
        help=help_text,
    )
