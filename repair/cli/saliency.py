"""``repair saliency``: Grad-CAM maps of a split's inputs, as an HDF5 file and PNG overlays."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._options import BatchSize, JsonOutput, ModelDir


class Explains(StrEnum):
    pred = "pred"
    true = "true"


def saliency_command(
    model_dir: ModelDir,
    data: Annotated[
        Path,
        typer.Option(
            help="Split file whose inputs to explain, e.g. D/test.h5 or D/negative/repair.h5.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    layer: Annotated[
        str | None,
        typer.Option(
            help="Name of the Conv2D layer to explain (default: the last Conv2D layer; "
            "`repair inspect` lists the names).",
            show_default=False,
        ),
    ] = None,
    explains: Annotated[
        Explains,
        typer.Option("--class", help="The class each map explains: the predicted or true one."),
    ] = Explains.pred,
    output_dir: Annotated[
        Path, typer.Option(help="Folder for saliency.h5 and overlays/<position>.png.")
    ] = Path("saliency"),
    max_overlays: Annotated[
        int, typer.Option(min=0, help="Overlay PNGs for the first N inputs (0: none).")
    ] = 100,
    batch_size: BatchSize = 64,
    json_output: JsonOutput = False,
) -> None:
    """Grad-CAM (Selvaraju et al. 2017) of every input of --data: where the model looked to
    give it a class."""
    from repair.app.saliency import saliency

    result = saliency(
        model_dir=model_dir,
        data=data,
        output_dir=output_dir,
        layer=layer,
        explains=explains.value,
        max_overlays=max_overlays,
        batch_size=batch_size,
    )
    if json_output:
        print(json.dumps({
            "layer": {"index": result.layer_index, "name": result.layer_name},
            "score": result.score, "class": result.explains, "maps": result.count,
            "map_shape": list(result.map_shape), "file": str(result.maps_path),
            "overlays": [str(path) for path in result.overlays],
        }))  # fmt: skip
        return
    which = "predicted" if result.explains == "pred" else "true"
    print(
        f"Grad-CAM of layer {result.layer_index} ({result.layer_name}), for the {which} class "
        f"(gradient of its {result.score})"
    )
    height, width = result.map_shape
    print(f"wrote {result.maps_path} ({result.count} maps of {height}x{width})")
    if result.overlays:
        print(f"wrote {len(result.overlays)} overlays to {output_dir / 'overlays'}")
