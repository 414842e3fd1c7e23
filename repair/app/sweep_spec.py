"""What a sweep covers: labels x chunks x seeds x method-option variants, from flags or TOML.

A chunk is one numbered repair set ``<chunks_dir>/<c>/repair.h5``, as written by
``repair utils split_dataset`` (default ``<data_dir>/repairsets``): the new data a team gets
between two repairs, as in the tutorial's repair loop. Without chunks, the sweep repairs
``<data_dir>/repair.h5`` as a whole, one chunk named ``all``. A variant is one combination of the
method's options; a TOML list value makes the grid go over its items.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.core.run_files import SPLIT_FILENAME
from repair.errors import ConfigError, InputNotFoundError

CHUNKS_DIRNAME = "repairsets"  # repair utils split_dataset's default output folder
WHOLE_CHUNK = "all"  # the one chunk of a sweep over DATA_DIR/repair.h5 as a whole
MAX_VALUES = 100_000  # a grid axis this long is a typo (0-1000000000), not a sweep
SPEC_KEYS = {
    "model_dir", "data_dir", "chunks_dir", "test_data", "output_dir", "method", "labels",
    "chunks", "seeds", "chain", "batch_size", "device", "localize", "optimize",
}  # fmt: skip


def parse_int_set(
    option: str, text: str | int | list, maximum: int | None = None
) -> tuple[int, ...]:
    """``'0-3,7'`` (or a TOML list of ints and such strings) -> ``(0, 1, 2, 3, 7)``, sorted;
    no value above ``maximum``, and at most MAX_VALUES of them."""
    parts = text if isinstance(text, list) else [text]
    values: set[int] = set()
    for part in parts:
        for piece in str(part).split(","):
            piece = piece.strip()
            if not piece:
                continue
            first, dash, last = piece.partition("-")
            try:
                low, high = int(first), int(last) if dash else int(first)
            except ValueError:
                raise ConfigError(
                    f"{option} takes numbers and ranges, like 0-9 or 6,9; got {piece!r}"
                ) from None
            if low < 0 or high < low:
                raise ConfigError(f"{option}: {piece!r} is not a range of non-negative integers")
            if maximum is not None and high > maximum:
                raise ConfigError(f"{option}: {piece!r} goes past {maximum}, the largest it takes")
            if high - low + 1 > MAX_VALUES - len(values):
                raise ConfigError(f"{option}: {text!r} names more than {MAX_VALUES:,} values")
            values.update(range(low, high + 1))
    if not values:
        raise ConfigError(f"{option} names no values; got {text!r}")
    return tuple(sorted(values))


def read_toml(path: Path) -> dict[str, Any]:
    """The sweep spec in ``path``; unknown keys are an error naming the known ones."""
    try:
        spec = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputNotFoundError(f"sweep spec not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(SPEC_KEYS))}"
        )
    return spec


def option_grid(config_class: type, values: Mapping[str, Any], where: str) -> list[Any]:
    """One ``config_class`` per combination of ``values`` (a list value is an axis)."""
    names = {field.name for field in dataclasses.fields(config_class)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(
            f"{where}: no option {', '.join(unknown)}; "
            f"options: {', '.join(sorted(names)) or 'none'}"
        )
    keys = sorted(values)
    axes = [values[k] if isinstance(values[k], list) else [values[k]] for k in keys]
    grid = []
    for combination in itertools.product(*axes):
        try:
            grid.append(config_class(**dict(zip(keys, combination, strict=True))))
        except TypeError as error:
            raise ConfigError(f"{where}: {error}") from None
    return grid


def options_record(options: Any) -> dict[str, Any]:
    """A JSON-friendly dict of an options dataclass (tuples become lists)."""
    record = dataclasses.asdict(options) if dataclasses.is_dataclass(options) else {}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in record.items()}


@dataclass(frozen=True)
class Variant:
    """One combination of the method's options."""

    localize: Any
    optimize: Any

    def record(self) -> dict[str, Any]:
        return {
            "localize": options_record(self.localize),
            "optimize": options_record(self.optimize),
        }


