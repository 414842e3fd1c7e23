"""``repair optimize --method=NAME``: search the change that fixes the negatives, save the model."""

from __future__ import annotations

import json
import time
from typing import Any

import typer

from repair.cli._app import command_with_help
from repair.cli._methods import (
    METHOD_CONTEXT,
    DeviceOption,
    MethodName,
    MethodOutputDir,
    OptionalSeed,
    PositiveInputsDir,
    TargetDataDir,
)
from repair.cli._options import BatchSize, JsonOutput, MlflowUri, ModelDir


def optimize_help() -> str:
    from repair.cli._methods import methods_help

    return methods_help(["optimize"])


def print_summary(summary: dict[str, Any], command_wall_time_s: float) -> None:
    """What optimize did, for people; the search's time is summary.json's, the command's
    adds loading the model, caching activations, saving and checking the repaired model."""
    if summary.get("details", {}).get("kept_original"):
        print(f"model unchanged: {summary['repaired_model']} keeps the original weights")
    else:
        print(f"repaired model: {summary['repaired_model']}")
    print(
        f"patched: {summary['patched']}/{summary['negatives']} negatives "
        f"(repair rate {summary['repair_rate']:.2f}%)"
    )
    print(
        f"broken: {summary['broken']}/{summary['positives']} positives "
        f"(break rate {summary['break_rate']:.2f}%)"
    )
    print(
        f"seed: {summary['seed']}, search wall time: {summary['wall_time_s']:.2f} s, "
        f"whole command: {command_wall_time_s:.2f} s"
    )


def optimize_command(
    ctx: typer.Context,
    model_dir: ModelDir,
    target_data_dir: TargetDataDir,
    positive_inputs_dir: PositiveInputsDir,
    method: MethodName = "Arachne",
    output_dir: MethodOutputDir = None,
    batch_size: BatchSize = 32,
    random_state: OptionalSeed = None,
    device: DeviceOption = "auto",  # type: ignore[assignment]
    json_output: JsonOutput = False,
    mlflow: MlflowUri = None,
) -> None:
    """Repair the model: write <output_dir>/repair/model.keras, history.csv and summary.json.

    Reads what `repair localize` wrote in --output_dir (default: --target_data_dir).
    Options not listed here belong to the method (see the end of this help).
    """
    started = time.perf_counter()
    from repair.cli._methods import method_options

    method_class, (options,) = method_options(method, ctx.args, ["optimize"])
    from repair.app.runner import optimize

    summary = optimize(
        method=method_class,
        model_dir=model_dir,
        target_data_dir=target_data_dir,
        positive_inputs_dir=positive_inputs_dir,
        output_dir=output_dir,
        options=options,
        batch_size=batch_size,
        seed=random_state,
        device=getattr(device, "value", device),
        mlflow_uri=mlflow,
    )
    if json_output:  # summary.json's content, exactly
        print(json.dumps(summary.data))
    else:
        print_summary(summary.data, time.perf_counter() - started)


COMMAND_SETTINGS = {"context_settings": METHOD_CONTEXT, "cls": command_with_help(optimize_help)}
