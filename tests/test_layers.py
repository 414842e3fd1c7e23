"""The package's layers, read from every import of every module (with ``ast``, so imports
inside functions and ``if TYPE_CHECKING:`` blocks count too).

From the top: ``__main__`` > ``cli`` > ``app`` > the middle layer (``methods``,
``robustness``, ``drift``, ``variability``, ``datasets``, ``models``, ``executors``,
``reports``) > ``core`` and ``registry`` > ``errors`` and ``repair/__init__.py``
(``__version__`` only). A module imports its own part and the parts below it; inside the
middle layer, one part imports another only where :data:`SIBLING_EDGES` gives the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "repair"

RANK = {
    "__init__": 0,
    "errors": 0,
    "core": 1,
    "registry": 1,  # finds plugins by name for datasets/ and methods/; imports errors only
    "methods": 2,
    "robustness": 2,
    "drift": 2,
    "variability": 2,
    "datasets": 2,
    "models": 2,  # architecture plugins, like datasets/
    "executors": 2,
    "reports": 2,
    "app": 3,
    "cli": 4,
    "__main__": 5,  # python -m repair: runs the CLI
}
MIDDLE = 2
# Charts draw what a concern computed (STYLE.md 12: compute in the concern, draw in reports),
# so reports/ reads the concern's result rows; the concerns never import reports/.
SIBLING_EDGES = {("reports", "drift"), ("reports", "robustness")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    """Whether ``name`` (``repair.core.data``) is a module or package of ``repair``."""
    top, *rest = name.split(".")
    base = PACKAGE.joinpath(*rest)
    return top == "repair" and (
        base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
    )


def imported_modules(path: Path, source: str) -> list[tuple[int, str]]:
    """(line, module) for every import in ``source`` (the text of ``path``) that names a module
    of ``repair``; ``from repair.x import y`` names ``repair.x.y`` when that is a module."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((node.lineno, full if is_module(full) else base))
    return [(line, module) for line, module in found if module.split(".")[0] == "repair"]


def part_of(module: str) -> str:
    """The part of the package a module belongs to: ``repair.core.data`` -> ``core``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def package_edges(changed: Mapping[Path, str] | None = None) -> list[tuple[str, str, str]]:
    """(where, from part, to part) for every import from one part of the package to another;
    ``changed`` gives some modules' text in place of what is on disk."""
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = part_of(module_name(path))
        text = (changed or {}).get(path) or path.read_text(encoding="utf-8")
        for line, module in imported_modules(path, text):
            target = part_of(module)
            if target != source:
                where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
                edges.append((where, source, target))
    return edges


def climbs(edges: list[tuple[str, str, str]]) -> list[str]:
    bad = []
    for where, source, target in edges:
        assert source in RANK and target in RANK, f"{where}: place {source!r} in RANK"
        sideways = RANK[source] == RANK[target] == MIDDLE
        if RANK[target] > RANK[source] or (sideways and (source, target) not in SIBLING_EDGES):
            bad.append(f"{where} ({source} -> {target})")
        elif RANK[target] == RANK[source] and not sideways:
            bad.append(f"{where} ({source} -> {target}: same layer)")
    return bad


def test_no_module_imports_a_layer_above_it_or_a_sibling_without_a_reason() -> None:
    edges = package_edges()
    assert len(edges) > 100  # the walk found the package's imports
    assert climbs(edges) == []


def test_every_part_of_the_package_has_a_place_in_the_layers() -> None:
    parts = {part_of(module_name(path)) for path in PACKAGE.rglob("*.py")}
    assert parts <= set(RANK), sorted(parts - set(RANK))


CLIMBS = [
    ("core/requirements.py", "from repair.variability.stats import spread", "core -> variability"),
    ("core/iterations.py", "    from repair.app.utils import test", "core -> app"),
    ("drift/embeddings.py", "from repair.methods.arachne import activations", "drift -> methods"),
    ("robustness/audit_run.py", "if TYPE_CHECKING:\n    import repair.reports", "-> reports"),
    ("errors.py", "from .core import data", "errors -> core"),
    ("registry.py", "from repair import core", "registry -> core: same layer"),
]


@pytest.mark.parametrize(("source", "line", "expected"), CLIMBS)
def test_the_walk_catches_a_climb_wherever_the_import_sits(
    source: str, line: str, expected: str
) -> None:
    """An import against the layers, at module level, inside a function, under TYPE_CHECKING
    or relative, is reported with its file and line."""
    path = PACKAGE / source
    code = path.read_text(encoding="utf-8") + f"\n\ndef _added() -> None:\n    pass\n{line}\n"
    found = climbs(package_edges({path: code}))
    assert len(found) == 1 and found[0].startswith(f"repair/{source}:") and expected in found[0]
