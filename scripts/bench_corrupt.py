"""Speed of the corruptions (not a test: prints figures).

Times every corruption at every intensity on seeded 32x32x3 images (smoothed noise on the 8-bit
grid, like small photos) in blocks of 1,024 as `repair corrupt` runs them, and prints images
per second per corruption (all five intensities; per wall-clock second, and per second of CPU
time, which other work on a shared machine does not slow), the mean over the common ones (goal:
>= 2,000 images/s on 2 cores) and their overall rate (all images / all time). Then
`repair corrupt --corruptions common` runs end to end on a split file of the same images
(HDF5 reading and writing included).

Usage: python scripts/bench_corrupt.py [--images 2048] [--size 32] [--preset cifar] [--json]
Pin to two cores with `taskset -c 0,1 python scripts/bench_corrupt.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from repair.core.data import write_split
from repair.robustness import COMMON, CORRUPTIONS, corrupt, stratum_rng
from repair.robustness.corrupt_split import block_size, corrupt_split


def sample_images(count: int, size: int) -> np.ndarray:
    noise = np.random.default_rng(0).random((count, size, size, 3))
    smooth = ndimage.uniform_filter(noise, size=(1, 3, 3, 1))
    return (np.round(smooth * 255) / 255).astype(np.float32)


def rate(images: np.ndarray, name: str, preset: str) -> tuple[float, float]:
    """Images per second of ``name`` over its five intensities: per wall-clock second, and per
    second of CPU time of this process (which other work on a shared machine does not slow)."""
    block = block_size(images.shape[1:])
    wall, cpu = time.perf_counter(), time.process_time()
    for intensity in range(1, 6):
        for index, start in enumerate(range(0, len(images), block)):
            rng = stratum_rng(0, name, intensity, index)
            corrupt(images[start : start + block], name, intensity, rng=rng, preset=preset)
    count = 5 * len(images)
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


def end_to_end(images: np.ndarray, preset: str) -> float:
    """Images per second of corrupt_split with the common corruptions, files included."""
    labels = np.arange(len(images)) % 10
    with tempfile.TemporaryDirectory() as folder:
        source = write_split(Path(folder) / "test.h5", images, labels, 10)
        started = time.perf_counter()
        corrupt_split(
            source=source,
            output_dir=Path(folder) / "corrupted",
            corruptions=list(COMMON),
            intensities=[1, 2, 3, 4, 5],
            preset=preset,
            progress=False,
        )
        seconds = time.perf_counter() - started
    return len(COMMON) * 5 * len(images) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--preset", default="cifar", choices=["cifar", "imagenet"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    images = sample_images(args.images, args.size)
    corrupt(images[:8], "fog", 1, rng=stratum_rng(0, "fog", 1, 0), preset=args.preset)  # warm
    measured = {name: rate(images, name, args.preset) for name in CORRUPTIONS}
    rates = {name: wall for name, (wall, _) in measured.items()}
    cpu_rates = {name: cpu for name, (_, cpu) in measured.items()}
    common = np.array([rates[name] for name in COMMON])
    common_cpu = np.array([cpu_rates[name] for name in COMMON])
    result = {
        "images": args.images,
        "shape": [args.size, args.size, 3],
        "preset": args.preset,
        "cores": len(os.sched_getaffinity(0)),
        "load_average": round(os.getloadavg()[0], 1),
        "images_per_s": {name: round(value) for name, value in rates.items()},
        "images_per_cpu_s": {name: round(value) for name, value in cpu_rates.items()},
        "common_mean_images_per_s": round(float(common.mean())),
        "common_mean_images_per_cpu_s": round(float(common_cpu.mean())),
        "common_overall_images_per_s": round(float(len(common) / np.sum(1.0 / common))),
        "end_to_end_common_images_per_s": round(end_to_end(images, args.preset)),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{args.images} images {args.size}x{args.size}x3, preset {args.preset}, "
        f"{result['cores']} cores, load average {result['load_average']}"
    )
    print("| corruption | category | images/s | images per CPU-second |")
    print("|---|---|---|---|")
    for name, value in rates.items():
        tag = "" if name in COMMON else " (extra)"
        category = CORRUPTIONS[name].category
        print(f"| {name}{tag} | {category} | {value:,.0f} | {cpu_rates[name]:,.0f} |")
    print(
        f"mean over the {len(common)} common corruptions: "
        f"{result['common_mean_images_per_s']:,} images/s (goal >= 2,000); per CPU-second "
        f"(not slowed by other work on the machine): {result['common_mean_images_per_cpu_s']:,}"
    )
    print(
        f"overall rate of the common ones (total images / total time): "
        f"{result['common_overall_images_per_s']:,} images/s"
    )
    print(
        f"repair corrupt end to end (common, HDF5 included): "
        f"{result['end_to_end_common_images_per_s']:,} images/s"
    )


if __name__ == "__main__":
    main()
