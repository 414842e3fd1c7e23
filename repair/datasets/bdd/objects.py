"""``repair prepare bdd-objects``: pack BDD object crops into HDF5 splits.

The input is either the flat folder of ``create_image_subset`` (``--single_dir=True``; labels
come from its image_info.json) or a folder per category (``create_category_dir``'s output).
Each crop is resized with an anti-aliasing filter and, as in the reference toolkit, the value
channel of its HSV form is histogram-equalised (``--equalize=False`` turns that off).

Each image keeps its source frame's attributes ``weather``, ``timeofday`` and ``scene`` as
per-image string keys (``undefined`` where unknown), read from the image_info.json that
create_category_dir and create_image_subset write; a category folder without one gives
``undefined`` throughout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from repair.core.conditions import FRAME_ATTRIBUTES, UNDEFINED
from repair.core.files import check_plain_name
from repair.datasets.base import DatasetPlugin, SampleIndex
from repair.datasets.bdd import BDD_CLASSES
from repair.datasets.bdd.category_dir import INFO_FILE
from repair.datasets.bdd.subset import category_files, crop_source, crop_sources
from repair.datasets.preprocess import (
    check_image_size,
    check_workers,
    open_rgb,
    parallel_map,
    to_array,
)
from repair.errors import DataFormatError


@dataclass(frozen=True)
class BddObjectsOptions:
    single_dir: bool = field(
        default=False,
        metadata={"help": "Input is one flat folder with image_info.json (create_image_subset)."},
    )
    image_size: int = field(default=32, metadata={"help": "Side of the square images."})
    equalize: bool = field(
        default=True, metadata={"help": "Equalise the HSV value channel's histogram."}
    )
    workers: int = field(default=0, metadata={"help": "Decoding threads (0: one per core)."})

    def __post_init__(self) -> None:
        check_image_size(self.image_size)
        check_workers(self.workers)


def load_crop(path: Path, size: int, equalize: bool) -> np.ndarray:
    """One crop as (size, size, 3) float32 in [0, 1]; the LANCZOS resize after the JPEG's
    reduced-scale decoding still anti-aliases."""
    return to_array(open_rgb(path, draft_side=2 * size), size, equalize)


def frame_of(crop_name: str) -> str:
    """The source frame of a crop named ``{id}_{frame stem}.jpg``."""
    stem = Path(crop_name).stem
    return stem.split("_", 1)[1] + ".jpg" if "_" in stem else ""


class BddObjectsDataset(DatasetPlugin):
    name = "bdd-objects"
    options_class = BddObjectsOptions
    description = "BDD100K object crops (create_category_dir / create_image_subset), 13 classes."
    options: BddObjectsOptions

    @cached_property
    def _samples(self) -> list[tuple[Path, str, dict[str, str]]]:
        """(path, label, source) of every crop, in a stable order; source: ``frame`` and the
        frame attributes (:func:`repair.datasets.bdd.subset.crop_source`)."""
        if self.options.single_dir:
            return self._flat_samples()
        sources = crop_sources(self.input_dir)
        unknown = crop_source({})
        return [
            (self.input_dir / label / name, label, sources.get(name, unknown))
            for label, names in category_files(self.input_dir).items()
            for name in names
        ]

    def _flat_samples(self) -> list[tuple[Path, str, dict[str, str]]]:
        info = self.input_dir / INFO_FILE
        if not info.is_file():
            raise DataFormatError(
                f"no {INFO_FILE} in {self.input_dir} (create_image_subset writes it); "
                "for a folder per category use --single_dir=False"
            )
        try:
            images = json.loads(info.read_text())["images"]
            return [
                (
                    self.input_dir / check_plain_name(item["name"], f"{info} (images[].name)"),
                    item["label"],
                    crop_source(item),
                )
                for item in images
            ]
        except DataFormatError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DataFormatError(f"{info} has no list of images with name and label") from None

    def index(self) -> SampleIndex:
        samples = self._samples
        unknown = sorted({label for _, label, _ in samples} - set(BDD_CLASSES))
        if unknown:
            raise DataFormatError(
                f"unknown BDD label '{unknown[0]}' in {self.input_dir}; "
                f"valid labels: {', '.join(BDD_CLASSES)}"
            )
        label_index = {name: k for k, name in enumerate(BDD_CLASSES)}
        return SampleIndex(
            labels=np.array([label_index[label] for _, label, _ in samples], dtype=np.int64),
            class_names=BDD_CLASSES,
            image_ids=np.array([path.name for path, _, _ in samples], dtype=object),
            attribute_ids=np.array(
                [source["frame"] or frame_of(path.name) for path, _, source in samples],
                dtype=object,
            ),
            extras={
                key: np.array([source.get(key, UNDEFINED) for _, _, source in samples], object)
                for key in FRAME_ATTRIBUTES
            },
        )

    def load(self, positions: np.ndarray) -> np.ndarray:
        """(n, image_size, image_size, 3) float32, decoded on ``--workers`` threads."""
        size, equalize = self.options.image_size, self.options.equalize
        paths = [self._samples[k][0] for k in positions]
        return np.stack(
            parallel_map(lambda path: load_crop(path, size, equalize), paths, self.options.workers)
        )
