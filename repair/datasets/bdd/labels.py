"""Stream the BDD100K detection label JSON one frame at a time.

The train label file is over a gigabyte: ijson parses it incrementally, so memory stays flat.
A file is a JSON array of frames ``{name, attributes: {weather, timeofday, scene}, labels: [{id,
category, attributes: {occluded, truncated}, box2d: {x1, y1, x2, y2}}]}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ijson

from repair.core.conditions import FRAME_ATTRIBUTES, UNDEFINED
from repair.errors import DataFormatError, InputNotFoundError


@dataclass(frozen=True)
class ObjectLabel:
    """One labelled object; ``box`` is (x1, y1, x2, y2) in pixels, or None without box2d."""

    id: str
    category: str
    box: tuple[float, float, float, float] | None
    occluded: bool = False
    truncated: bool = False


@dataclass(frozen=True)
class FrameLabels:
    """A frame's name, objects and attributes (FRAME_ATTRIBUTES -> string, UNDEFINED if none)."""

    name: str
    objects: tuple[ObjectLabel, ...]
    attributes: dict[str, str] = field(default_factory=dict)


def frame_attributes(raw: object) -> dict[str, str]:
    """weather, timeofday and scene of a frame's ``attributes``; UNDEFINED where absent."""
    raw = raw if isinstance(raw, dict) else {}
    values = {key: raw.get(key) for key in FRAME_ATTRIBUTES}
    return {key: UNDEFINED if v is None or v == "" else str(v) for key, v in values.items()}


def _object(raw: dict, index: int) -> ObjectLabel:
    box = raw.get("box2d")
    attributes = raw.get("attributes") or {}
    return ObjectLabel(
        id=str(raw.get("id", index)),
        category=str(raw.get("category", "")),
        box=None if not box else tuple(float(box[k]) for k in ("x1", "y1", "x2", "y2")),
        occluded=bool(attributes.get("occluded", False)),
        truncated=bool(attributes.get("truncated", False)),
    )


NOT_LABELS = "is not a BDD100K detection label file (a JSON array of frames with name and labels)"


def iter_frames(label_file: Path) -> Iterator[FrameLabels]:
    """Each frame of ``label_file`` in order, parsed incrementally.

    The file's existence and its opening ``[`` are checked now, before anything is written;
    a malformed frame later raises DataFormatError when the iteration reaches it.
    """
    if not label_file.is_file():
        raise InputNotFoundError(f"label file not found: {label_file}")
    with open(label_file, "rb") as stream:
        if stream.read(64).lstrip()[:1] != b"[":
            raise DataFormatError(f"{label_file} {NOT_LABELS}")
    return _frames(label_file)


def _frames(label_file: Path) -> Iterator[FrameLabels]:
    with open(label_file, "rb") as stream:
        try:
            for raw in ijson.items(stream, "item", use_float=True):
                objects = raw.get("labels") or []
                yield FrameLabels(
                    name=str(raw["name"]),
                    objects=tuple(_object(obj, k) for k, obj in enumerate(objects)),
                    attributes=frame_attributes(raw.get("attributes")),
                )
        except (ijson.JSONError, KeyError, TypeError, ValueError, AttributeError) as error:
            detail = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataFormatError(f"{label_file} {NOT_LABELS}: {detail}") from None
