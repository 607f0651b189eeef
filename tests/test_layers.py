"""The package's imports flow one way (docs/architecture.md).

Every module of ``eventstudy`` belongs to one layer of :data:`LAYERS`, written once here, lowest
first. A module may import modules of its own layer or of a lower one, never of a higher one, and
no chain of imports may come back to where it started. All imports count: at the top of a module,
inside a function (lazy imports) and under ``if TYPE_CHECKING:``, because each is a dependency a
reader has to follow. The graph is read from the source with :mod:`ast`, so nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eventstudy"

#: The layers, lowest first, and the module prefixes each holds (a module belongs to the layer of
#: its longest matching prefix).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("eventstudy._version", "eventstudy._typing", "eventstudy.errors",
                    "eventstudy._atomic", "eventstudy._display", "eventstudy._lazy",
                    "eventstudy.schema")),
    ("calendar", ("eventstudy.sessions",)),
    ("inputs", ("eventstudy.events", "eventstudy.prices")),
    ("estimation", ("eventstudy.estimation",)),
    ("inference", ("eventstudy.inference",)),
    ("study", ("eventstudy.study",)),
    ("present", ("eventstudy.present",)),
    ("cli", ("eventstudy.cli",)),
    ("api", ("eventstudy", "eventstudy.__main__", "eventstudy.distributed")),
)


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, modules: Iterable[str], root: Path = PACKAGE) -> set[str]:
    """The package modules ``path`` imports, anywhere in its body.

    ``from a.b import c`` counts as an import of ``a.b.c`` when that is a module of the package,
    else of ``a.b``; relative imports are resolved against the module's package.
    """
    known = set(modules)
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                child = f"{source}.{alias.name}"
                found.add(child if child in known else source)
    return {m for m in found if m in known and m != name}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {name: imports_of(path, files, root) for name, path in files.items()}


def layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    return rank


def upward_imports(graph: Mapping[str, set[str]],
                   layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> list[str]:
    """Every import of a module from a higher layer, as readable lines."""
    names = [n for n, _ in layers]
    return [f"{a} ({names[layer_of(a, layers)]}) imports {b} ({names[layer_of(b, layers)]})"
            for a, deps in sorted(graph.items()) for b in sorted(deps)
            if layer_of(b, layers) > layer_of(a, layers)]


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# --- the package ---------------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in import_graph() if layer_of(m) < 0]
    assert not unplaced, f"modules without a layer in LAYERS: {unplaced}"


def test_no_import_points_up_the_layers() -> None:
    assert upward_imports(import_graph()) == []


def test_no_circle_of_imports() -> None:
    assert cycles(import_graph()) == []


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    # The batch engine loads its compiled kernels inside a function, and the single-pair study
    # reaches the results objects at the top: both must be edges of the graph.
    graph = import_graph()
    assert "eventstudy.estimation._jit" in graph["eventstudy.study.batch.engine"]
    assert "eventstudy.study.results" in graph["eventstudy.study.single"]


def test_results_objects_never_import_presentation() -> None:
    graph = import_graph()
    for name in ("eventstudy.study.results", "eventstudy.study.pooled",
                 "eventstudy.study.batch.result"):
        assert not {m for m in graph[name] if m.startswith("eventstudy.present")}, name


def test_no_module_is_longer_than_the_style_guide_allows() -> None:
    # ../shared/docs/style.md: small modules, one concept each (400 lines at most).
    long = {module_name(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


# --- the checks themselves can fail --------------------------------------------------------------


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_circle_is_found(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "def f():\n    from pkg.c import g\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n",
        "d.py": "import pkg.a\n",
    })
    graph = import_graph(root)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"} and graph["pkg.d"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


@pytest.mark.parametrize(("importer", "imported", "upward"), [
    ("eventstudy.study.results", "eventstudy.present.terminal", True),
    ("eventstudy.inference.aggregate", "eventstudy.study.results", True),
    ("eventstudy.events", "eventstudy.sessions", False),
    ("eventstudy.sessions.offsets", "eventstudy.events", True),
    ("eventstudy.present.markdown", "eventstudy", True),
    ("eventstudy", "eventstudy.cli", False),
], ids=["results->present", "aggregate->results", "events->sessions", "sessions->events",
        "present->package-root", "root->cli"])
def test_an_upward_import_is_found(importer: str, imported: str, upward: bool) -> None:
    assert bool(upward_imports({importer: {imported}})) is upward


# --- rendering without an upward import ----------------------------------------------------------


def test_results_render_through_the_registry() -> None:
    from rich.text import Text

    from eventstudy import _display

    class Unregistered(_display.Rendered):
        pass

    class Registered(_display.Rendered):
        pass

    class Child(Registered):
        pass

    with pytest.raises(LookupError, match="no terminal rendering is registered for Unregistered"):
        str(Unregistered())
    _display.register(Registered, lambda obj: Text("drawn"), lambda obj: "plain")
    try:
        assert str(Child()) == "plain"  # looked up along the class's MRO
        assert Child().__rich__().plain == "drawn"
    finally:
        del _display._RENDERERS[Registered]


def test_the_package_registers_the_terminal_renderers() -> None:
    import eventstudy
    from eventstudy import _display
    from eventstudy.present import terminal

    assert _display._lookup(eventstudy.EventStudyResult.__new__(eventstudy.EventStudyResult)) == (
        terminal.render_study, terminal.plain_text)
    assert _display._lookup(eventstudy.PooledResult.__new__(eventstudy.PooledResult)) == (
        terminal.render_pooled, terminal.plain_text)
