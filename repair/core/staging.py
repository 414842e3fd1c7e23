"""A command's set of output files, staged and swapped into place as one, with one recovery path.

A command writes its files into a hidden staging folder inside its output folder,
``.<command>-staging-<pid>-<hex>/`` (:func:`staged`). When the block succeeds, the commit:

1. writes the commit mark ``.committed`` into the staging folder, listing the files to move into
   place, the files to delete (what the command's previous run recorded and this run does not
   write again) and the manifest to record: from here on the new set is decided;
2. moves the files into place (renames: milliseconds, not the minutes of writing), deletes the
   dropped files and the folders they leave empty;
3. records the new set in the command's manifest, ``.repair-<command>.json``, and removes the
   staging folder.

:func:`recover` is the one path that runs after a killed process, first thing in every run of a
command and in readers of its outputs: a staging folder with a mark is finished (roll forward:
each step is idempotent), one without a mark whose process is gone is removed with the hidden
temporary files of dead processes. So the folder holds the whole old set or the whole new one.
Files no manifest lists (a user's own, another command's) are never deleted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from repair.core.files import is_plain_name, make_output_dir, write_json_atomic
from repair.errors import DataFormatError, RepairError

MANIFEST_VERSION = 1
COMMITTED_MARK = ".committed"  # in a staging folder: its set is decided, finish moving it
# ``.name.tmp-PID-xxxxxxxx.suffix``: repair.core.files.temporary_sibling.
TEMPORARY = re.compile(r"^\..+\.tmp-(?P<pid>\d+)-[0-9a-f]{8}(\.[^.]*)?$")


def manifest_path(folder: Path, command: str) -> Path:
    """Where ``command`` records the files it wrote in ``folder``."""
    return Path(folder) / f".repair-{command}.json"


def staging_prefix(command: str) -> str:
    """The name every staging folder of ``command`` starts with (the pid follows)."""
    return f".{command}-staging-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (one we may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


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


def _manifest_content(command: str, recorded: dict[str, str]) -> dict:
    content = {"command": command, "version": MANIFEST_VERSION, "files": sorted(recorded)}
    if any(recorded.values()):
        content["sources"] = dict(sorted(recorded.items()))
    return content


@dataclass(frozen=True)
class Plan:
    """What a commit does, as its mark records it: ``moves`` (relative paths, in order) go from
    the staging folder into place, ``drops`` are deleted, ``manifest`` is recorded (None: leave
    the manifest as it is, for a mark written by an older repair)."""

    command: str
    moves: list[str]
    drops: list[str] = field(default_factory=list)
    manifest: dict[str, str] | None = None


def plan_commit(  # noqa: PLR0913
    folder: Path,
    command: str,
    moves: list[str],
    *,
    source: str = "",
    retain: Iterable[str] = (),
    borrowed: Iterable[str] = (),
) -> Plan:
    """The commit of ``moves`` into ``folder``: the new set is ``moves`` plus ``retain`` (files of
    this run already in place); what ``command`` recorded from the same ``source`` and is not in
    the new set is dropped. Files recorded from another source stay (the tutorial prepares
    train/val/test from one folder of crops and repair.h5 from another, into one data folder).
    A file in ``borrowed`` is another command's that this one rewrites (localize's weights.csv,
    which optimize rewrites): it is moved, never recorded, never dropped."""
    borrowed = set(borrowed)
    old = read_manifest(folder, command)
    new = (set(moves) | set(retain)) - borrowed
    drops = sorted(name for name, origin in old.items() if origin == source and name not in new)
    recorded = {name: origin for name, origin in old.items() if name not in drops}
    recorded.update(dict.fromkeys(new, source))
    return Plan(command, list(moves), drops, recorded)


def _write_mark(stage: Path, plan: Plan) -> None:
    content = {
        "version": MANIFEST_VERSION,
        "command": plan.command,
        "moves": plan.moves,
        "drops": plan.drops,
        "manifest": plan.manifest,
    }
    write_json_atomic(stage / COMMITTED_MARK, content)


def _read_mark(stage: Path, command: str) -> Plan:
    """The plan a mark records; a mark of an older repair lists the files to move, one a line.
    A mark that is not ours, or names a path outside the folder, is refused."""
    path = stage / COMMITTED_MARK
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        content = json.loads(text)
    except ValueError:
        plan = Plan(command, text.splitlines())
    else:
        try:
            plan = Plan(command, list(content["moves"]), list(content["drops"]))
            plan = replace(plan, manifest=_recorded(content["manifest"]))
        except (KeyError, TypeError, AttributeError, ValueError):
            raise DataFormatError(
                f"{path} is not a commit mark of repair {command}; finish or remove {stage} by hand"
            ) from None
    names = [*plan.moves, *plan.drops, *(plan.manifest or {})]
    if not all(_is_relative_name(name) for name in names):
        raise DataFormatError(f"{path} lists a path outside {stage.parent}; it is not ours")
    return plan


def _recorded(manifest: object) -> dict[str, str] | None:
    if manifest is None:
        return None
    return {str(name): str(origin) for name, origin in dict(manifest).items()}


def _remove_with_empty_parents(folder: Path, relative: str) -> None:
    path = folder / relative
    if path.is_file() or path.is_symlink():
        path.unlink(missing_ok=True)
    parent = path.parent
    while parent != folder and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _roll_forward(stage: Path, folder: Path, plan: Plan) -> None:
    """Finish a marked commit; every step may run again after a kill and gives the same end."""
    for relative in plan.moves:
        source = stage / relative
        if source.is_file():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for relative in plan.drops:
        _remove_with_empty_parents(folder, relative)
    if plan.manifest is not None:
        if plan.manifest:
            content = _manifest_content(plan.command, plan.manifest)
            write_json_atomic(manifest_path(folder, plan.command), content)
        else:
            manifest_path(folder, plan.command).unlink(missing_ok=True)
    shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, folder: Path, plan: Plan) -> None:
    """Decide the set (the mark), then move it into place."""
    _write_mark(stage, plan)
    _roll_forward(stage, folder, plan)


def recover(folder: Path, command: str) -> None:
    """Finish the sets killed runs of ``command`` had committed in ``folder``; remove their
    unmarked staging folders and the hidden temporary files of processes that are gone."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    stages = re.compile(rf"^{re.escape(staging_prefix(command))}(?P<pid>\d+)(-.*)?$")
    for entry in sorted(folder.iterdir()):
        match = (stages if entry.is_dir() else TEMPORARY).match(entry.name)
        if match is None:
            continue
        if entry.is_dir() and (entry / COMMITTED_MARK).is_file():
            _roll_forward(entry, folder, _read_mark(entry, command))
        elif not pid_alive(int(match["pid"])):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _link_inputs(folder: Path, stage: Path) -> None:
    """Hard-link ``folder``'s top-level files into ``stage``, so what writes into the stage reads
    the inputs it expects (optimize: localize's weights.csv). Atomic writes replace a link,
    never change the file it points to."""
    for path in folder.iterdir():
        if path.is_file() and not path.name.startswith("."):
            try:
                os.link(path, stage / path.name)
            except OSError:
                shutil.copy2(path, stage / path.name)


