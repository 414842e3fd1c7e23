"""What the method commands (localize, optimize, evaluate) share: the --method option.

With it, the method's options parsed from the extra arguments, and the --help section listing
every method's options.

Loading a method class imports no TensorFlow (see repair.methods.base), so bad options fail with
exit code 2 before any slow import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from repair.cli._app import UsageError
from repair.cli._options import MAX_SEED
from repair.cli._plugin_options import describe_plugin_options, option_name, parse_plugin_options
from repair.cli._spelling import canonical_option

METHOD_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def _input_folder(help_text: str) -> typer.models.OptionInfo:
    return typer.Option(help=help_text, exists=True, file_okay=False, show_default=False)


TargetDataDir = Annotated[
    Path, _input_folder("Folder with the negative inputs' repair.h5 (e.g. outputs/negative/3).")
]
PositiveInputsDir = Annotated[
    Path, _input_folder("Folder with the positive inputs' repair.h5 (e.g. outputs/positive).")
]
OptionalPositiveInputsDir = Annotated[
    Path | None,
    _input_folder(
        "Folder with the positive inputs' repair.h5, for a method that localizes against them "
        "too (Arachne's --localizer bidirectional)."
    ),
]
MethodOutputDir = Annotated[
    Path | None,
    typer.Option(help="Folder for the method's files (default: the target data folder)."),
]
OptionalSeed = Annotated[
    int | None,
    typer.Option(
        min=0,
        max=MAX_SEED,
        help="Seed: the same seed, the same repair (default: a fresh seed, recorded).",
    ),
]
MethodName = Annotated[
    str,
    typer.Option(help="Repair method (case-insensitive); its own options are listed below."),
]


class Device(StrEnum):
    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


class ExecutorName(StrEnum):
    serial = "serial"
    local = "local"
    ray = "ray"


ExecutorOption = Annotated[
    ExecutorName,
    typer.Option(help="Where runs go: this process (serial), a process pool (local), Ray."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        min=1, help="Runs at once (pool size, Ray CPUs) [the core count].", show_default=False
    ),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--address",
        "--ray_address",
        help="Join this running Ray cluster: auto, HOST:PORT or ray://HOST:10001 "
        "[start a local one]. Every node needs pip install 'repair[ray]'.",
        show_default=False,
    ),
]

DeviceOption = Annotated[
    Device,
    typer.Option(help="Where the search runs: a GPU when TensorFlow sees one (auto), or forced."),
]


def methods_help(steps: Sequence[str]) -> str:
    """The options of every registered method for ``steps`` (``localize``/``optimize``)."""
    from repair.methods import available_methods, load_method

    lines = ["Repair methods and their own options:"]
    for name in available_methods():
        method = load_method(name)
        lines.append(f"\n{name}: {method.description}")
        for step in steps:
            options = describe_plugin_options(getattr(method, f"{step}_options"))
            lines.extend(f"  {line}" for line in options.splitlines())
    return "\n".join(lines)


def _owners_of(arg: str, classes: Sequence[type]) -> list[int]:
    """Every config class declaring ``arg`` (an option both steps read, such as Arachne's
    ``--version``, goes to both)."""
    key = canonical_option(arg.partition("=")[0])
    owners = []
    for position, config in enumerate(classes):
        for field in dataclasses.fields(config):
            names = (option_name(field.name), option_name("no_" + field.name))
            if key in {canonical_option(name) for name in names}:
                owners.append(position)
                break
    return owners


def split_method_args(args: Sequence[str], classes: Sequence[type]) -> list[list[str]]:
    """Give each option (and its value) to the config class that declares it."""
    parts: list[list[str]] = [[] for _ in classes]
    position = 0
    while position < len(args):
        arg = args[position]
        owners = _owners_of(arg, classes) if arg.startswith("--") else []
        if not owners:
            valid = ", ".join(
                option_name(f.name) for config in classes for f in dataclasses.fields(config)
            )
            raise UsageError(f"no such option: {arg}. Options of the method: {valid or 'none'}")
        position += 1
        taken = [arg]
        takes_value = "=" not in arg and position < len(args)
        if takes_value and not args[position].startswith("--"):
            taken.append(args[position])
            position += 1
        for owner in owners:
            parts[owner].extend(taken)
    return parts


def method_options(
    method: str, args: Sequence[str], steps: Sequence[str]
) -> tuple[type, list[Any]]:
    """Load ``method`` once and build one options object per step from ``args``: the method
    class (passed down as is) and the options."""
    from repair.errors import PluginNotFoundError
    from repair.methods import load_method

    try:
        method_class = load_method(method)
    except PluginNotFoundError as error:  # a bad --method value: a usage error
        raise UsageError(f"--method: {error}") from None
    classes = [getattr(method_class, f"{step}_options") for step in steps]
    parts = split_method_args(args, classes)
    owner = f"repair method '{method}'"
    options = [parse_plugin_options(c, part, owner) for c, part in zip(classes, parts, strict=True)]
    return method_class, options