def find_chunks(chunks_dir: Path) -> tuple[int, ...]:
    """The chunk numbers ``c`` with ``chunks_dir/<c>/repair.h5``, in order."""
    if not chunks_dir.is_dir():
        return ()
    found = (
        int(p.name)
        for p in chunks_dir.iterdir()
        if p.name.isdigit() and (p / SPLIT_FILENAME).is_file()
    )
    return tuple(sorted(found))


def chunk_file(chunks_dir: Path, chunk: int | str) -> Path:
    """``<chunks_dir>/<c>/repair.h5``; the whole chunk (WHOLE_CHUNK) is ``<chunks_dir>/repair.h5``,
    ``chunks_dir`` then being the data folder."""
    if chunk == WHOLE_CHUNK:
        return chunks_dir / SPLIT_FILENAME
    return chunks_dir / str(chunk) / SPLIT_FILENAME


def sweep_chunks(
    chunks_dir: Path, chunks: tuple[int, ...] | None, data_dir: Path
) -> tuple[Path, tuple[int | str, ...]]:
    """The folder of the chunks and the chunks to use (see :func:`check_chunks`). When
    ``chunks_dir`` holds no chunks and none are named, ``data_dir/repair.h5`` is swept as a
    whole: one chunk, WHOLE_CHUNK, in ``data_dir``."""
    if chunks is None and not find_chunks(chunks_dir):
        if (data_dir / SPLIT_FILENAME).is_file():
            return data_dir, (WHOLE_CHUNK,)
        raise InputNotFoundError(
            f"no chunks <c>/{SPLIT_FILENAME} in {chunks_dir} and no {SPLIT_FILENAME} in "
            f"{data_dir} to sweep as a whole; give a data folder holding {SPLIT_FILENAME}, or "
            "make chunks with `repair utils split_dataset --input DATA_DIR/repair.h5 "
            "--chunk_size 100`"
        )
    return chunks_dir, check_chunks(chunks_dir, chunks)


def check_chunks(chunks_dir: Path, chunks: tuple[int, ...] | None) -> tuple[int, ...]:
    """The chunks to use (all found when ``chunks`` is None); a missing one is an error."""
    found = find_chunks(chunks_dir)
    if not found:
        raise InputNotFoundError(
            f"no chunks <c>/{SPLIT_FILENAME} in {chunks_dir}; make them with `repair utils "
            "split_dataset --input DATA_DIR/repair.h5 --chunk_size 100`"
        )
    if chunks is None:
        return found
    missing = [c for c in chunks if c not in found]
    if missing:
        raise InputNotFoundError(
            f"chunk(s) {', '.join(map(str, missing))} not found in {chunks_dir} "
            f"(found: {', '.join(map(str, found))})"
        )
    return chunks


def resolve_labels(labels: tuple[str, ...], class_names: list[str]) -> tuple[int, ...]:
    """Label indices from indices or class names (case-insensitive)."""
    lower = [name.lower() for name in class_names]
    resolved = set()
    for label in labels:
        text = label.strip()
        if text.isdigit() and int(text) < len(class_names):
            resolved.add(int(text))
        elif text.lower() in lower:
            resolved.add(lower.index(text.lower()))
        else:
            raise ConfigError(
                f"--labels: {label!r} is not a label of the data; labels: "
                + ", ".join(f"{i} {n}" for i, n in enumerate(class_names))
            )
    return tuple(sorted(resolved))


def parse_labels(value: str | int | list) -> tuple[str, ...]:
    """``'6,9'``, ``'pedestrian,rider'``, ``'0-3'`` or a TOML list -> label texts."""
    parts = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for part in parts:
        for piece in str(part).split(","):
            piece = piece.strip()
            first, dash, last = piece.partition("-")
            if dash and first.isdigit() and last.isdigit():
                texts.extend(str(v) for v in parse_int_set("--labels", piece))
            elif piece:
                texts.append(piece)
    if not texts:
        raise ConfigError(f"--labels names no labels; got {value!r}")
    return tuple(texts)
