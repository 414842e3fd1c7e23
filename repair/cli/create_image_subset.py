"""``repair create_image_subset`` (alias ``create_image_dir``): sample a balanced subset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from repair.cli._options import RandomState, file_name_option, parse_name_list


def create_image_subset_command(
    category_dir: Annotated[
        Path,
        typer.Option(
            help="Folder per category (create_category_dir).",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ],
    output_dir: Annotated[
        Path, typer.Option(help="Flat folder for the subset.", show_default=False)
    ],
    num: Annotated[int, typer.Option(min=1, help="Images to sample in all.")] = 1000,
    category_min: Annotated[int, typer.Option(min=0, help="Least images per category.")] = 0,
    excluded_labels: Annotated[
        str, typer.Option(help="Comma-separated categories to leave out.")
    ] = "",
    resize_to: Annotated[
        int | None, typer.Option(min=1, help="Resize to this square side (default: copy).")
    ] = None,
    info_file: Annotated[
        str, file_name_option("Name of the written info file (inside OUTPUT_DIR).")
    ] = "image_info.json",
    random_state: RandomState = 0,
) -> None:
    """Sample each category in proportion to its size into OUTPUT_DIR; print the counts."""
    from repair.app.bdd import create_image_subset
    from repair.datasets.bdd.subset import format_counts

    args = {
        "category_dir": str(category_dir),
        "output_dir": str(output_dir),
        "num": num,
        "category_min": category_min,
        "excluded_labels": excluded_labels,
        "resize_to": resize_to,
        "random_state": random_state,
    }
    result = create_image_subset(
        category_dir=category_dir,
        output_dir=output_dir,
        num=num,
        category_min=category_min,
        excluded_labels=parse_name_list(excluded_labels),
        resize_to=resize_to,
        info_file=info_file,
        random_state=random_state,
        args=args,
    )
    print(format_counts(result.counts))
    print(f"wrote {output_dir}")
