"""Options that belong to a plugin (a dataset, a repair method), parsed into its config dataclass.

A command such as ``repair prepare NAME`` or ``repair localize --method=NAME`` declares its
common options with typer and passes the rest here. The plugin's frozen dataclass is the one
place that names its options, their types, defaults and help (``field(metadata={"help": ...})``);
an option it does not declare is a usage error that lists the ones it does.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from repair.cli._app import UsageError
from repair.cli._spelling import FALSE_WORDS, TRUE_WORDS, canonical_option

T = TypeVar("T")


def option_name(field_name: str) -> str:
    """The command-line spelling of a dataclass field: ``single_dir`` -> ``--single_dir``."""
    return f"--{field_name}"


def _base_type(annotation: Any) -> Any:
    """``int | None`` -> ``int``; other annotations unchanged."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else str
    return annotation


def _convert(name: str, text: str, annotation: Any) -> Any:
    kind = _base_type(annotation)
    if typing.get_origin(annotation) is not None and text.lower() == "none":
        return None
    try:
        if kind is bool:
            if text.lower() in TRUE_WORDS:
                return True
            if text.lower() in FALSE_WORDS:
                return False
            raise ValueError
        if typing.get_origin(kind) is tuple:
            item = typing.get_args(kind)[0]
            return tuple(_convert(name, part.strip(), item) for part in text.split(",") if part)
        if kind is Path:
            return Path(text)
        value = kind(text)
        if kind is float and not math.isfinite(value):
            raise UsageError(f"{option_name(name)} must be a finite number; got {text!r}")
        return value
    except ValueError:
        type_name = getattr(kind, "__name__", str(kind))
        raise UsageError(f"{option_name(name)} must be of type {type_name}; got {text!r}") from None


def parse_plugin_options(config_class: type[T], args: Sequence[str], owner: str) -> T:
    """Build ``config_class`` from ``--name=value``/``--name value``/``--flag`` arguments.

    ``owner`` names the plugin in messages (``dataset 'bdd-objects'``). A value the dataclass
    rejects in ``__post_init__`` (a ``ValueError``) becomes a usage error too.
    """
    hints = typing.get_type_hints(config_class)
    fields = {canonical_option(option_name(f.name)): f for f in dataclasses.fields(config_class)}
    negated = {canonical_option(option_name("no_" + f.name)): f for f in fields.values()}
    values: dict[str, Any] = {}
    position = 0
    while position < len(args):
        arg = args[position]
        position += 1
        if not arg.startswith("--"):
            raise UsageError(f"unexpected argument {arg!r} for {owner}")
        name, has_value, text = arg.partition("=")
        key = canonical_option(name)
        if key in negated and hints[negated[key].name] is bool and not has_value:
            values[negated[key].name] = False
            continue
        field = fields.get(key)
        if field is None:
            valid = ", ".join(option_name(f.name) for f in fields.values()) or "none"
            raise UsageError(f"no such option: {name} for {owner}. Its options: {valid}")
        if hints[field.name] is bool and not has_value:
            values[field.name] = True
            continue
        if not has_value:
            if position >= len(args):
                raise UsageError(f"{name} needs a value")
            text = args[position]
            position += 1
        values[field.name] = _convert(field.name, text, hints[field.name])
    try:
        return config_class(**values)
    except ValueError as error:
        raise UsageError(str(error)) from None


def describe_plugin_options(config_class: type) -> str:
    """One line per option for ``--help``: name, type, default and help text."""
    hints = typing.get_type_hints(config_class)
    lines = []
    for field in dataclasses.fields(config_class):
        kind = _base_type(hints[field.name])
        type_name = getattr(kind, "__name__", str(kind))
        default = field.default if field.default is not dataclasses.MISSING else "required"
        help_text = field.metadata.get("help", "")
        lines.append(f"{option_name(field.name)} ({type_name}, default {default}): {help_text}")
    return "\n".join(lines)
