"""GTSRB, the German Traffic Sign Recognition Benchmark (43 classes), from its official files.

Layout of the three official zips unpacked into one folder (``--input_dir``, or its ``GTSRB/``):

    Final_Training/Images/00000/GT-00000.csv, 00000_00000.ppm, ...   (one folder per class)
    Final_Test/Images/00000.ppm, ...
    GT-final_test.csv                                                 (test ground truth)

The CSV files are ``;``-separated: ``Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId``.
As in the reference toolkit, each image is cut to its central square (or, with ``--roi``, to the
annotated sign), resized to ``--image_size`` and its HSV value channel equalised.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from repair.core.files import check_plain_name
from repair.datasets.base import DatasetPlugin, SampleIndex
from repair.datasets.preprocess import (
    centre_square,
    check_image_size,
    check_subset,
    check_workers,
    open_rgb,
    parallel_map,
    to_array,
)
from repair.errors import DataFormatError, InputNotFoundError

GTSRB_CLASSES: tuple[str, ...] = (
    "Speed limit (20km/h)",
    "Speed limit (30km/h)",
    "Speed limit (50km/h)",
    "Speed limit (60km/h)",
    "Speed limit (70km/h)",
    "Speed limit (80km/h)",
    "End of speed limit (80km/h)",
    "Speed limit (100km/h)",
    "Speed limit (120km/h)",
    "No passing",
    "No passing for vehicles over 3.5 metric tons",
    "Right-of-way at the next intersection",
    "Priority road",
    "Yield",
    "Stop",
    "No vehicles",
    "Vehicles over 3.5 metric tons prohibited",
    "No entry",
    "General caution",
    "Dangerous curve to the left",
    "Dangerous curve to the right",
    "Double curve",
    "Bumpy road",
    "Slippery road",
    "Road narrows on the right",
    "Road work",
    "Traffic signals",
    "Pedestrians",
    "Children crossing",
    "Bicycles crossing",
    "Beware of ice/snow",
    "Wild animals crossing",
    "End of all speed and passing limits",
    "Turn right ahead",
    "Turn left ahead",
    "Ahead only",
    "Go straight or right",
    "Go straight or left",
    "Keep right",
    "Keep left",
    "Roundabout mandatory",
    "End of no passing",
    "End of no passing by vehicles over 3.5 metric tons",
)
TRAIN_IMAGES = Path("Final_Training/Images")
TEST_IMAGES = Path("Final_Test/Images")
TEST_CSV = "GT-final_test.csv"
COLUMNS = ("Filename", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId")


@dataclass(frozen=True)
class GtsrbOptions:
    subset: str = field(
        default="all",
        metadata={"help": "Official images to read: train, test or all (both, then split)."},
    )
    image_size: int = field(default=32, metadata={"help": "Side of the square images."})
    equalize: bool = field(
        default=True, metadata={"help": "Equalise the HSV value channel's histogram."}
    )
    roi: bool = field(
        default=False,
        metadata={"help": "Crop to the annotated sign (Roi.*) instead of the central square."},
    )
    workers: int = field(default=0, metadata={"help": "Decoding threads (0: one per core)."})

    def __post_init__(self) -> None:
        check_subset(self.subset)
        check_image_size(self.image_size)
        check_workers(self.workers)


@dataclass(frozen=True)
class Sample:
    """One annotated image: its file, class and sign box (x1, y1, x2, y2), and which part."""

    path: Path
    label: int
    roi: tuple[int, int, int, int]
    part: str


def find_root(input_dir: Path) -> Path:
    """``input_dir`` or its ``GTSRB`` folder, whichever holds Final_Training or Final_Test."""
    for root in (input_dir, input_dir / "GTSRB"):
        if (root / "Final_Training").is_dir() or (root / "Final_Test").is_dir():
            return root
    raise InputNotFoundError(
        f"no GTSRB files in {input_dir}: expected {TRAIN_IMAGES}/<class>/GT-<class>.csv and "
        f"{TEST_IMAGES} (from GTSRB_Final_Training_Images.zip and GTSRB_Final_Test_Images.zip)"
    )


def read_annotations(csv_path: Path, image_dir: Path, part: str) -> list[Sample]:
    """The rows of one GTSRB annotation CSV as samples whose files are in ``image_dir``."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream, delimiter=";")
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                raise DataFormatError(
                    f"{csv_path} has no column {missing[0]}; a GTSRB annotation file has "
                    f"{';'.join(COLUMNS)} (separated by ';')"
                )
            rows = list(reader)
        samples = [
            Sample(
                image_dir / check_plain_name(row["Filename"], f"{csv_path} (Filename)"),
                int(row["ClassId"]),
                (int(row["Roi.X1"]), int(row["Roi.Y1"]), int(row["Roi.X2"]), int(row["Roi.Y2"])),
                part,
            )
            for row in rows
        ]
    except DataFormatError:
        raise
    except (ValueError, TypeError) as error:
        raise DataFormatError(f"{csv_path} is not a GTSRB annotation file: {error}") from None
    inverted = [s for s in samples if s.roi[2] < s.roi[0] or s.roi[3] < s.roi[1] or min(s.roi) < 0]
    if inverted:
        x1, y1, x2, y2 = inverted[0].roi
        raise DataFormatError(
            f"{csv_path}: the sign box of {inverted[0].path.name} is inverted or negative "
            f"(Roi.X1={x1}, Roi.Y1={y1}, Roi.X2={x2}, Roi.Y2={y2}; needs 0 <= X1 <= X2, "
            "0 <= Y1 <= Y2)"
        )
    bad = [s.label for s in samples if not 0 <= s.label < len(GTSRB_CLASSES)]
    if bad:
        raise DataFormatError(f"{csv_path}: ClassId {bad[0]} is not in 0-42")
    return samples


