"""``repair attack``: adversarial versions of a split (FGM, PGD), one file per (attack, eps)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import (
    BatchSize,
    DataDir,
    JsonOutput,
    ModelDir,
    RandomState,
    parse_float_list,
)
from repair.errors import ConfigError


class Attack(StrEnum):
    fgm = "fgm"
    pgd = "pgd"


class Norm(StrEnum):
    inf = "inf"
    l2 = "2"


def attack_command(
    model_dir: ModelDir,
    data_dir: DataDir,
    target_data: Annotated[str, typer.Option(help="Split file inside DATA_DIR.")] = "test.h5",
    output_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder for <attack>_<eps>.h5 [default: DATA_DIR/adversarial/<model folder "
            "name>].",
            show_default=False,
        ),
    ] = None,
    attack: Annotated[
        Attack, typer.Option(help="fgm (one gradient-sign step) or pgd (projected steps).")
    ] = Attack.fgm,
    eps: Annotated[
        str,
        typer.Option(help="Comma-separated perturbation budgets, pixels in [0, 1]."),
    ] = "0.01,0.03,0.1",
    norm: Annotated[Norm, typer.Option(help="Norm of the budget: inf or 2.")] = Norm.inf,
    targeted: Annotated[
        str | None,
        typer.Option(
            help="Class name or label index to push every image towards [default: untargeted].",
            show_default=False,
        ),
    ] = None,
    max_iter: Annotated[int, typer.Option(min=1, help="PGD steps.")] = 20,
    random_state: RandomState = 0,
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Write adversarial examples of DATA_DIR/TARGET_DATA made on the model, with true labels.

    Needs the Adversarial Robustness Toolbox: pip install 'repair[adversarial]'.
    """
    budgets = parse_float_list("--eps", eps)
    if any(not value > 0 for value in budgets):
        raise UsageError(f"--eps values must be positive; got {eps!r}")
    from repair.app.attack import attack as run

    output_dir = output_dir or data_dir / "adversarial" / _model_name(model_dir)
    try:
        results = run(
            model_dir=model_dir,
            source=data_dir / target_data,
            output_dir=output_dir,
            method=attack.value,
            eps=budgets,
            norm=norm.value,
            targeted=targeted,
            max_iter=max_iter,
            random_state=random_state,
            batch_size=batch_size,
        )
    except ConfigError as error:  # a --targeted label the data does not have
        raise UsageError(str(error)) from None
    if json_output:
        print(json.dumps({"output_dir": str(output_dir), "files": [r.to_dict() for r in results]}))
        return
    print("| attack | eps | accuracy on the source model | max L-inf | mean L2 | file |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.spec.kind} | {r.spec.eps:g} | {r.accuracy:.2f}% ({r.correct}/{r.total}) "
            f"| {r.max_linf:.4f} | {r.mean_l2:.4f} | {r.path.name} |"
        )
    print(f"wrote {len(results)} files to {output_dir}")


def _model_name(model_dir: Path) -> str:
    """The folder name of ``model_dir`` (the file's stem for a .keras/.h5 path)."""
    resolved = model_dir.resolve()
    return resolved.stem if resolved.is_file() else resolved.name
