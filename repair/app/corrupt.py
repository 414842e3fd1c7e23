"""``corrupt`` as a keyword-only function: corrupted copies of a split, one file per stratum."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from repair.robustness.corrupt_split import CorruptSummary


def corrupt(
    *,
    source: Path,
    output_dir: Path,
    corruptions: str | Sequence[str] = "common",
    intensities: str | Sequence[int] = "1-5",
    preset: str = "cifar",
    random_state: int = 0,
    progress: bool = True,
) -> CorruptSummary:
    """Write ``output_dir/<corruption>_<intensity>.h5`` for every corruption and intensity.

    ``corruptions``: ``common``, ``all``, a comma-separated string or a list of names;
    ``intensities``: ``1-5``, ``1,3,5`` or a list of ints. Unknown names and intensities
    outside 1-5 raise ConfigError.
    """
    from repair.robustness.corrupt_split import corrupt_split
    from repair.robustness.corruptions import parse_intensities, resolve_names

    names = resolve_names(corruptions if isinstance(corruptions, str) else ",".join(corruptions))
    levels = (
        parse_intensities(intensities)
        if isinstance(intensities, str)
        else parse_intensities(",".join(str(level) for level in intensities))
    )
    return corrupt_split(
        source=Path(source),
        output_dir=Path(output_dir),
        corruptions=names,
        intensities=levels,
        preset=preset,
        random_state=random_state,
        progress=progress,
    )
