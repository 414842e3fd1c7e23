"""``repair evaluate --method=NAME --num_runs N``: repeat the repair, report rates ± std."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import command_with_help
from repair.cli._methods import (
    METHOD_CONTEXT,
    DeviceOption,
    ExecutorName,
    ExecutorOption,
    MethodName,
    PositiveInputsDir,
    RayAddress,
    TargetDataDir,
    WorkersOption,
)
from repair.cli._options import BatchSize, JsonOutput, MlflowUri, ModelDir, RandomState

NumRuns = Annotated[int, typer.Option(min=1, help="Repairs to run, with seeds S, S+1, ...")]
TestData = Annotated[
    Path | None,
    typer.Option(help="Held-out split file (e.g. outputs/test.h5) to measure rates on too.",
                 exists=True, dir_okay=False),
]  # fmt: skip


def evaluate_help() -> str:
    from repair.cli._methods import methods_help

    return methods_help(["localize", "optimize"])


def evaluate_command(
    ctx: typer.Context,
    model_dir: ModelDir,
    target_data_dir: TargetDataDir,
    positive_inputs_dir: PositiveInputsDir,
    output_dir: Annotated[Path, typer.Option(help="Folder for run_<k>/ and result.txt.")] = Path(
        "outputs/evaluate"
    ),
    method: MethodName = "Arachne",
    num_runs: NumRuns = 1,
    test_data: TestData = None,
    holdout: Annotated[
        float | None,
        typer.Option(
            help="Held-out protocol: per run, hold out this share of the negatives (stratified "
            "by predicted label), repair on the rest, measure both (e.g. 0.5).",
            show_default=False,
        ),
    ] = None,
    batch_size: BatchSize = 32,
    random_state: RandomState = 0,
    device: DeviceOption = "auto",  # type: ignore[assignment]
    executor: ExecutorOption = ExecutorName.local,
    workers: WorkersOption = None,
    ray_address: RayAddress = None,
    json_output: JsonOutput = False,
    mlflow: MlflowUri = None,
) -> None:
    """Run localize + optimize --num_runs times and report repair and break rates.

    Runs go in parallel (--executor, --workers), as a one-axis `repair sweep` over seeds.

    Options not listed here belong to the method (see the end of this help).
    """
    from repair.cli._app import UsageError
    from repair.cli._methods import method_options

    if holdout is not None and not 0.0 < holdout < 1.0:
        raise UsageError(f"--holdout must be a fraction in (0, 1), like 0.5; got {holdout}")
    if ray_address is not None and executor != ExecutorName.ray:
        raise UsageError(f"--address needs --executor ray; got --executor {executor.value}")
    method_class, (localize_options, optimize_options) = method_options(
        method, ctx.args, ["localize", "optimize"]
    )
    from repair.app.evaluation import evaluate_method, format_report

    report = evaluate_method(
        method=method_class,
        model_dir=model_dir,
        target_data_dir=target_data_dir,
        positive_inputs_dir=positive_inputs_dir,
        output_dir=output_dir,
        num_runs=num_runs,
        localize_options=localize_options,
        optimize_options=optimize_options,
        batch_size=batch_size,
        random_state=random_state,
        device=getattr(device, "value", device),
        test_data=test_data,
        executor=executor.value,
        workers=workers,
        ray_address=ray_address,
        holdout=holdout,
        mlflow_uri=mlflow,
    )
    if json_output:
        print(json.dumps(report))
        return
    if holdout is not None:
        from repair.variability.holdout import format_holdout

        print(format_holdout(report))
    else:
        print(format_report(report), end="")
    from repair.core.run_files import EVALUATE_REPORT_FILENAME, EVALUATE_RESULT_FILENAME

    print(f"wrote {output_dir / EVALUATE_RESULT_FILENAME} and {EVALUATE_REPORT_FILENAME}")


COMMAND_SETTINGS = {"context_settings": METHOD_CONTEXT, "cls": command_with_help(evaluate_help)}
