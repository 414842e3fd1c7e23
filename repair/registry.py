"""Find plugins by name through entry points, loading only the one asked for.

Built-in datasets, model architectures and repair methods are declared in ``pyproject.toml``
through the same entry-point groups a third-party package uses, so both take one path.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from repair.errors import PluginNotFoundError

DATASETS = "repair.datasets"
MODELS = "repair.models"
METHODS = "repair.methods"


# In a dataclass field's metadata (a plugin option, a sweep unit's spec): the field names a
# file or folder, so that it travels with the inputs to workers that share no disk with the
# driver and is relocated there (repair.app.shipping).
PATH_OPTION = "path"


@dataclass(frozen=True)
class NoOptions:
    """The options class of a plugin (or of one of its steps) that has no options of its own."""


_KIND = {DATASETS: "dataset", MODELS: "model", METHODS: "repair method"}


def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name.lower(): ep for ep in entry_points(group=group)}


def available(group: str) -> list[str]:
    """The names registered in ``group``, sorted."""
    return sorted(ep.name for ep in entry_points(group=group))


def load(group: str, name: str) -> Any:
    """The object registered as ``name`` in ``group``; names match case-insensitively."""
    entry = _entry_points(group).get(name.lower())
    if entry is None:
        kind = _KIND.get(group, "plugin")
        names = ", ".join(available(group)) or "none"
        raise PluginNotFoundError(f"no {kind} '{name}'. Available: {names}")
    return entry.load()
