"""``repair localize --method=NAME``: find what to change in the model (e.g. weights.csv)."""

from __future__ import annotations

import typer

from repair.cli._app import command_with_help
from repair.cli._methods import (
    METHOD_CONTEXT,
    MethodName,
    MethodOutputDir,
    OptionalPositiveInputsDir,
    TargetDataDir,
)
from repair.cli._options import BatchSize, ModelDir


def localize_help() -> str:
    from repair.cli._methods import methods_help

    return methods_help(["localize"])


def localize_command(
    ctx: typer.Context,
    model_dir: ModelDir,
    target_data_dir: TargetDataDir,
    method: MethodName = "Arachne",
    output_dir: MethodOutputDir = None,
    batch_size: BatchSize = 32,
    positive_inputs_dir: OptionalPositiveInputsDir = None,
) -> None:
    """Localize the faults behind the negative inputs; Arachne writes weights.csv.

    Options not listed here belong to the method (see the end of this help).
    """
    from repair.cli._methods import method_options

    method_class, (options,) = method_options(method, ctx.args, ["localize"])
    from repair.app.runner import localize

    result = localize(
        method=method_class,
        model_dir=model_dir,
        target_data_dir=target_data_dir,
        output_dir=output_dir,
        options=options,
        batch_size=batch_size,
        positive_inputs_dir=positive_inputs_dir,
    )
    for note in result.notes:
        typer.echo(note, err=True)
    print(result.message)
    for path in result.files:
        print(f"wrote {path}")


COMMAND_SETTINGS = {"context_settings": METHOD_CONTEXT, "cls": command_with_help(localize_help)}
