"""The ``repair`` console script: the command table. Each command lives in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

from repair.cli import (
    attack,
    audit,
    corrupt,
    create_category_dir,
    create_image_subset,
    drift,
    evaluate,
    inspect,
    localize,
    optimize,
    prepare,
    report,
    saliency,
    sweep,
    target,
    test,
    train,
    utils,
    variability,
)
from repair.cli._app import RepairTyper, command_with_help

app = RepairTyper(
    help="Repair trained image classifiers without retraining them.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from repair import __version__

        print(f"repair {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Repair trained image classifiers without retraining them.

    Every option has two spellings (--model_dir, --model-dir). Add --debug (or set
    REPAIR_DEBUG=1) to see the traceback of an error.
    """


app.command(
    "prepare",
    context_settings=prepare.PREPARE_CONTEXT,
    cls=command_with_help(prepare.datasets_help),
)(prepare.prepare_command)
app.command("train")(train.train_command)
app.command("test")(test.test_command)
app.command("target")(target.target_command)
app.command("inspect")(inspect.inspect_command)
app.command("corrupt")(corrupt.corrupt_command)
app.command("localize", **localize.COMMAND_SETTINGS)(localize.localize_command)
app.command("optimize", **optimize.COMMAND_SETTINGS)(optimize.optimize_command)
app.command("evaluate", **evaluate.COMMAND_SETTINGS)(evaluate.evaluate_command)
app.command("sweep", **sweep.COMMAND_SETTINGS)(sweep.sweep_command)
app.command("variability")(variability.variability_command)
app.command("attack")(attack.attack_command)
app.command("audit")(audit.audit_command)
app.command("drift")(drift.drift_command)
app.command("saliency")(saliency.saliency_command)
app.command("report")(report.report_command)
app.add_typer(utils.utils_app, name="utils")
app.command("create_category_dir")(create_category_dir.create_category_dir_command)
app.command("create_image_subset")(create_image_subset.create_image_subset_command)
app.command("create_image_dir", help="Alias of create_image_subset.")(
    create_image_subset.create_image_subset_command
)


def main() -> None:
    """Entry point of the console script (also ``python -m repair``)."""
    app()
