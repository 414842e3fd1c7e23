"""``repair corrupt``: one corrupted copy of a split per (corruption, intensity) stratum."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import DataDir, JsonOutput, RandomState


class Preset(StrEnum):
    cifar = "cifar"
    imagenet = "imagenet"


def corrupt_command(
    data_dir: DataDir,
    target_data: Annotated[str, typer.Option(help="Split file inside DATA_DIR.")] = "test.h5",
    output_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for <corruption>_<intensity>.h5 [default: DATA_DIR/corrupted]."),
    ] = None,
    corruptions: Annotated[
        str,
        typer.Option(
            help="common (the published 15 without frost: 14), all (those and the 4 extra: "
            "speckle_noise, gaussian_blur, spatter, saturate) or names, e.g. fog,brightness."
        ),
    ] = "common",
    intensities: Annotated[
        str, typer.Option(help="Intensities 1-5: a range (1-5, 2-4) or a list (1,3,5).")
    ] = "1-5",
    preset: Annotated[
        Preset,
        typer.Option(
            help="Published strengths: cifar (CIFAR-10-C, small images) or imagenet "
            "(ImageNet-C, images of 64 px and more)."
        ),
    ] = Preset.cifar,
    random_state: RandomState = 0,
    json_output: JsonOutput = False,
) -> None:
    """Write corrupted copies of DATA_DIR/TARGET_DATA, one split file per corruption and
    intensity, with per-image keys corruption, intensity and source_index."""
    from repair.app.corrupt import corrupt
    from repair.errors import ConfigError
    from repair.robustness.corruptions import LEFT_OUT, parse_intensities, resolve_names

    try:
        names = resolve_names(corruptions)
    except ConfigError as error:
        raise UsageError(f"--corruptions: {error}") from None
    try:
        levels = parse_intensities(intensities)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    summary = corrupt(
        source=data_dir / target_data,
        output_dir=output_dir if output_dir is not None else data_dir / "corrupted",
        corruptions=names,
        intensities=levels,
        preset=preset.value,
        random_state=random_state,
    )
    if json_output:
        print(json.dumps({**summary.to_dict(), "left_out": LEFT_OUT}))
        return
    print("| corruption | category | files |")
    print("|---|---|---|")
    for name in names:
        files = [f.path.name for f in summary.files if f.corruption == name]
        category = next(f.category for f in summary.files if f.corruption == name)
        print(f"| {name} | {category} | {', '.join(files)} |")
    count = summary.info.num_samples if summary.info else 0
    print(
        f"wrote {len(summary.files)} files ({len(names)} corruptions x {len(levels)} "
        f"intensities, {count} images each, preset {summary.preset}) to {summary.output_dir} "
        f"in {summary.seconds:.1f} s"
    )
    if corruptions.strip().lower() in ("common", "all"):
        for name, why in LEFT_OUT.items():
            print(f"not included: {name} ({why})")
