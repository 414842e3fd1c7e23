"""Shuffle a dataset's index, split it by ratios and write each split in chunks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.data import SplitWriter
from repair.core.data.format import SPLIT_NAMES
from repair.core.resources import available_memory
from repair.core.staging import staged
from repair.datasets.base import DatasetPlugin, SampleIndex
from repair.errors import ConfigError, DataFormatError

CHUNK = 512
PREPARE_COMMAND = "prepare"
LOAD_BUDGET = 512 * 1024 * 1024


def check_ratios(ratios: Sequence[float]) -> None:
    """Four non-negative ratios (train, val, test, repair) summing to 1, with float tolerance."""
    if len(ratios) != len(SPLIT_NAMES):
        raise ConfigError(f"--data_ratio needs 4 numbers (train,val,test,repair); got {ratios}")
    if any(r < 0 for r in ratios) or not math.isclose(sum(ratios), 1.0, abs_tol=1e-6):
        raise ConfigError(f"--data_ratio must be non-negative and sum to 1; got {list(ratios)}")


def split_positions(
    num_samples: int, ratios: Sequence[float], seed: int | None
) -> dict[str, np.ndarray]:
    """Shuffle ``range(num_samples)`` and cut it by ``ratios``; splits of ratio 0 are left out.

    Boundaries are rounded cumulative sums, so the parts always add up to ``num_samples``.
    """
    check_ratios(ratios)
    order = np.random.default_rng(seed).permutation(num_samples)
    bounds = np.round(np.cumsum([0.0, *ratios]) * num_samples).astype(int)
    bounds[-1] = num_samples
    return {
        name: order[bounds[k] : bounds[k + 1]]
        for k, name in enumerate(SPLIT_NAMES)
        if ratios[k] > 0
    }


def source_of(plugin: DatasetPlugin) -> str:
    """What a split is made from: the dataset and its input folder. A rerun from the same
    source replaces the splits the last one wrote (a split of ratio 0 goes); splits prepared
    from another source into the same folder stay."""
    folder = "" if plugin.input_dir is None else str(Path(plugin.input_dir).resolve())
    return f"{plugin.name}:{folder}"


def fitting_chunk(sample: np.ndarray, chunk_size: int) -> int:
    """Images loaded at once: at most ``chunk_size``, fewer when large images (``sample`` is
    one, (1, H, W, C)) would take more than LOAD_BUDGET or an eighth of the free memory."""
    budget = min(LOAD_BUDGET, available_memory() // 8)
    # The plugin's array and the writer's float32 copy exist at the same time.
    return int(max(1, min(chunk_size, budget // max(1, 2 * sample.nbytes))))


@dataclass(frozen=True)
class WrittenSplit:
    name: str
    path: Path
    shape: tuple[int, ...]
    num_classes: int


def pack_dataset(
    plugin: DatasetPlugin,
    output_dir: Path,
    ratios: Sequence[float],
    seed: int | None,
    chunk_size: int = CHUNK,
) -> list[WrittenSplit]:
    """Write ``<split>.h5`` files into ``output_dir`` for every split with a ratio above 0.

    The whole set is written in a staging folder and swapped in at the end (see
    :mod:`repair.core.staging`): a killed run leaves the previous set intact, and a split of ratio
    0 that the previous run wrote is removed, so no folder mixes splits of two runs.
    """
    index = plugin.index()
    if len(index) == 0:
        raise DataFormatError(f"dataset '{plugin.name}' found no samples in {plugin.input_dir}")
    with staged(output_dir, PREPARE_COMMAND, source=source_of(plugin)) as staging:
        return _write_splits(plugin, index, staging, output_dir, ratios, seed, chunk_size)


def _write_splits(
    plugin: DatasetPlugin,
    index: SampleIndex,
    staging: Path,
    output_dir: Path,
    ratios: Sequence[float],
    seed: int | None,
    chunk_size: int,
) -> list[WrittenSplit]:
    written = []
    chunk_size = fitting_chunk(plugin.load(np.array([0])), chunk_size)
    for name, positions in split_positions(len(index), ratios, seed).items():
        if len(positions) == 0:
            continue
        path = staging / f"{name}.h5"
        chunks = [
            np.sort(positions[s : s + chunk_size]) for s in range(0, len(positions), chunk_size)
        ]
        first_images = plugin.load(chunks[0])
        with (
            SplitWriter(
                path,
                first_images.shape[1:],
                len(index.class_names),
                index.class_names,
                with_ids=index.image_ids is not None,
                extras=dict.fromkeys(index.extras, str),
            ) as writer,
            tqdm(total=len(positions), desc=f"{name}.h5", unit="img", leave=False) as bar,
        ):
            for number, chunk in enumerate(chunks):
                images = first_images if number == 0 else plugin.load(chunk)
                writer.append(
                    images,
                    index.labels[chunk],
                    None if index.image_ids is None else index.image_ids[chunk],
                    None if index.attribute_ids is None else index.attribute_ids[chunk],
                    {key: values[chunk] for key, values in index.extras.items()},
                )
                bar.update(len(chunk))
        written.append(
            WrittenSplit(
                name,
                output_dir / path.name,
                (writer.count, *writer.image_shape),
                writer.num_classes,
            )
        )
    return written
