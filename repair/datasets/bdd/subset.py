"""``create_image_subset``: sample a class-balanced subset of a category folder into one folder.

Each kept category gets a share of ``num`` proportional to its size, at least ``category_min``
and at most all it has; the choice is reproducible for a given seed.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ijson
import numpy as np
from PIL import Image
from tqdm import tqdm

from repair.core.conditions import FRAME_ATTRIBUTES, UNDEFINED
from repair.core.files import atomic_path, is_plain_name, write_json_atomic
from repair.datasets.bdd import BDD_CLASSES
from repair.datasets.bdd.category_dir import INFO_FILE
from repair.datasets.preprocess import open_rgb, parallel_map
from repair.errors import ConfigError, DataFormatError, InputNotFoundError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def is_image_name(name: str) -> bool:
    """An image, not a hidden file (a killed atomic write can leave ``.name.tmp-PID.jpg``)."""
    return not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES


def category_files(category_dir: Path) -> dict[str, list[str]]:
    """File names of the images in each sub-folder of ``category_dir``, sorted."""
    if not category_dir.is_dir():
        raise InputNotFoundError(f"category folder not found: {category_dir}")
    found = {
        folder.name: sorted(p.name for p in folder.iterdir() if is_image_name(p.name))
        for folder in sorted(category_dir.iterdir())
        if folder.is_dir() and not folder.name.startswith(".")
    }
    found = {name: files for name, files in found.items() if files}
    if not found:
        raise DataFormatError(f"no category sub-folders with images in {category_dir}")
    return found


def sample_counts(sizes: Mapping[str, int], num: int, category_min: int) -> dict[str, int]:
    """How many images to take per category: ``num * size / total`` rounded, then bounded
    below by ``category_min`` and above by the category's size."""
    total = sum(sizes.values())
    return {
        name: int(min(size, max(round(num * size / total), category_min)))
        for name, size in sizes.items()
    }


def check_excluded(excluded: Sequence[str], present: Sequence[str]) -> None:
    """Every excluded label must be a BDD class or a category that is present."""
    valid = sorted(set(BDD_CLASSES) | set(present))
    unknown = [label for label in excluded if label not in valid]
    if unknown:
        raise ConfigError(
            f"--excluded_labels names unknown label '{unknown[0]}'. Valid labels: "
            + ", ".join(valid)
        )


def check_unique_names(chosen: Sequence[tuple[str, str]]) -> None:
    """The output folder is flat: two categories holding the same file name would collide."""
    labels: dict[str, str] = {}
    for label, name in chosen:
        if labels.setdefault(name, label) != label:
            raise DataFormatError(
                f"'{name}' is in both {labels[name]}/ and {label}/ of the category folder; "
                "the flat output folder needs unique file names"
            )


def choose(
    files: Mapping[str, Sequence[str]], counts: Mapping[str, int], seed: int | None
) -> list[tuple[str, str]]:
    """(label, file name) pairs: ``counts[label]`` distinct files of each label, drawn with one
    generator seeded by ``seed`` (same seed and folder, same subset), kept in name order."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label, names in files.items():
        picks = np.sort(rng.choice(len(names), size=counts[label], replace=False))
        chosen += [(label, names[k]) for k in picks]
    return chosen


@dataclass(frozen=True)
class SubsetResult:
    counts: dict[str, int]
    images: list[dict[str, str]]


def crop_sources(category_dir: Path, names: set[str] | None = None) -> dict[str, dict[str, str]]:
    """Crop name -> its source frame and the frame's attributes (``frame``, ``weather``,
    ``timeofday``, ``scene``; ``undefined`` where unknown) for ``names`` (None: every crop),
    streamed from create_category_dir's image_info.json (which lists every crop, millions for
    the train frames) when present."""
    info = category_dir / INFO_FILE
    if not info.is_file():
        return {}
    sources = {}
    try:
        with open(info, "rb") as stream:
            for record in ijson.items(stream, "item"):
                if names is None or record["name"] in names:
                    sources[record["name"]] = crop_source(record)
    except (ijson.JSONError, TypeError, KeyError, AttributeError):
        raise DataFormatError(f"{info} is not an image_info.json of create_category_dir") from None
    return sources


def crop_source(record: Mapping[str, object]) -> dict[str, str]:
    """``frame`` and the frame attributes of one image_info.json record."""
    source = {"frame": str(record.get("frame") or "")}
    for key in FRAME_ATTRIBUTES:
        value = record.get(key)
        source[key] = UNDEFINED if value is None or value == "" else str(value)
    return source


def _copy(source: Path, target: Path, resize_to: int | None) -> None:
    with atomic_path(target) as tmp:
        if resize_to is None:
            shutil.copyfile(source, tmp)
            return
        image = open_rgb(source, context=" in the category folder")
        resized = image.resize((resize_to, resize_to), Image.Resampling.LANCZOS)
        resized.save(tmp, format="JPEG", quality=95)


def create_image_subset(
    category_dir: Path,
    output_dir: Path,
    num: int,
    category_min: int = 0,
    excluded_labels: Sequence[str] = (),
    random_state: int | None = 0,
    resize_to: int | None = None,
    args: Mapping[str, object] | None = None,
    info_file: str = INFO_FILE,
) -> SubsetResult:
    """Copy (or resize) the sampled images into ``output_dir`` and write its image_info.json.

    Files already in ``output_dir`` are kept; image_info.json lists exactly this subset.
    """
    if num < 1:
        raise ConfigError(f"--num must be a positive integer; got {num}")
    if not is_plain_name(info_file):
        raise ConfigError(f"--info_file must be a plain file name; got {info_file!r}")
    files = category_files(category_dir)
    if output_dir.resolve().is_relative_to(category_dir.resolve()):
        raise ConfigError(f"--output_dir must not be --category_dir or in it; got {output_dir}")
    check_excluded(excluded_labels, list(files))
    kept = {name: names for name, names in files.items() if name not in excluded_labels}
    if not kept:
        raise ConfigError("--excluded_labels leaves no category to sample")
    counts = sample_counts({name: len(names) for name, names in kept.items()}, num, category_min)
    chosen = choose(kept, counts, random_state)
    check_unique_names(chosen)
    sources = crop_sources(category_dir, {name for _, name in chosen})
    output_dir.mkdir(parents=True, exist_ok=True)
    with tqdm(total=len(chosen), desc="copy", unit="img", leave=False) as bar:

        def copy(item: tuple[str, str]) -> None:
            _copy(category_dir / item[0] / item[1], output_dir / item[1], resize_to)
            bar.update()

        parallel_map(copy, chosen)
    images = [{"name": n, "label": label, **sources.get(n, crop_source({}))} for label, n in chosen]
    result = SubsetResult(counts, images)
    write_json_atomic(
        output_dir / info_file,
        {"args": dict(args or {}), "results": counts, "images": images},
    )
    return result


def format_counts(counts: Mapping[str, int]) -> str:
    """The ``| label | num |`` table with a total row."""
    lines = ["| label | num |", "|---|---|"]
    lines += [f"| {label} | {n} |" for label, n in counts.items()]
    lines.append(f"| total | {sum(counts.values())} |")
    return "\n".join(lines)
