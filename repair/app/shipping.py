"""Files to and from workers that share no disk with the driver (a Ray cluster).

On the driver, a :class:`Packer` puts each input into the object store once (a file as its
bytes, a folder as a tar of its tree or of some of its members) and gives the :class:`Parcel`
a call carries. On the worker, :func:`unpack` writes the parcel into a private temporary folder
and returns the mapping from the driver's paths to the worker's; the call runs on the worker's
paths (:func:`relocated`), and :func:`folder_files` returns what it wrote as bytes, with the
worker's paths in its text files written back as the driver's. The driver writes them with
:func:`write_files`, each file atomically, so no worker path reaches the driver's files.

A dataclass field that names a file or folder (a method option, a sweep unit's spec) says so
in its metadata (``PATH_OPTION``): :func:`relocated` moves it, and a method option's file
travels like the other inputs (:func:`option_inputs`).
"""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.core.files import atomic_path
from repair.errors import InputNotFoundError
from repair.registry import PATH_OPTION

TEXT_SUFFIXES = (".json", ".csv", ".txt")
Mapping = list[tuple[str, str]]  # (from, to) path prefixes, longest first


@dataclass(frozen=True)
class Input:
    """A file, or a folder (all of it, or only ``members``: names directly inside it)."""

    path: str
    members: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Parcel:
    """The inputs of one call: (driver path, is a folder, object-store handle) each."""

    entries: tuple[tuple[str, bool, Any], ...]


def folder_bytes(folder: Path, members: tuple[str, ...] | None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        names = sorted(p.name for p in folder.iterdir()) if members is None else members
        for name in names:
            if (folder / name).exists():
                archive.add(folder / name, arcname=name)
    return buffer.getvalue()


class Packer:
    """Puts inputs into the object store through ``share`` (bytes -> handle), each once."""

    def __init__(self, share: Callable[[bytes], Any]) -> None:
        self._share = share
        self._handles: dict[Input, Any] = {}

    def pack(self, inputs: Iterable[Input]) -> Parcel:
        """The parcel of ``inputs``; one inside a whole folder also given travels with it."""
        wanted = list(dict.fromkeys(inputs))
        folders = [i.path for i in wanted if i.members is None and Path(i.path).is_dir()]
        entries = []
        for item in wanted:
            if any(item.path != f and is_under(item.path, f) for f in folders):
                continue  # inside a folder that travels whole
            path = Path(item.path)
            if not path.exists():
                raise InputNotFoundError(f"{path}: no such file or folder (an input of the runs)")
            if item not in self._handles:
                data = folder_bytes(path, item.members) if path.is_dir() else path.read_bytes()
                self._handles[item] = self._share(data)
            entries.append((item.path, path.is_dir(), self._handles[item]))
        return Parcel(tuple(entries))


def _longest_first(mapping: Mapping) -> Mapping:
    return sorted(mapping, key=lambda pair: -len(pair[0]))  # a prefix must not cut a longer one


def unpack(parcel: Parcel, root: Path, fetch: Callable[[Any], bytes]) -> Mapping:
    """In a worker: write the parcel's inputs under ``root``; the driver -> worker mapping."""
    mapping = []
    for number, (driver, is_folder, handle) in enumerate(parcel.entries):
        target = root / str(number) / Path(driver).name
        target.parent.mkdir(parents=True)
        if is_folder:
            with tarfile.open(fileobj=io.BytesIO(fetch(handle))) as archive:
                archive.extractall(target, filter="data")
        else:
            target.write_bytes(fetch(handle))
        mapping.append((driver, str(target)))
    return _longest_first(mapping)


def is_under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or inside it (whole path components)."""
    return path == prefix or path.startswith(prefix.rstrip(os.sep) + os.sep)


def relocate(path: str, mapping: Mapping) -> str:
    """``path`` with the first mapped prefix replaced."""
    for old, new in mapping:
        if is_under(path, old):
            return new + path[len(old) :]
    return path


def _is_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def relocated(value: Any, mapping: Mapping) -> Any:
    """A copy of the dataclass ``value`` whose paths (``Path`` fields, and ``str`` fields marked
    as paths) are relocated, nested dataclasses included."""
    changes = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if isinstance(item, Path):
            changes[field.name] = Path(relocate(str(item), mapping))
        elif isinstance(item, str) and field.metadata.get(PATH_OPTION):
            changes[field.name] = relocate(item, mapping)
        elif _is_instance(item):
            changes[field.name] = relocated(item, mapping)
    return dataclasses.replace(value, **changes)


def option_inputs(options: Any) -> list[Input]:
    """The files and folders a method's options name (fields marked as paths, as given)."""
    if not _is_instance(options):
        return []
    found = []
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        if _is_instance(value):
            found += option_inputs(value)
        elif field.metadata.get(PATH_OPTION) and value is not None:
            found.append(Input(value))
    return found


def model_input(model: str, method: Any) -> Input:
    """The model file of ``model`` (absolute: a model folder or file) and what ``method``
    reads beside it, as one folder."""
    from repair.core.model import resolve_model_path

    file = resolve_model_path(model)
    return Input(str(file.parent), (file.name, *method.model_companions))


def reverse(mapping: Mapping) -> Mapping:
    return [(new, old) for old, new in mapping]


def unmap(text: str, mapping: Mapping) -> str:
    """``text`` with every worker path of ``mapping`` (worker -> driver) replaced."""
    for local, driver in _longest_first(mapping):
        text = text.replace(local, driver)
    return text


def folder_files(folder: Path, mapping: Mapping) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path; text files with their paths unmapped."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix in TEXT_SUFFIXES:
            data = unmap(data.decode("utf-8"), mapping).encode("utf-8")
        files[path.relative_to(folder).as_posix()] = data
    return files


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """On the driver: write ``files`` (relative path -> bytes) under ``folder``, each atomically."""
    for name, data in files.items():
        with atomic_path(folder / name) as tmp:
            tmp.write_bytes(data)
