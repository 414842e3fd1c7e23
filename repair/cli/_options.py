"""Option types shared by several commands, declared once (typer validates them before any work)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.core.files import is_plain_name

ModelDir = Annotated[
    Path,
    typer.Option(
        help="Folder holding model.keras (or a .keras/.h5 file).", exists=True, show_default=False
    ),
]
DataDir = Annotated[
    Path,
    typer.Option(
        help="Folder holding the HDF5 splits.", exists=True, file_okay=False, show_default=False
    ),
]
OutputDir = Annotated[Path, typer.Option(help="Folder to write into (created if missing).")]
BatchSize = Annotated[int, typer.Option(min=1, help="Samples per batch.")]
MAX_SEED = 2**32 - 1  # numpy's legacy seeding, which Keras uses, takes no more
RandomState = Annotated[
    int, typer.Option(min=0, max=MAX_SEED, help="Seed: the same seed gives the same result.")
]
JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print one JSON object instead of tables.")
]


def parse_float_list(option: str, text: str, length: int | None = None) -> list[float]:
    """``'0.5,0.2,0.3,0'`` -> ``[0.5, 0.2, 0.3, 0.0]``; a usage error names ``option``."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(
            f"{option} must be comma-separated numbers, like 0.5,0.2,0.3,0; got {text!r}"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise UsageError(f"{option} must be finite numbers; got {text!r}")
    if length is not None and len(values) != length:
        raise UsageError(f"{option} needs {length} comma-separated numbers; got {text!r}")
    return values


def parse_name_list(text: str) -> list[str]:
    """``'car, traffic light'`` -> ``['car', 'traffic light']`` (empty parts dropped)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def plain_file_name(value: str) -> str:
    """typer callback: a name option (``--filename``, ``--info_file``) names a file inside the
    output folder, never a path that leaves it."""
    if not is_plain_name(value):
        raise typer.BadParameter(
            f"must be a plain file name (no folder, '/', '\\' or '..'); got {value!r}"
        )
    return value


def file_name_option(help_text: str) -> typer.models.OptionInfo:
    """A ``--filename``-style option: a plain file name written inside the output folder."""
    return typer.Option(help=help_text, callback=plain_file_name)


MlflowUri = Annotated[
    str | None,
    typer.Option(
        "--mlflow",
        envvar="REPAIR_MLFLOW_URI",
        help="Log this command's parameters, numbers and files to this MLflow tracking store "
        "(a folder, or a sqlite:/http: URI; env REPAIR_MLFLOW_URI); needs "
        "pip install 'repair[mlflow]'. Off by default.",
        show_default=False,
    ),
]
