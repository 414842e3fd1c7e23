"""``create_category_dir``: crop every labelled object of BDD100K frames into a folder per class.

Each frame is decoded once for all its objects, frames are spread over worker processes, and
a rerun skips the crops that already exist (files are written atomically, so one that exists is
complete). Problems with single frames or objects are counted, never fatal.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, ImageStat, UnidentifiedImageError
from tqdm import tqdm

from repair.core.conditions import UNDEFINED
from repair.core.files import atomic_path, is_plain_name, write_json_atomic
from repair.datasets.bdd import BDD_CLASSES
from repair.datasets.bdd.geometry import SquareCrop, box_area, square_crop
from repair.datasets.bdd.labels import FrameLabels, ObjectLabel, iter_frames
from repair.errors import ConfigError, InputNotFoundError

INFO_FILE = "image_info.json"
SUMMARY_FILE = "summary.json"
JPEG_QUALITY = 95
FRAMES_PER_TASK = 8
# Categories of the 2018 BDD100K labels, under their 2020 names.
CATEGORY_ALIASES = {"person": "pedestrian", "bike": "bicycle", "motor": "motorcycle"}


@dataclass(frozen=True)
class CropFilter:
    """Which objects to keep: a minimum box area in pixels, and whether to drop cut-off objects."""

    min_area: float = 0.0
    remove_truncated: bool = False
    remove_occluded: bool = False

    def __post_init__(self) -> None:
        if self.min_area < 0:
            raise ConfigError(f"--min_area must be 0 or more; got {self.min_area}")


@dataclass(frozen=True)
class CropRecord:
    """One crop in ``image_info.json``: file name, class, mean brightness (0-255), box area,
    source frame and that frame's attributes (``undefined`` where the label file has none)."""

    name: str
    label: str
    brightness: float
    area: float
    frame: str
    weather: str = UNDEFINED
    timeofday: str = UNDEFINED
    scene: str = UNDEFINED


@dataclass
class FrameResult:
    records: list[CropRecord] = field(default_factory=list)
    written: int = 0
    skipped: Counter = field(default_factory=Counter)


def crop_name(obj: ObjectLabel, frame_name: str) -> str:
    """``{id}_{frame stem}.jpg``: unique per object, and names the frame it came from."""
    return f"{obj.id}_{Path(frame_name).stem}.jpg"


def cut_square(frame: Image.Image, crop: SquareCrop) -> Image.Image:
    """The ``crop.side``-pixel square of ``frame``, padded with black where it leaves the frame."""
    region = frame.crop((crop.left, crop.top, crop.right, crop.bottom))
    if not crop.padded:
        return region
    square = Image.new("RGB", (crop.side, crop.side))
    square.paste(region, (crop.pad_left, crop.pad_top))
    return square


def _brightness(image: Image.Image) -> float:
    return round(ImageStat.Stat(image.convert("L")).mean[0], 3)


def _wanted(
    frame: FrameLabels, crop_filter: CropFilter, skipped: Counter
) -> list[tuple[ObjectLabel, str]]:
    """The objects of ``frame`` to crop, with their class; counts the others in ``skipped``."""
    wanted = []
    for obj in frame.objects:
        category = CATEGORY_ALIASES.get(obj.category, obj.category)
        if not is_plain_name(obj.id):
            skipped["unsafe object id"] += 1  # '../x' or '/x' would write outside the folder
        elif obj.box is None:
            skipped["object without box2d"] += 1
        elif category not in BDD_CLASSES:
            skipped["unknown category"] += 1
        elif box_area(obj.box) == 0:
            skipped["box of zero area"] += 1
        elif (
            box_area(obj.box) < crop_filter.min_area
            or (crop_filter.remove_truncated and obj.truncated)
            or (crop_filter.remove_occluded and obj.occluded)
        ):
            skipped["filtered out"] += 1
        else:
            wanted.append((obj, category))
    return wanted


