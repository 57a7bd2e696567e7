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

# The packages of ``uchet``, bottom to top: a module may import its own layer and lower ones
# only. A module belongs to the longest prefix listed (``uchet.web.app`` is the assembly, above
# the web's base modules; ``uchet.printeditor.views`` are screens built on the web base).
PACKAGE_LAYERS: tuple[tuple[str, ...], ...] = (
    ("uchet.hookspecs",),  # the hook contract: pluggy and SQLAlchemy only, at run time
    ("uchet.platform",),  # the engine (its own layers are in LAYERS)
    ("uchet.configurations",),  # bundles, overlays, loading
    ("uchet.core",),  # Platform
    (
        "uchet.printeditor",
        "uchet.formdesigner.__init__",
        "uchet.formdesigner.model",
        "uchet.formdesigner.layout",
        "uchet.formdesigner.designops",
        "uchet.formdesigner.listdesign",
        "uchet.formdesigner.provenance",
        "uchet.sample_crm",
    ),
    ("uchet.formdesigner.render",),  # the card layout rendered with url_for
    ("uchet.web",),  # the web's base modules: context, views, forms, lists, cards, auth
    # The print screens and the structure editor's screens (issue 14), built on the web base
    # and registered by the builder; the configuration versions page (issue 16) on the latter.
    (
        "uchet.printeditor.views",
        "uchet.formdesigner.views",
        "uchet.formdesigner.tableviews",
        "uchet.formdesigner.fieldviews",
        "uchet.formdesigner.designviews",
        "uchet.formdesigner.listdesigner",
    ),
    ("uchet.formdesigner.versions",),
    ("uchet.web.builder",),  # the inner app of one configuration version
    ("uchet.web.app", "uchet.web.__init__"),  # the app factory and embedding
    ("uchet.cli",),  # the command line
    ("uchet.__init__",),  # the public API
)

# Modules whose ``if TYPE_CHECKING:`` imports are not edges: the hook contract is imported by
# the engine at run time, and names the objects of the layers that call the hooks (Platform,
# RecordService) for type checkers only.
TYPE_ONLY_EXEMPT: frozenset[str] = frozenset({"uchet.hookspecs"})

# Packages whose modules must form no import cycle among themselves.
ACYCLIC_PACKAGES: tuple[str, ...] = ("uchet",)


@dataclass(frozen=True)
class Import:
    """One import of a ``uchet`` module by another, with where it is written."""

    importer: str
    imported: str
    line: int
    #: Written under ``if TYPE_CHECKING:`` (never runs).
    type_only: bool = False

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
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for part in node.body
        for inner in ast.walk(part)
    }
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
                yield Import(module, target, node.lineno, id(node) in type_only)


def import_graph() -> list[Import]:
    """All imports among the modules of ``uchet`` (but the exempt type-only ones)."""
    modules = all_modules()
    return [
        imp
        for name, path in modules.items()
        for imp in imports_of(name, path, modules)
        if not (imp.type_only and imp.importer in TYPE_ONLY_EXEMPT)
    ]


def package_layer(module: str) -> int:
    """The index in :data:`PACKAGE_LAYERS` of the longest prefix ``module`` has."""
    best, found = -1, -1
    for index, prefixes in enumerate(PACKAGE_LAYERS):
        for prefix in prefixes:
            # ``uchet.web.__init__`` names the package module itself, not its submodules.
            if prefix.endswith(".__init__"):
                if module == prefix.removesuffix(".__init__") and len(prefix) > best:
                    best, found = len(prefix), index
            elif (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    assert found >= 0, f"{module} is in no layer of PACKAGE_LAYERS"
    return found


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


def test_packages_point_down() -> None:
    """Issue 11: no module imports one of a higher layer, in functions and for types too."""
    wrong = []
    for imp in import_graph():
        src, dst = package_layer(imp.importer), package_layer(imp.imported)
        if dst > src:
            wrong.append(f"{imp} ({PACKAGE_LAYERS[src][0]} < {PACKAGE_LAYERS[dst][0]})")
    assert not wrong, "imports from a higher layer:\n" + "\n".join(wrong)


def test_every_module_has_a_layer() -> None:
    for module in all_modules():
        package_layer(module)


WEB_LIBRARIES = ("flask", "flask_admin", "flask_babel", "flask_login", "werkzeug", "wtforms")


@pytest.mark.parametrize(
    "package", ["uchet.platform", "uchet.configurations", "uchet.core", "uchet.formdesigner.model"]
)
def test_no_web_library_below_the_web(package: str) -> None:
    """The engine, the print render core and the layout model import no Flask or WTForms."""
    modules = {
        m: p
        for m, p in all_modules().items()
        if (m == package or m.startswith(package + "."))
        or (m.startswith("uchet.printeditor") and not m.startswith("uchet.printeditor.views"))
    }
    wrong = []
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            wrong += [f"{module}:{node.lineno} imports {n}" for n in names
                      if n.split(".")[0] in WEB_LIBRARIES]  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_the_graph_is_seen() -> None:
    # Guards the parser: if it stopped resolving imports, every check above would pass vacuously.
    edges = {(i.importer, i.imported) for i in import_graph()}
    assert ("uchet.platform.plugins", "uchet.platform.fieldtypes") in edges
    assert ("uchet.platform.fieldtypes", "uchet.platform.fieldtypes.base") in edges
    assert ("uchet.web.builder", "uchet.printeditor.views.editor") in edges
    assert ("uchet.cli.migrate", "uchet.cli.common") in edges
