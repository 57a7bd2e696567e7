"""The import graph of ``uchet`` points one way.

Every module of ``src/uchet`` is parsed with :mod:`ast` (nothing is imported), and every import
of a ``uchet.*`` module is collected: at module level, inside functions and under
``TYPE_CHECKING``, because a circle hidden in a function is still a circle. The graph is then
checked against :data:`LAYERS`, :data:`FORBIDDEN` and, for :data:`ACYCLIC_PACKAGES`, for cycles.

To extend the rules to the rest of the package, add a table to :data:`LAYERS` (or a package to
:data:`ACYCLIC_PACKAGES`); the tests read them and need no other change.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

# Layers inside a package, bottom to top. A module of a layer may import from its own layer
# and from lower ones only. A layer is a subpackage or a module directly under the package;
# modules of the package not listed here (the package's own ``__init__``) are not checked.
LAYERS: dict[str, tuple[str, ...]] = {
    "uchet.platform": (
        "model",
        "fieldtypes",
        "formula",
        "checks",
        "schema",
        "query",
        "records",
        "features",
        "plugins",
    ),
}

# Packages that must not import these packages at all (the engine knows nothing of the layers
# built on it).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "uchet.platform": (
        "uchet.configurations",
        "uchet.core",
        "uchet.web",
        "uchet.cli",
        "uchet.printeditor",
        "uchet.formdesigner",
        "uchet.sample_crm",
    ),
}

# Packages whose modules must form no import cycle among themselves.
ACYCLIC_PACKAGES: tuple[str, ...] = ("uchet.platform",)


@dataclass(frozen=True)
class Import:
    """One import of a ``uchet`` module by another, with where it is written."""

    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def module_name(path: Path) -> str:
    """The dotted name of the module in ``path`` under :data:`SRC`."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    """Every module of ``uchet`` by its dotted name."""
    return {module_name(p): p for p in sorted((SRC / "uchet").rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names, relative imports included."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    # In a package's __init__ the package itself is level 1; in a module its parent is.
    drop = node.level - 1 if is_package else node.level
    base = base[: len(base) - drop] if drop else base
    return ".".join([*base, node.module] if node.module else base)


def _target(name: str, modules: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` is or lies in (``a.b.C`` -> ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    """Every import of a ``uchet`` module in ``path``, wherever it is written."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, is_package, node)
            # ``from pkg import mod`` imports the submodule when there is one.
            names = [f"{source}.{alias.name}" for alias in node.names] or [source]
            names = [n if n in modules else source for n in names]
        for name in names:
            if not name.startswith("uchet"):
                continue
            target = _target(name, modules)
            if target is not None and target != module:
                yield Import(module, target, node.lineno)


def import_graph() -> list[Import]:
    """All imports among the modules of ``uchet``."""
    modules = all_modules()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def _layer(module: str, package: str, layers: tuple[str, ...]) -> int | None:
    """The index of the layer ``module`` belongs to, or None when it is in none."""
    if not module.startswith(package + "."):
        return None
    head = module[len(package) + 1 :].split(".")[0]
    return layers.index(head) if head in layers else None


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete cycle through the first module of ``component``, for the message."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for succ in sorted(graph[node] & members):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if succ not in parents:
                parents[succ] = node
                queue.append(succ)
    return component


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_layers_point_down(package: str) -> None:
    layers = LAYERS[package]
    wrong = []
    for imp in import_graph():
        src = _layer(imp.importer, package, layers)
        dst = _layer(imp.imported, package, layers)
        if src is not None and dst is not None and dst > src:
            wrong.append(f"{imp} ({layers[src]} < {layers[dst]})")
    assert not wrong, "imports from a higher layer:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_forbidden_imports(package: str) -> None:
    banned = FORBIDDEN[package]
    wrong = [
        str(imp)
        for imp in import_graph()
        if (imp.importer == package or imp.importer.startswith(package + "."))
        and any(imp.imported == b or imp.imported.startswith(b + ".") for b in banned)
    ]
    assert not wrong, f"{package} imports what it must not:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", ACYCLIC_PACKAGES)
def test_no_import_cycles(package: str) -> None:
    def inside(module: str) -> bool:
        return module == package or module.startswith(package + ".")

    graph: dict[str, set[str]] = {m: set() for m in all_modules() if inside(m)}
    for imp in import_graph():
        if inside(imp.importer) and inside(imp.imported):
            graph[imp.importer].add(imp.imported)
    cycles = [_cycle_in(c, graph) for c in strongly_connected(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_is_seen() -> None:
    # Guards the parser: if it stopped resolving imports, every check above would pass vacuously.
    edges = {(i.importer, i.imported) for i in import_graph()}
    assert ("uchet.platform.plugins", "uchet.platform.fieldtypes") in edges
    assert ("uchet.platform.fieldtypes", "uchet.platform.fieldtypes.base") in edges
