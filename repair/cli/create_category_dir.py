"""``repair create_category_dir``: crop BDD100K objects into a folder per category."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

InputDir = Annotated[
    Path,
    typer.Option(
        "--input-dir",
        "--image-dir",
        help="Folder of BDD100K frames (e.g. datasets/bdd100k/images/val).",
        exists=True,
        file_okay=False,
        show_default=False,
    ),
]


def create_category_dir_command(
    input_dir: InputDir,
    label_file: Annotated[
        Path,
        typer.Option(help="BDD100K detection labels, e.g. det_val.json.", show_default=False),
    ],
    output_dir: Annotated[Path, typer.Option(help="Folder for the crops.", show_default=False)],
    min_area: Annotated[float, typer.Option(min=0, help="Smallest box area in pixels.")] = 0,
    remove_truncated: Annotated[bool, typer.Option(help="Skip truncated objects.")] = False,
    remove_occluded: Annotated[bool, typer.Option(help="Skip occluded objects.")] = False,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0: one per core).")] = 0,
) -> None:
    """Crop every labelled object into OUTPUT_DIR/<category>/<id>_<frame>.jpg (square crops).

    Reruns skip crops that exist. Writes image_info.json and summary.json in OUTPUT_DIR.
    """
    from repair.app.bdd import create_category_dir
    from repair.datasets.bdd.subset import format_counts

    result = create_category_dir(
        input_dir=input_dir,
        label_file=label_file,
        output_dir=output_dir,
        min_area=min_area,
        remove_truncated=remove_truncated,
        remove_occluded=remove_occluded,
        workers=workers or None,
    )
    print(format_counts(result.categories))
    print(f"frames: {result.frames}, crops: {result.crops} ({result.written} new)")
    for reason, count in result.skipped.items():
        print(f"skipped ({reason}): {count}")
    print(f"wrote {output_dir}")