def training_samples(root: Path) -> list[Sample]:
    """Every row of ``Final_Training/Images/<class>/GT-<class>.csv``, class by class."""
    images = root / TRAIN_IMAGES
    folders = sorted(p for p in images.iterdir() if p.is_dir()) if images.is_dir() else []
    if not folders:
        raise InputNotFoundError(f"no class folders in {images} (GTSRB_Final_Training_Images.zip)")
    samples = []
    for folder in folders:
        csv_path = folder / f"GT-{folder.name}.csv"
        if not csv_path.is_file():
            raise InputNotFoundError(f"missing annotation file {csv_path}")
        samples += read_annotations(csv_path, folder, "train")
    return samples


def official_test_samples(root: Path) -> list[Sample]:
    """The rows of ``GT-final_test.csv`` (from GTSRB_Final_Test_GT.zip) over Final_Test/Images."""
    images = root / TEST_IMAGES
    if not images.is_dir():
        raise InputNotFoundError(f"missing {images} (GTSRB_Final_Test_Images.zip)")
    for candidate in (root / TEST_CSV, root.parent / TEST_CSV, images / TEST_CSV):
        if candidate.is_file():
            return read_annotations(candidate, images, "test")
    raise InputNotFoundError(
        f"missing {root / TEST_CSV}: the test labels come from GTSRB_Final_Test_GT.zip "
        f"(or use --subset=train)"
    )


def load_sign(sample: Sample, size: int, equalize: bool, roi: bool) -> np.ndarray:
    """One image as (size, size, 3) float32 in [0, 1]."""
    image = open_rgb(sample.path, context=" listed in its CSV")
    if roi:
        x1, y1, x2, y2 = sample.roi
        image = image.crop((x1, y1, x2 + 1, y2 + 1))  # GTSRB's Roi.X2/Y2 are inclusive
    return to_array(centre_square(image), size, equalize)


def track_of(sample: Sample) -> str:
    """``train/<class>_<track>`` for a training image (``<track>_<frame>.ppm``: the 30 photos of
    one physical sign share a track), ``test`` for a test image (the test set has no tracks).

    ``prepare`` shuffles single images, as the reference does, so a track's photos can land in
    several splits; the track in ``attribute_ids`` lets a user see or filter that leak.
    """
    if sample.part != "train":
        return sample.part
    return f"train/{sample.path.parent.name}_{sample.path.stem.split('_', 1)[0]}"


class GtsrbDataset(DatasetPlugin):
    name = "gtsrb"
    options_class = GtsrbOptions
    description = "GTSRB traffic signs from the official .ppm folders and CSVs, 43 classes."
    options: GtsrbOptions

    @cached_property
    def _samples(self) -> list[Sample]:
        root = find_root(self.input_dir)
        samples = []
        if self.options.subset in ("train", "all"):
            samples += training_samples(root)
        if self.options.subset in ("test", "all"):
            samples += official_test_samples(root)
        return samples

    def index(self) -> SampleIndex:
        root = find_root(self.input_dir)
        samples = self._samples
        return SampleIndex(
            labels=np.array([s.label for s in samples], dtype=np.int64),
            class_names=GTSRB_CLASSES,
            image_ids=np.array(
                [s.path.relative_to(root).as_posix() for s in samples], dtype=object
            ),
            attribute_ids=np.array([track_of(s) for s in samples], dtype=object),
        )

    def load(self, positions: np.ndarray) -> np.ndarray:
        """(n, image_size, image_size, 3) float32, decoded on ``--workers`` threads."""
        size, equalize, roi = self.options.image_size, self.options.equalize, self.options.roi
        samples = [self._samples[k] for k in positions]
        images = parallel_map(
            lambda sample: load_sign(sample, size, equalize, roi), samples, self.options.workers
        )
        return np.stack(images)
