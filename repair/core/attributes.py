"""Add per-image string keys (operating conditions) to the splits of a data folder from a CSV.

The CSV's header is ``image_id,<key>,...``; each row gives one image's values, matched against
the ``image_ids`` of the splits (train/val/test/repair.h5 in the folder). An image the CSV does
not list gets ``undefined``; an id of the CSV that no split holds is an error, and so is a key
that is not a plain identifier or is one of the split's own keys. Every file is rewritten in
batches into a staging folder, and all are committed into place as one set
(:mod:`repair.core.staging`): a kill leaves the old splits, or the next run finishes the new.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repair.core.conditions import UNDEFINED
from repair.core.data import SplitReader, SplitWriter
from repair.core.data.format import SPLIT_NAMES, check_extra_name
from repair.core.staging import staged
from repair.errors import ConfigError, DataFormatError, InputNotFoundError

ID_COLUMN = "image_id"
ADD_ATTRIBUTES_COMMAND = "add_attributes"
READ_BATCH = 1024


@dataclass(frozen=True)
class AttributeTable:
    """The CSV: its keys, in column order, and image id -> one value per key."""

    path: Path
    keys: tuple[str, ...]
    rows: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class AddedAttributes:
    """What :func:`add_attributes` wrote: per file, its images and how many the CSV named."""

    keys: tuple[str, ...]
    files: tuple[tuple[Path, int, int], ...]


def read_attribute_csv(path: Path) -> AttributeTable:
    """Parse the CSV; DataFormatError names the file and the line it cannot use."""
    if not path.is_file():
        raise InputNotFoundError(f"--csv: no file at {path}")
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            lines = list(csv.reader(stream))
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataFormatError(f"--csv {path} is not a UTF-8 CSV file: {error}") from None
    if not lines or lines[0][:1] != [ID_COLUMN] or len(lines[0]) < 2:
        raise DataFormatError(
            f"--csv {path} must start with the header 'image_id,<key>,...'; "
            f"got {','.join(lines[0]) if lines else 'an empty file'!r}"
        )
    keys = tuple(name.strip() for name in lines[0][1:])
    for key in keys:
        try:
            check_extra_name(key)
        except DataFormatError as error:
            raise DataFormatError(f"--csv {path}, header: {error}") from None
    if len(set(keys)) != len(keys):
        raise DataFormatError(f"--csv {path} names a key twice in its header: {','.join(keys)}")
    rows: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in line):
            continue
        if len(line) != len(keys) + 1:
            raise DataFormatError(
                f"--csv {path}, line {number}: {len(line)} values; the header has {len(keys) + 1}"
            )
        image_id = line[0]
        if image_id in rows:
            raise DataFormatError(f"--csv {path}, line {number}: image id {image_id!r} again")
        rows[image_id] = tuple(cell.strip() or UNDEFINED for cell in line[1:])
    return AttributeTable(path, keys, rows)


def split_files(data_dir: Path) -> list[Path]:
    """The split files (train/val/test/repair.h5) present in ``data_dir``."""
    if not data_dir.is_dir():
        raise InputNotFoundError(f"--data_dir: no folder at {data_dir}")
    files = [data_dir / f"{name}.h5" for name in SPLIT_NAMES if (data_dir / f"{name}.h5").is_file()]
    if not files:
        raise InputNotFoundError(f"--data_dir {data_dir} holds none of train/val/test/repair.h5")
    return files


def _ids_of(path: Path) -> set[str]:
    with SplitReader(path) as reader:
        if not reader.info.has_ids:
            raise DataFormatError(
                f"{path} has no image_ids to match the CSV's image_id column against"
            )
        return {str(i) for batch in reader.batches(READ_BATCH * 16) for i in batch.image_ids}


def _check_ids(table: AttributeTable, ids: Sequence[set[str]], files: Sequence[Path]) -> None:
    known = set().union(*ids)
    unknown = [image_id for image_id in table.rows if image_id not in known]
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        raise DataFormatError(
            f"--csv {table.path}: {len(unknown)} image id(s) are in none of "
            f"{', '.join(f.name for f in files)}: {shown}"
        )


def _columns(table: AttributeTable, image_ids: np.ndarray) -> dict[str, np.ndarray]:
    missing = (UNDEFINED,) * len(table.keys)
    values = [table.rows.get(str(i), missing) for i in image_ids]
    return {
        key: np.array([row[k] for row in values], dtype=object) for k, key in enumerate(table.keys)
    }


def _rewrite(source: Path, target: Path, table: AttributeTable) -> int:
    """Copy ``source`` to ``target`` with the table's keys added (or replaced); the count of
    images the table named."""
    named = 0
    with SplitReader(source) as reader:
        info = reader.info
        kinds: dict[str, object] = dict(reader.extra_dtypes())
        kinds.update(dict.fromkeys(table.keys, str))
        with SplitWriter.copying(target, info, kinds) as writer:
            for batch in reader.batches(READ_BATCH):
                named += sum(str(i) in table.rows for i in batch.image_ids)
                writer.append_batch(batch, {**batch.extras, **_columns(table, batch.image_ids)})
    return named


def add_attributes(data_dir: Path, table: AttributeTable) -> AddedAttributes:
    """Add the table's keys to every split of ``data_dir``; nothing changes on an error."""
    files = split_files(data_dir)
    _check_ids(table, [_ids_of(path) for path in files], files)
    counts = []
    # The splits stay prepare's (its manifest lists them): borrowed, so moved but never recorded.
    with staged(data_dir, ADD_ATTRIBUTES_COMMAND, borrowed=[p.name for p in files]) as stage:
        for path in files:
            named = _rewrite(path, stage / path.name, table)
            with SplitReader(stage / path.name) as reader:
                counts.append((path, len(reader), named))
    return AddedAttributes(table.keys, tuple(counts))


def check_keys_free(table: AttributeTable, reserved: Mapping[str, str]) -> None:
    """Refuse keys that other commands own (``reserved``: key -> the command that writes it)."""
    for key in table.keys:
        if key in reserved:
            raise ConfigError(
                f"--csv {table.path}: key '{key}' is written by {reserved[key]}; choose another"
            )
