"""``repair utils add_attributes``: per-image operating conditions from a CSV into the splits.

A thin wrapper over :mod:`repair.app.conditions`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._options import DataDir, JsonOutput


def add_attributes_command(
    data_dir: DataDir,
    csv: Annotated[
        Path,
        typer.Option(
            help="CSV with the header image_id,<key>,... (ids as in the splits' image_ids).",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    json_output: JsonOutput = False,
) -> None:
    """Add per-image string keys (e.g. weather, timeofday) to every split of DATA_DIR.

    Images the CSV does not list get 'undefined'; the keys then work in target --where, audit
    --strata and requirement selectors such as pedestrian@timeofday=night>=70.
    """
    from repair.app.conditions import add_attributes

    added = add_attributes(data_dir=data_dir, csv=csv)
    if json_output:
        files = [{"path": str(p), "images": n, "named": k} for p, n, k in added.files]
        print(json.dumps({"keys": list(added.keys), "files": files}))
        return
    for path, total, named in added.files:
        print(f"{path}: {named} of {total} images named in the CSV")
    print(f"added keys: {', '.join(added.keys)}")