def crop_frame(
    frame: FrameLabels, image_dir: Path, output_dir: Path, crop_filter: CropFilter
) -> FrameResult:
    """Crop the wanted objects of one frame; the frame is decoded only if a crop is missing."""
    result = FrameResult()
    if not frame.objects:
        result.skipped["frame without labels"] += 1
        return result
    if not is_plain_name(frame.name):
        result.skipped["unsafe frame name"] += 1  # never read outside the image folder
        return result
    wanted = _wanted(frame, crop_filter, result.skipped)
    targets = [(obj, cat, output_dir / cat / crop_name(obj, frame.name)) for obj, cat in wanted]
    image = None
    if any(not path.exists() for _, _, path in targets):
        try:
            with Image.open(image_dir / frame.name) as opened:
                image = opened.convert("RGB")
        except FileNotFoundError:
            result.skipped["missing frame file"] += 1
            return result
        except (UnidentifiedImageError, OSError):
            result.skipped["unreadable JPEG"] += 1
            return result
    for obj, category, path in targets:
        if not path.exists():
            crop = square_crop(obj.box, image.width, image.height)
            if crop is None:
                result.skipped["box outside the frame"] += 1
                continue
            with atomic_path(path) as tmp:
                cut_square(image, crop).save(tmp, format="JPEG", quality=JPEG_QUALITY)
            result.written += 1
        # Measured on the saved JPEG, so that a resumed run reports the same value.
        with Image.open(path) as saved:
            brightness = _brightness(saved)
        area = round(box_area(obj.box), 2)
        result.records.append(
            CropRecord(path.name, category, brightness, area, frame.name, **frame.attributes)
        )
    return result


def _crop_frames(
    frames: list[FrameLabels], image_dir: Path, output_dir: Path, crop_filter: CropFilter
) -> list[FrameResult]:
    return [crop_frame(frame, image_dir, output_dir, crop_filter) for frame in frames]


def _batched(frames: Iterable[FrameLabels], size: int) -> Iterator[list[FrameLabels]]:
    iterator = iter(frames)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@dataclass
class CategoryDirSummary:
    frames: int = 0
    crops: int = 0
    written: int = 0
    categories: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "crops": self.crops,
            "written": self.written,
            "categories": dict(sorted(self.categories.items())),
            "skipped": dict(sorted(self.skipped.items())),
        }

    def add(self, result: FrameResult) -> None:
        self.frames += 1
        self.crops += len(result.records)
        self.written += result.written
        self.categories.update(record.label for record in result.records)
        self.skipped.update(result.skipped)


def _results(
    frames: Iterable[FrameLabels],
    image_dir: Path,
    output_dir: Path,
    crop_filter: CropFilter,
    workers: int,
) -> Iterator[list[FrameResult]]:
    """Results per task of ``FRAMES_PER_TASK`` frames, in label-file order. At most
    ``4 * workers`` tasks are in flight, so memory does not grow with the label file."""
    tasks = _batched(frames, FRAMES_PER_TASK)
    if workers == 1:
        for task in tasks:
            yield _crop_frames(task, image_dir, output_dir, crop_filter)
        return
    with ProcessPoolExecutor(workers) as pool:
        pending: deque[Future[list[FrameResult]]] = deque()
        for task in tasks:
            pending.append(pool.submit(_crop_frames, task, image_dir, output_dir, crop_filter))
            if len(pending) >= 4 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def create_category_dir(
    image_dir: Path,
    label_file: Path,
    output_dir: Path,
    crop_filter: CropFilter | None = None,
    workers: int | None = None,
) -> CategoryDirSummary:
    """Crop the objects of every frame of ``label_file`` into ``output_dir/<category>/``.

    ``workers``: processes (None: one per core). Writes ``output_dir/image_info.json`` (one
    record per crop, streamed to a temporary file that is renamed at the end) and
    ``summary.json`` (counts per category and per reason a frame or object was skipped).
    """
    if not image_dir.is_dir():
        raise InputNotFoundError(f"image folder not found: {image_dir}")
    frames = iter_frames(label_file)
    crop_filter = crop_filter or CropFilter()
    workers = max(1, workers or os.cpu_count() or 1)
    summary = CategoryDirSummary()
    output_dir.mkdir(parents=True, exist_ok=True)
    with (
        atomic_path(output_dir / INFO_FILE) as info_path,
        open(info_path, "w", encoding="utf-8") as info,
        tqdm(desc="frames", unit="frame", leave=False) as bar,
    ):
        separator = "[\n "
        for results in _results(frames, image_dir, output_dir, crop_filter, workers):
            for result in results:
                for record in result.records:
                    info.write(separator + json.dumps(asdict(record), ensure_ascii=False))
                    separator = ",\n "
                summary.add(result)
            bar.update(len(results))
            rate = summary.crops / max(bar.format_dict["elapsed"], 1e-9)
            bar.set_postfix(crops=summary.crops, crops_per_s=f"{rate:.0f}")
        info.write("[]\n" if separator.startswith("[") else "\n]\n")
    write_json_atomic(output_dir / SUMMARY_FILE, summary.to_dict())
    return summary
