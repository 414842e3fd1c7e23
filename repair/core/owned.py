"""Outputs a command owns: a set of files staged, swapped in at once, and replaced on a rerun.

A rerun deletes only what the command recorded as its own.

A command (``prepare``, ``target``) writes its files into a hidden staging folder inside the
output folder. :func:`commit_staged` then moves them into place with renames (milliseconds,
not the minutes of writing), after removing the files its previous run wrote that this run does
not replace. What it wrote is recorded in a hidden manifest, ``.repair-<command>.json``; files it
did not record (a user's own, another command's) are never deleted. The manifest lists the union
of the old and new files while the renames run, so a kill during them leaves nothing the next
run will not clean up. :func:`remove_stale_temporaries` removes the staging folders and
temporary files of runs that were killed (their process is gone).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from repair.core.files import is_plain_name, pid_alive, write_json_atomic
from repair.errors import DataFormatError

MANIFEST_VERSION = 1
# ``.name.tmp-PID-xxxxxxxx.suffix`` (repair.core.files.temporary_sibling) and
# ``.<command>-staging-PID`` (staging_folder).
TEMPORARY = re.compile(r"^\..+\.tmp-(?P<pid>\d+)-[0-9a-f]{8}(\.[^.]*)?$")


def manifest_path(folder: Path, command: str) -> Path:
    return folder / f".repair-{command}.json"


def staging_folder(folder: Path, command: str) -> Path:
    """This process's hidden staging folder for ``command`` inside ``folder``."""
    return folder / f".{command}-staging-{os.getpid()}"


def _is_relative_name(text: object) -> bool:
    return isinstance(text, str) and all(is_plain_name(part) for part in text.split("/"))


def read_manifest(folder: Path, command: str) -> dict[str, str]:
    """The files (relative, ``/``-separated) that ``command`` wrote in ``folder``, each with the
    source it was made from (``""`` when the command has one only); none without a manifest.
    A path leading out of ``folder`` is refused."""
    path = manifest_path(folder, command)
    if not path.is_file():
        return {}
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        files, sources = content["files"], content.get("sources", {})
        recorded = {name: str(sources.get(name, "")) for name in files}
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise DataFormatError(
            f"{path} is not a manifest of repair {command}; delete it to start afresh"
        ) from None
    if not all(_is_relative_name(name) for name in recorded):
        raise DataFormatError(f"{path} lists a path outside {folder}; it is not ours to follow")
    return recorded


def write_manifest(folder: Path, command: str, files: dict[str, str] | list[str]) -> None:
    """Record ``files`` (relative to ``folder``; a dict gives each one's source) as what
    ``command`` wrote there."""
    sources = files if isinstance(files, dict) else dict.fromkeys(files, "")
    content = {"command": command, "version": MANIFEST_VERSION, "files": sorted(sources)}
    if any(sources.values()):
        content["sources"] = dict(sorted(sources.items()))
    write_json_atomic(manifest_path(folder, command), content)


def _remove_with_empty_parents(folder: Path, relative: str) -> None:
    path = folder / relative
    if path.is_file() or path.is_symlink():
        path.unlink()
    parent = path.parent
    while parent != folder and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def commit_staged(staging: Path, folder: Path, command: str, source: str = "") -> list[str]:
    """Move every file under ``staging`` to the same place under ``folder``; first delete the
    files ``command`` recorded from the same ``source`` that this set does not replace (and
    folders left empty by that). Files it recorded from another source stay (the tutorial
    prepares train/val/test from one folder of crops and repair.h5 from another, into one data
    folder). Returns the new set, now recorded in the manifest."""
    new = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    old = read_manifest(folder, command)
    dropped = sorted(name for name, origin in old.items() if origin == source and name not in new)
    write_manifest(folder, command, {**old, **dict.fromkeys(new, source)})
    for relative in dropped:
        _remove_with_empty_parents(folder, relative)
    for relative in new:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, target)
    kept = {name: origin for name, origin in old.items() if name not in dropped}
    write_manifest(folder, command, {**kept, **dict.fromkeys(new, source)})
    shutil.rmtree(staging, ignore_errors=True)
    return new


def remove_stale_temporaries(folder: Path, command: str) -> list[Path]:
    """Remove ``command``'s staging folders and the hidden temporary files in ``folder`` left by
    killed runs (the process that made them is gone); return what was removed. Only our own
    name patterns are touched."""
    if not folder.is_dir():
        return []
    staging = re.compile(rf"^\.{re.escape(command)}-staging-(?P<pid>\d+)$")
    removed = []
    for entry in folder.iterdir():
        match = staging.match(entry.name) if entry.is_dir() else TEMPORARY.match(entry.name)
        if match is None or pid_alive(int(match["pid"])):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def remove_recorded(folder: Path, command: str) -> None:
    """Delete the files ``command`` recorded in ``folder`` (and folders left empty)."""
    for relative in read_manifest(folder, command):
        _remove_with_empty_parents(folder, relative)
    manifest_path(folder, command).unlink(missing_ok=True)
