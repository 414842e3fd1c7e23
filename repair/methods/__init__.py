"""Repair methods: plugins found through the entry-point group ``repair.methods``.

The built-in ``arachne`` is declared in ``pyproject.toml`` exactly like a third-party method.
"""

from __future__ import annotations

from repair import registry
from repair.errors import PluginNotFoundError
from repair.methods.base import RepairMethod


def available_methods() -> list[str]:
    """Names of the registered methods, sorted."""
    return registry.available(registry.METHODS)


def load_method(name: str) -> type[RepairMethod]:
    """The method class registered as ``name`` (case-insensitive), checked to be a method."""
    plugin = registry.load(registry.METHODS, name)
    if not (isinstance(plugin, type) and issubclass(plugin, RepairMethod)):
        raise PluginNotFoundError(
            f"repair method '{name}' is registered as {plugin!r}, which is not a subclass of "
            "repair.methods.base.RepairMethod"
        )
    return plugin
