"""``create_category_dir`` and ``create_image_subset`` as keyword-only functions.

The BDD100K pipeline's first two steps: crop every labelled object into a folder per category,
then sample a balanced flat subset that ``repair prepare bdd-objects`` packs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from repair.datasets.bdd.subset import SubsetResult


@dataclass(frozen=True)
class CategoryDirResult:
    """Frames read, crops listed (``written`` of them new), crops per category (sorted by
    name) and skipped frames or objects per reason (sorted by reason)."""

    output_dir: Path
    frames: int
    crops: int
    written: int
    categories: dict[str, int]
    skipped: dict[str, int]


def create_category_dir(
    *,
    input_dir: Path,
    label_file: Path,
    output_dir: Path,
    min_area: float = 0.0,
    remove_truncated: bool = False,
    remove_occluded: bool = False,
    workers: int | None = None,
) -> CategoryDirResult:
    """Crop every labelled object of ``label_file``'s frames (in ``input_dir``) into
    ``output_dir/<category>/<id>_<frame>.jpg``; reruns skip crops that exist. ``workers``:
    processes (None: one per core)."""
    from repair.datasets.bdd import category_dir

    crop_filter = category_dir.CropFilter(min_area, remove_truncated, remove_occluded)
    summary = category_dir.create_category_dir(
        input_dir, label_file, output_dir, crop_filter, workers
    )
    return CategoryDirResult(
        output_dir=output_dir,
        frames=summary.frames,
        crops=summary.crops,
        written=summary.written,
        categories=dict(sorted(summary.categories.items())),
        skipped=dict(sorted(summary.skipped.items())),
    )


def create_image_subset(
    *,
    category_dir: Path,
    output_dir: Path,
    num: int = 1000,
    category_min: int = 0,
    excluded_labels: Sequence[str] = (),
    resize_to: int | None = None,
    info_file: str = "image_info.json",
    random_state: int = 0,
    args: Mapping[str, object] | None = None,
) -> SubsetResult:
    """Sample ``num`` images of ``category_dir`` (each category in proportion to its size, at
    least ``category_min``) into ``output_dir``; ``args`` is recorded in its info file."""
    from repair.datasets.bdd import subset

    return subset.create_image_subset(
        category_dir,
        output_dir,
        num,
        category_min,
        list(excluded_labels),
        random_state,
        resize_to,
        args,
        info_file,
    )
