"""Benchmark the BDD100K pipeline: cropping frames and packing crops into HDF5.

Generates BDD-like 1280x720 JPEG frames with about 18 boxes each and their label JSON, then
times `create_category_dir` (frames/s, crops/s) and `prepare bdd-objects` (crops/s), and
reports the split files' bytes per image and how fast they read back.
The reference toolkit crops about 1.4 frames/s and packs about 100 crops/s.

    python scripts/bench_bdd.py [--frames 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from repair.core.data import SplitReader
from repair.datasets.bdd.category_dir import create_category_dir
from repair.datasets.bdd.objects import BddObjectsDataset, BddObjectsOptions
from repair.datasets.bdd.synthetic import write_frames
from repair.datasets.packing import pack_dataset

REFERENCE_FRAMES_PER_S = 1.4
REFERENCE_PACK_CROPS_PER_S = 100.0
TARGET_FRAMES_PER_S = 20.0
TARGET_PACK_CROPS_PER_S = 1000.0
MAX_SIZE_RATIO = 1.2  # split file bytes over raw pixel bytes (issue 9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        write_frames(
            root / "frames", root / "det.json", args.frames, objects_per_frame=18, realistic=True
        )
        size_kb = sum(p.stat().st_size for p in (root / "frames").iterdir()) / args.frames / 1024
        print(
            f"generated {args.frames} frames in {time.perf_counter() - started:.1f}s "
            f"({size_kb:.0f} KB each on average)"
        )

        started = time.perf_counter()
        summary = create_category_dir(
            root / "frames", root / "det.json", root / "categories", workers=args.workers
        )
        crop_s = time.perf_counter() - started
        frames_per_s = summary.frames / crop_s
        print(
            f"create_category_dir: {summary.frames} frames, {summary.crops} crops in "
            f"{crop_s:.2f}s = {frames_per_s:.1f} frames/s, {summary.crops / crop_s:.0f} crops/s "
            f"(target {TARGET_FRAMES_PER_S:.0f} frames/s; "
            f"{frames_per_s / REFERENCE_FRAMES_PER_S:.0f}x the reference's 1.4)"
        )

        options = BddObjectsOptions(single_dir=False, image_size=32, workers=args.workers)
        started = time.perf_counter()
        splits = pack_dataset(
            BddObjectsDataset(root / "categories", options),
            root / "data",
            [0.5, 0.2, 0.3, 0.0],
            seed=3,
        )
        pack_s = time.perf_counter() - started
        packed = sum(split.shape[0] for split in splits)
        pack_rate = packed / pack_s
        print(
            f"prepare bdd-objects: {packed} crops in {pack_s:.2f}s = {pack_rate:.0f} crops/s "
            f"(target {TARGET_PACK_CROPS_PER_S:.0f}; "
            f"{pack_rate / REFERENCE_PACK_CROPS_PER_S:.0f}x the reference's 100)"
        )
        file_bytes = sum(split.path.stat().st_size for split in splits)
        raw_bytes = sum(4 * int(np.prod(split.shape)) for split in splits)
        print(
            f"split files: {file_bytes / packed:.0f} bytes per image "
            f"({file_bytes / raw_bytes:.2f}x the raw float32 pixels, "
            f"{raw_bytes / packed:.0f} bytes per image; bound {MAX_SIZE_RATIO}x)"
        )
        started = time.perf_counter()
        for split in splits:
            with SplitReader(split.path) as reader:
                for _ in reader.batches(256):
                    pass
        read_s = time.perf_counter() - started
        print(f"reading the splits back: {packed / read_s:.0f} images/s")


if __name__ == "__main__":
    main()
