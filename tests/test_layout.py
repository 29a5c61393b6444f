"""The project's own layout (issue 7): no module over 400 lines, and no import circle among the
project's modules. Both read the source as it is on disk, from the repository root."""

from __future__ import annotations

import ast
import tomllib
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("harness", "mocks", "plugins", "scenarios", "simulation", "tests", "bench", "load")
MAX_LINES = 400

Graph = dict[str, dict[str, str]]  # module -> {imported module: where ("path:line")}


# -- finding the modules ---------------------------------------------------------------------

def package_dirs(root: Path = ROOT) -> dict[str, str]:
    """{folder: package}, as pyproject.toml's [tool.setuptools.package-dir] maps them."""
    config = tomllib.loads((root / "pyproject.toml").read_text())
    return {folder: package for package, folder in config["tool"]["setuptools"]["package-dir"].items()}


def python_files(root: Path = ROOT, sources: tuple[str, ...] = SOURCES) -> list[Path]:
    skipped = {".venv", "__pycache__", "build", "dist"}
    return [path for top in sources for path in sorted((root / top).rglob("*.py"))
            if not skipped & set(path.relative_to(root).parts)]


def module_name(path: Path, root: Path, folders: dict[str, str]) -> str:
    """``harness/wire/x12.py`` -> ``kipu_harness.wire.x12``; a package's ``__init__`` is the package.
    A file of a folder that is no package (tests/, bench/) is named ``folder.stem``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    for cut in range(len(parts) - 1, 0, -1):  # the longest folder pyproject names wins
        folder = "/".join(parts[:cut])
        if folder in folders:
            parts = folders[folder].split(".") + parts[cut:]
            break
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_of(root: Path = ROOT, sources: tuple[str, ...] = SOURCES,
               folders: dict[str, str] | None = None) -> dict[str, Path]:
    folders = package_dirs(root) if folders is None else folders
    return {module_name(path, root, folders): path for path in python_files(root, sources)}


# -- the import graph ------------------------------------------------------------------------

def imported(node: ast.Import | ast.ImportFrom, module: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """The project modules one import statement loads, by name: ``from pkg import name`` is
    ``pkg.name`` when that is a module, else ``pkg`` (its ``__init__``). Parent packages that
    Python also initialises on the way are not counted: an edge is what the statement names."""
    if isinstance(node, ast.Import):
        return [_local(alias.name, module, modules) for alias in node.names]
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = package[:len(package) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = _local(node.module or "", module, modules)
    return [f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target for alias in node.names]


def _local(name: str, module: str, modules: dict[str, Path]) -> str:
    """A bare import in a folder that is no package (tests/, bench/) finds its sibling first, as
    pytest's rootdir insertion on sys.path makes it."""
    folder = module.rpartition(".")[0]
    sibling = f"{folder}.{name}"
    return sibling if folder and sibling in modules and folder not in modules else name


def import_graph(modules: dict[str, Path], root: Path = ROOT) -> Graph:
    """Every ``import`` and ``from ... import``, at any depth (functions, ``if TYPE_CHECKING``)."""
    graph: Graph = {module: {} for module in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in imported(node, module, path, modules):
                    if target in modules:
                        graph[module].setdefault(target, f"{path.relative_to(root)}:{node.lineno}")
    return graph


# -- strongly connected components (Tarjan, without recursion) -----------------------------------

def cycles(graph: dict[str, dict[str, str]] | dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component that is a cycle: two modules or more, or one importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in sorted(graph):
        if root in index:
            continue
        visit(root)
        work = [(root, iter(sorted(graph[root])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    visit(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1 or node in graph.get(node, ()):
                        found.append(sorted(component))
    return sorted(found)


def one_loop(graph: Graph, component: list[str]) -> list[str]:
    """A shortest import path from the component's first module back to itself."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1] + [start]
            if child in members and child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"no loop through {start}")


def describe(graph: Graph, component: list[str]) -> str:
    loop = one_loop(graph, component)
    steps = "\n".join(f"    {a} -> {b}  ({graph[a][b]})" for a, b in zip(loop, loop[1:]))
    return f"import cycle among {len(component)} module(s): {', '.join(component)}\n  for example:\n{steps}"


# -- the tests ---------------------------------------------------------------------------------

def test_no_module_is_over_400_lines():
    counts = {path.relative_to(ROOT): len(path.read_text().splitlines()) for path in python_files()}
    assert len(counts) > 50, sorted(counts)  # the scan did find the project
    over = sorted(((n, str(p)) for p, n in counts.items() if n > MAX_LINES), reverse=True)
    assert not over, f"{len(over)} module(s) over {MAX_LINES} lines:\n" + "\n".join(f"  {p}: {n}" for n, p in over)


def test_no_import_cycle_among_the_projects_modules():
    modules = modules_of()
    assert {"kipu_harness", "kipu_harness.mocks", "kipu_harness.scenarios.conftest", "tests.mockkit"} <= set(modules)
    graph = import_graph(modules)
    found = cycles(graph)
    assert not found, "\n".join(describe(graph, component) for component in found)


def test_the_cycle_finder_finds_a_cycle_and_passes_a_dag():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": set()}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}, "b": set()}) == [["a"]]
    assert cycles({"a": {"b", "c"}, "b": {"c", "d"}, "c": {"d"}, "d": set()}) == []
    two = {"a": {"b"}, "b": {"a", "c"}, "c": {"d"}, "d": {"c"}, "e": {"a"}}
    assert cycles(two) == [["a", "b"], ["c", "d"]]


def _package(tmp_path: Path, files: dict[str, str]) -> Graph:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return import_graph(modules_of(tmp_path, ("src",), {"src": "pkg"}), tmp_path)


def test_a_package_importing_its_submodules_is_no_cycle_until_one_imports_the_init_back(tmp_path):
    graph = _package(tmp_path, {
        "src/__init__.py": "from .sub import helper\nfrom . import other\n",
        "src/sub.py": "from pkg.other import NAME\n\ndef helper():\n    from . import other\n",
        "src/other.py": "import json\nNAME = 1\n",
    })
    assert graph == {"pkg": {"pkg.sub": "src/__init__.py:1", "pkg.other": "src/__init__.py:2"},
                     "pkg.sub": {"pkg.other": "src/sub.py:1"}, "pkg.other": {}}
    assert cycles(graph) == []
    # A name defined in the package's __init__, imported back inside a function: a cycle.
    (tmp_path / "src/other.py").write_text("def late():\n    from pkg import helper\n")
    graph = import_graph(modules_of(tmp_path, ("src",), {"src": "pkg"}), tmp_path)
    assert cycles(graph) == [["pkg", "pkg.other", "pkg.sub"]]
    assert describe(graph, ["pkg", "pkg.other", "pkg.sub"]).endswith(
        "    pkg -> pkg.other  (src/__init__.py:2)\n    pkg.other -> pkg  (src/other.py:2)")
