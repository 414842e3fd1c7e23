"""What ``repair utils risk_calculation_tool`` reads: splits and Scalabel label files (each a
file or a folder of them), the images matching a query, and the crops to copy.

An image matches when its label is the queried one (if any) and its source frame (its
``attribute_ids`` entry) has every queried attribute in the label files.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ijson
import numpy as np
from tqdm import tqdm

from repair.core.conditions import check_known, known_values, matches
from repair.core.data import Batch, SplitInfo, SplitReader
from repair.core.files import atomic_path, check_plain_name
from repair.datasets.bdd.subset import is_image_name
from repair.errors import ConfigError, DataFormatError, InputNotFoundError

NOT_SCALABEL = "is not a Scalabel label file (a JSON array of frames with name and attributes)"


def expand(path: Path, suffix: str, option: str) -> list[Path]:
    """``[path]`` for a file; a folder's ``*<suffix>`` files, sorted, hidden ones left out."""
    if not path.exists():
        raise InputNotFoundError(f"{option}: {path} not found")
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.glob(f"*{suffix}") if p.is_file() and p.name[0] != ".")
    if not found:
        raise InputNotFoundError(f"{option}: no {suffix} files in the folder {path}")
    return found


def read_frame_attributes(paths: Sequence[Path]) -> dict[str, dict[str, str]]:
    """Frame name -> its ``attributes`` (values as text; {} when it has none), over every file,
    parsed incrementally (a BDD100K train label file is over a gigabyte)."""
    frames: dict[str, dict[str, str]] = {}
    for path in paths:
        with open(path, "rb") as stream:
            if stream.read(64).lstrip()[:1] != b"[":
                raise DataFormatError(f"{path} {NOT_SCALABEL}")
            stream.seek(0)
            try:
                for raw in ijson.items(stream, "item", use_float=True):
                    attributes = raw.get("attributes") or {}
                    frames[str(raw["name"])] = {str(k): str(v) for k, v in attributes.items()}
            except (ijson.JSONError, KeyError, TypeError, ValueError, AttributeError) as error:
                detail = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise DataFormatError(f"{path} {NOT_SCALABEL}: {detail}") from None
    return frames


@dataclass(frozen=True)
class Query:
    """The label index to keep (None: every label) and the attributes its frame must have."""

    label: int | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    frames: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    label_source: str = ""

    def mask(self, batch: Batch, path: Path) -> np.ndarray:
        """(n,) bool: the images of ``batch`` (read from ``path``) that match."""
        keep = np.ones(len(batch), dtype=bool)
        if self.label is not None:
            keep &= batch.labels == self.label
        if not self.attributes:
            return keep
        if batch.attribute_ids is None:
            raise DataFormatError(
                f"{path} has no attribute_ids (the source frame of each image), so --attributes "
                "cannot match its images; prepare it with `repair prepare bdd-objects`"
            )
        for row in np.flatnonzero(keep):
            frame = batch.attribute_ids[row]
            if frame not in self.frames:
                raise DataFormatError(
                    f"frame {frame!r} of image {batch.start + row} of {path} (attribute_ids) is "
                    f"not in the label files {self.label_source}"
                )
            keep[row] = matches(self.frames[frame], self.attributes)
        return keep


def make_query(
    *,
    info: SplitInfo,
    label: str | None,
    attributes: Mapping[str, str],
    label_paths: Sequence[Path],
    label_source: str,
) -> Query:
    """The :class:`Query`: ``label`` (class name or index in ``info``) resolved, the attributes
    checked against those the label files hold (ConfigError naming what exists)."""
    index = None
    if label is not None:
        index = info.label_index(label)
        if index is None:
            known = ", ".join(info.class_name(i) for i in range(info.num_classes))
            raise ConfigError(f"--label {label!r} is not a class of {info.path}. Known: {known}")
    frames = read_frame_attributes(label_paths) if attributes else {}
    if attributes:
        check_known(attributes, known_values(frames.values()), "--attributes", label_source)
    return Query(index, dict(attributes), frames, label_source)


@dataclass
class Scan:
    """The split files read through a query: every image counted, the matched ones kept.

    true / predicted: (M,) label indices of the matched images (predicted: empty without a
    model); image_ids: their crop names (None when a file has none); files: the splits read.
    """

    info: SplitInfo
    total: int = 0
    true: list[np.ndarray] = field(default_factory=list)
    predicted: list[np.ndarray] = field(default_factory=list)
    image_ids: list[str] | None = field(default_factory=list)

    @property
    def matched(self) -> int:
        return int(sum(len(part) for part in self.true))

    def labels(self) -> tuple[np.ndarray, np.ndarray]:
        """(true, predicted) of the matched images, (M,) int each."""
        join = lambda parts: np.concatenate(parts) if parts else np.zeros(0, np.int64)  # noqa: E731
        return join(self.true).astype(np.int64), join(self.predicted).astype(np.int64)


def _check_same_classes(first: SplitInfo, info: SplitInfo) -> None:
    if (info.num_classes, info.class_names) != (first.num_classes, first.class_names):
        raise DataFormatError(
            f"{info.path} has {info.num_classes} classes {info.class_names or ''}, but "
            f"{first.path} has {first.num_classes} {first.class_names or ''}; "
            "--h5_dataset_path must hold splits of one dataset"
        )


def scan(
    paths: Sequence[Path],
    query_for: Callable[[SplitInfo], Query],
    predict: Callable[[SplitInfo, np.ndarray], np.ndarray] | None,
    batch_size: int,
) -> Scan:
    """Read every file of ``paths`` in batches, keep the images ``query_for(first file's info)``
    matches and, with ``predict(info, images) -> (n,) labels``, predict those."""
    result: Scan | None = None
    query: Query | None = None
    for path in paths:
        with SplitReader(path) as reader:
            if result is None:
                result, query = Scan(reader.info), query_for(reader.info)
            _check_same_classes(result.info, reader.info)
            with tqdm(total=len(reader), desc=path.name, unit="img", leave=False) as bar:
                for batch in reader.batches(batch_size):
                    result.total += len(batch)
                    chosen = batch.select(query.mask(batch, path))
                    result.true.append(chosen.labels)
                    if predict is not None:
                        result.predicted.append(predict(reader.info, chosen.images))
                    if chosen.image_ids is None:
                        result.image_ids = None
                    elif result.image_ids is not None:
                        result.image_ids.extend(str(name) for name in chosen.image_ids)
                    bar.update(len(batch))
    assert result is not None  # expand() never returns an empty list
    return result


def crop_index(folder: Path) -> dict[str, Path]:
    """Image file name -> path, for the images in ``folder`` and its sub-folders (one level:
    create_image_subset's flat folder or create_category_dir's folder per class)."""
    found: dict[str, Path] = {}
    for path in sorted([*folder.glob("*"), *folder.glob("*/*")]):
        if not (path.is_file() and is_image_name(path.name)):
            continue
        if path.name in found:
            raise DataFormatError(
                f"two images named {path.name} in {folder} ({found[path.name]} and {path}); "
                "a crop name must identify one image"
            )
        found[path.name] = path
    return found


def copy_crops(
    names: Sequence[str], targets: Sequence[Path], index: Mapping[str, Path], where: str
) -> list[str]:
    """Copy the crop of each name (checked plain; ``where`` names its source) to the folder
    beside it; return the names not found in ``index``."""
    missing = []
    for name, folder in zip(names, targets, strict=True):
        source = index.get(check_plain_name(name, where))
        if source is None:
            missing.append(name)
            continue
        with atomic_path(folder / name) as tmp:
            shutil.copyfile(source, tmp)
    return missing
