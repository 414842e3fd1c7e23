"""``repair sweep``: labels x chunks x seeds x method options, in parallel and resumable."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from repair.cli._app import UsageError, command_with_help
from repair.cli._methods import (
    METHOD_CONTEXT,
    DeviceOption,
    ExecutorName,
    ExecutorOption,
    RayAddress,
    WorkersOption,
)
from repair.cli._options import MAX_SEED, JsonOutput, MlflowUri
from repair.errors import ConfigError, RepairError


class Chain(StrEnum):
    none = "none"
    chunk = "chunk"


class SweepFailed(RepairError):
    """Some units failed (exit status 1); the others are complete."""


def sweep_help() -> str:
    from repair.cli._methods import methods_help

    return methods_help(["localize", "optimize"])


def _opt(help_text: str, **kwargs: Any) -> Any:
    return typer.Option(help=help_text, show_default=False, **kwargs)


def sweep_command(
    ctx: typer.Context,
    spec: Annotated[
        Path | None,
        _opt(
            "TOML file with any of the options below, and [localize]/[optimize] tables of "
            "method options (a list value makes the grid go over it).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,  # fmt: skip
    model_dir: Annotated[Path | None, _opt("Model to repair [required].", exists=True)] = None,
    data_dir: Annotated[
        Path | None,
        _opt(
            "Folder holding the test data and repairsets/ [required].", exists=True, file_okay=False
        ),
    ] = None,  # fmt: skip
    chunks_dir: Annotated[
        Path | None,
        _opt(
            "Chunks <c>/repair.h5 from `repair utils split_dataset` [DATA_DIR/repairsets; "
            "without chunks, DATA_DIR/repair.h5 as one chunk 'all']."
        ),
    ] = None,
    test_data: Annotated[
        str | None, _opt("Split file in DATA_DIR that measures each kept model [test.h5].")
    ] = None,
    output_dir: Annotated[
        Path | None, _opt("Folder for the units and sweep.* [outputs/sweep].")
    ] = None,
    method: Annotated[str | None, _opt("Repair method [Arachne].")] = None,
    labels: Annotated[
        str | None, _opt("Labels to repair: indices or class names, e.g. 6,9 or 0-3 [required].")
    ] = None,
    chunks: Annotated[str | None, _opt("Chunks, e.g. 0-9 or 0,2,4 [every chunk found].")] = None,
    seeds: Annotated[str | None, _opt("Optimize seeds, e.g. 0-29 [0].")] = None,
    chain: Annotated[
        Chain | None,
        _opt("chunk: chunk c+1 starts from chunk c's kept model (the tutorial's loop) [none]."),
    ] = None,
    executor: ExecutorOption = ExecutorName.local,
    workers: WorkersOption = None,
    ray_address: RayAddress = None,
    gpus_per_unit: Annotated[float, typer.Option(min=0, help="GPUs each Ray task asks for.")] = 0,
    batch_size: Annotated[int | None, _opt("Samples per batch [32].", min=1)] = None,
    device: DeviceOption = None,  # type: ignore[assignment]
    json_output: JsonOutput = False,
    mlflow: MlflowUri = None,
) -> None:
    """Repair many times at once: one unit (target, localize, optimize, measure) per label,
    chunk, seed and variant of the method's options, in OUTPUT_DIR/label_<l>/chunk_<c>/seed_<s>/.

    A rerun skips the units already done with the same settings. Writes sweep.csv (one row per
    unit), sweep.json (mean and sample std over seeds per label and chunk) and sweep.png.
    Exit status 1 if a unit failed (the others still finish). Options not listed here belong to
    the method (see the end of this help).
    """
    from repair.app.sweep_spec import WHOLE_CHUNK, chunk_file, read_toml

    toml = read_toml(spec) if spec is not None else {}
    sweep = _build_sweep(ctx.args, toml, locals())
    if sweep.chunks == (WHOLE_CHUNK,):
        whole = chunk_file(sweep.chunks_dir, WHOLE_CHUNK)
        typer.echo(f"sweep: no chunks made; repairing {whole} as a whole, one chunk "
                   f"'{WHOLE_CHUNK}'", err=True)  # fmt: skip
    if executor != ExecutorName.ray and (ray_address or gpus_per_unit):
        raise UsageError("--address and --gpus_per_unit need --executor ray")
    from repair.app.sweep import run_sweep
    from repair.app.sweep_summary import format_groups

    result = run_sweep(
        sweep,
        executor=executor.value,
        workers=workers,
        ray_address=ray_address,
        gpus_per_unit=gpus_per_unit,
        mlflow_uri=mlflow,
    )
    if json_output:
        print(json.dumps(result.to_dict()))
    else:
        print(format_groups(result.groups, ("repair_rate", "break_rate", "label_accuracy",
                                            "test_accuracy")))  # fmt: skip
        print(
            f"units: {len(result.records)} ({result.ran} run, {result.resumed} already done, "
            f"{result.errors} failed) in {result.wall_time_s:.1f} s"
        )
        print("wrote " + ", ".join(str(p) for p in result.files))
    if result.errors:
        failed = [r for r in result.records if r["status"] == "error"]
        raise SweepFailed(
            f"{len(failed)} of {len(result.records)} units failed, e.g. {failed[0]['unit']}: "
            f"{failed[0]['message']} (see {result.files[0]})"
        )


def _pick(flag: Any, toml: dict, key: str, default: Any = None) -> Any:
    return flag if flag is not None else toml.get(key, default)


def _build_sweep(args: list[str], toml: dict, given: dict) -> Any:
    """The :class:`Sweep` from flags, falling back on the TOML spec, then on defaults."""
    from repair.app.sweep import Sweep, make_variants
    from repair.app.sweep_spec import (
        CHUNKS_DIRNAME,
        Variant,
        parse_int_set,
        parse_labels,
        resolve_labels,
        sweep_chunks,
    )
    from repair.cli._methods import method_options
    from repair.core.data import inspect_split

    try:
        model_dir = _pick(given["model_dir"], toml, "model_dir")
        data_dir = _pick(given["data_dir"], toml, "data_dir")
        labels = _pick(given["labels"], toml, "labels")
        for name, value in (("--model_dir", model_dir), ("--data_dir", data_dir),
                            ("--labels", labels)):  # fmt: skip
            if value is None:
                raise UsageError(f"missing option {name} (give it, or set it in --spec)")
        data_dir = Path(data_dir)
        chunks_dir = Path(_pick(given["chunks_dir"], toml, "chunks_dir", data_dir / CHUNKS_DIRNAME))
        test_data = data_dir / _pick(given["test_data"], toml, "test_data", "test.h5")
        method = _pick(given["method"], toml, "method", "Arachne")
        method_class, (localize, optimize) = method_options(method, args, ["localize", "optimize"])
        chunk_text = _pick(given["chunks"], toml, "chunks")
        seeds = parse_int_set("--seeds", _pick(given["seeds"], toml, "seeds", "0"), MAX_SEED)
        chain = _pick(given["chain"], toml, "chain", "none")
        if str(chain) not in ("none", "chunk"):
            raise ConfigError(f"chain must be none or chunk; got {chain!r}")
        if args and (toml.get("localize") or toml.get("optimize")):
            raise ConfigError("give method options either on the command line or in --spec")
        if args:
            variants = (Variant(localize, optimize),)
        else:
            variants = make_variants(method_class, toml.get("localize"), toml.get("optimize"))
        label_ids = resolve_labels(parse_labels(labels), _class_names(inspect_split(test_data)))
        chunks_dir, chunk_ids = sweep_chunks(
            chunks_dir,
            None if chunk_text is None else parse_int_set("--chunks", chunk_text),
            data_dir,
        )
        device = given["device"]
        return Sweep(
            model_dir=Path(model_dir),
            chunks_dir=chunks_dir,
            test_data=test_data,
            output_dir=Path(_pick(given["output_dir"], toml, "output_dir", "outputs/sweep")),
            method=method_class,
            labels=label_ids,
            chunks=chunk_ids,
            seeds=seeds,
            variants=variants,
            chain=str(chain) == "chunk",
            batch_size=_pick(given["batch_size"], toml, "batch_size", 32),
            device=str(getattr(device, "value", device) or toml.get("device", "auto")),
        )
    except ConfigError as error:
        raise UsageError(str(error)) from None


def _class_names(info: Any) -> list[str]:
    return [info.class_name(i) for i in range(info.num_classes)]


COMMAND_SETTINGS = {"context_settings": METHOD_CONTEXT, "cls": command_with_help(sweep_help)}