def _changed_files(folder: Path, stage: Path, last: str | None) -> list[str]:
    """Files in ``stage`` that are new or rewritten (not links to ``folder``'s), relative and
    ``/``-separated; the file named ``last`` last (a record whose presence means the set is
    whole)."""
    changed = []
    for path in sorted(stage.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(stage)
        old = folder / relative
        if old.is_file() and os.path.samefile(old, path):
            continue
        changed.append(relative.as_posix())
    return sorted(changed, key=lambda relative: last is not None and relative == last)


@contextmanager
def staged(  # noqa: PLR0913
    folder: Path,
    command: str,
    *,
    source: str = "",
    retain: Iterable[str] = (),
    link_inputs: bool = False,
    borrowed: Iterable[str] = (),
    last: str | None = None,
) -> Iterator[Path]:
    """Yield a fresh staging folder inside ``folder`` for ``command``'s outputs; when the block
    succeeds, commit what was written there as the command's new set (see the module docstring,
    and :func:`plan_commit` for ``source``, ``retain`` and ``borrowed``). With ``link_inputs`` the
    stage starts with links to ``folder``'s files, which the run reads; only what it rewrites
    moves. ``last`` names the file moved last. On any exception the folder keeps its old set."""
    folder = make_output_dir(folder)
    recover(folder, command)
    stage = folder / f"{staging_prefix(command)}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    try:
        if link_inputs:
            _link_inputs(folder, stage)
        yield stage
        moves = _changed_files(folder, stage, last)
        plan = plan_commit(folder, command, moves, source=source, retain=retain, borrowed=borrowed)
    except RepairError as error:  # name the user's files, not their links in the hidden stage
        shutil.rmtree(stage, ignore_errors=True)
        message = str(error).replace(str(stage), str(folder))
        if message == str(error):
            raise
        raise type(error)(message) from error
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _commit(stage, folder, plan)
