"""Cut a split into consecutive chunks, ``<output_dir>/<k>/repair.h5``, for iterative repair.

The tutorial's repair cycle repairs on one chunk of new data per iteration. Chunks keep the
samples' order, their ids, their extra per-image keys (frame conditions, corruption strata) and
the class names; each is written in batches and atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repair.core.data import SplitReader, SplitWriter
from repair.core.run_files import SPLIT_FILENAME
from repair.errors import ConfigError

READ_BATCH = 4096


@dataclass(frozen=True)
class Chunk:
    """Chunk ``index`` holds samples ``start`` to ``stop`` (exclusive) of the source."""

    index: int
    start: int
    stop: int
    path: Path

    @property
    def size(self) -> int:
        return self.stop - self.start


def plan_chunks(num_samples: int, chunk_size: int, num_chunks: int | None) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk: ``num_chunks`` of ``chunk_size`` (all if None).

    The last chunk may be short; chunks stop where the data does.
    """
    if chunk_size < 1:
        raise ConfigError(f"--chunk_size must be a positive integer; got {chunk_size}")
    if num_chunks is not None and num_chunks < 1:
        raise ConfigError(f"--num_chunks must be a positive integer; got {num_chunks}")
    starts = range(0, num_samples, chunk_size)
    if num_chunks is not None:
        starts = starts[:num_chunks]
    return [(start, min(start + chunk_size, num_samples)) for start in starts]


def _copy_range(reader: SplitReader, start: int, stop: int, path: Path) -> None:
    info = reader.info
    with SplitWriter.copying(path, info, reader.extra_dtypes()) as writer:
        for first in range(start, stop, READ_BATCH):
            writer.append_batch(reader.read(first, min(first + READ_BATCH, stop)))


def split_into_chunks(
    source: str | Path, output_dir: str | Path, chunk_size: int, num_chunks: int | None = None
) -> list[Chunk]:
    """Write ``output_dir/<k>/repair.h5`` for each chunk of ``source`` and return the chunks."""
    output_dir = Path(output_dir)
    chunks = []
    with SplitReader(source) as reader:
        for index, (start, stop) in enumerate(
            plan_chunks(reader.info.num_samples, chunk_size, num_chunks)
        ):
            path = output_dir / str(index) / SPLIT_FILENAME
            _copy_range(reader, start, stop, path)
            chunks.append(Chunk(index, start, stop, path))
    return chunks


def stale_chunks(output_dir: str | Path, written: int) -> list[Path]:
    """Chunk folders numbered ``written`` or above, left from an earlier, longer split."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return []
    numbered = [p for p in output_dir.iterdir() if p.is_dir() and p.name.isdigit()]
    return sorted((p for p in numbered if int(p.name) >= written), key=lambda p: int(p.name))
