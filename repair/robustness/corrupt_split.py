"""Corrupt a split file into one split file per (corruption, intensity) stratum.

The I/O edge of the robustness package: reads the source in blocks, applies every requested
corruption at every intensity to each block, and appends the results to
``<corruption>_<intensity>.h5`` files that appear only when complete (atomic writes).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.data import SplitInfo, SplitReader, SplitWriter
from repair.errors import ConfigError
from repair.robustness.corruptions import (
    check_intensity,
    check_preset,
    corrupt,
    get_corruption,
    stratum_rng,
)
from repair.robustness.keys import CORRUPTION_KEY, INTENSITY_KEY, SOURCE_INDEX_KEY

# Values per block: 1,024 images of 32x32x3, fewer of larger ones (bounded memory). The block
# is part of each generator's seed, so it depends on the image shape only, never on options.
BLOCK_VALUES = 1024 * 32 * 32 * 3


def stratum_file(name: str, intensity: int) -> str:
    """The file name of one stratum: ``fog_3.h5``."""
    return f"{name}_{intensity}.h5"


def block_size(image_shape: tuple[int, ...]) -> int:
    """Images per block for images of ``image_shape`` (H, W, C)."""
    return max(1, min(1024, BLOCK_VALUES // int(np.prod(image_shape))))


@dataclass
class StratumFile:
    corruption: str
    category: str
    intensity: int
    path: Path


@dataclass
class CorruptSummary:
    """What :func:`corrupt_split` wrote."""

    source: Path
    output_dir: Path
    preset: str
    random_state: int
    info: SplitInfo | None = None
    files: list[StratumFile] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "source": str(self.source),
            "output_dir": str(self.output_dir),
            "preset": self.preset,
            "random_state": self.random_state,
            "images": self.info.num_samples if self.info else 0,
            "seconds": round(self.seconds, 3),
            "files": [
                {
                    "corruption": f.corruption,
                    "category": f.category,
                    "intensity": f.intensity,
                    "path": str(f.path),
                }
                for f in self.files
            ],
        }


def _extra_kinds(reader: SplitReader) -> dict[str, object]:
    kinds: dict[str, object] = dict(reader.extra_dtypes())
    kinds.update({CORRUPTION_KEY: str, INTENSITY_KEY: np.int64, SOURCE_INDEX_KEY: np.int64})
    return kinds


def corrupt_split(
    *,
    source: Path,
    output_dir: Path,
    corruptions: list[str],
    intensities: list[int],
    preset: str = "cifar",
    random_state: int = 0,
    progress: bool = True,
) -> CorruptSummary:
    """Write ``output_dir/<corruption>_<intensity>.h5`` for every pair asked for.

    Each file keeps the source's labels, class names, ids and extra per-image keys, and adds
    ``corruption``, ``intensity`` and ``source_index`` (the row in ``source``) per image. The
    same ``random_state`` gives the same files; a file appears only once it is complete.
    """
    for name in corruptions:
        get_corruption(name)
    for intensity in intensities:
        check_intensity(intensity)
    strata = [(name, intensity) for name in corruptions for intensity in intensities]
    if not strata:
        raise ConfigError("nothing to write: give at least one corruption and one intensity")
    summary = CorruptSummary(Path(source), Path(output_dir), preset, random_state)
    started = time.perf_counter()
    with SplitReader(source) as reader:
        info = summary.info = reader.info
        check_preset(preset, info.image_shape)
        paths = {stratum: Path(output_dir) / stratum_file(*stratum) for stratum in strata}
        if any(path.resolve() == reader.path.resolve() for path in paths.values()):
            raise ConfigError(f"--output_dir would overwrite the source file {reader.path}")
        kinds = _extra_kinds(reader)
        block = block_size(info.image_shape)
        with (
            ExitStack() as stack,
            tqdm(
                total=len(reader) * len(strata), desc="corrupt", unit="img", disable=not progress
            ) as bar,
        ):
            writers = {
                stratum: stack.enter_context(
                    SplitWriter(
                        paths[stratum],
                        info.image_shape,
                        info.num_classes,
                        info.class_names,
                        with_ids=info.has_ids,
                        extras=kinds,
                    )
                )
                for stratum in strata
            }
            for index, batch in enumerate(reader.batches(block)):
                rows = np.arange(batch.start, batch.start + len(batch), dtype=np.int64)
                for (name, intensity), writer in writers.items():
                    rng = stratum_rng(random_state, name, intensity, index)
                    images = corrupt(batch.images, name, intensity, rng=rng, preset=preset)
                    extras = dict(batch.extras)
                    extras[CORRUPTION_KEY] = [name] * len(batch)
                    extras[INTENSITY_KEY] = np.full(len(batch), intensity, dtype=np.int64)
                    extras[SOURCE_INDEX_KEY] = rows
                    writer.append(
                        images, batch.labels, batch.image_ids, batch.attribute_ids, extras
                    )
                    bar.update(len(batch))
    summary.files = [
        StratumFile(name, get_corruption(name).category, intensity, paths[(name, intensity)])
        for name, intensity in strata
    ]
    summary.seconds = time.perf_counter() - started
    return summary
