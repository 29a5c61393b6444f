"""The wire library (kipu_harness.wire): every module says what it holds, stays under 400
lines, depends on nothing else of the project, and no import inside it goes round in a circle
(imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WIRE = Path(__file__).resolve().parent.parent / "harness" / "wire"
MODULES = sorted(WIRE.rglob("*.py"))


def name_of(path: Path) -> str:
    parts = ["kipu_harness", *path.relative_to(WIRE.parent).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The project modules ``path`` imports, at any depth, by their absolute names."""
    module = name_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            found |= {f"{target}.{alias.name}" if f"{target}.{alias.name}" in NAMES else target
                      for alias in node.names}
    return {name for name in found if name.startswith("kipu_harness")}


NAMES = {name_of(path) for path in MODULES}


def test_the_wire_library_has_the_expected_packages():
    assert {"kipu_harness.wire", "kipu_harness.wire.hl7v2", "kipu_harness.wire.x12",
            "kipu_harness.wire.x12.claims", "kipu_harness.wire.x12.eligibility"} <= NAMES
    assert not (WIRE.parent.parent / "plugins" / "x12_claims.py").exists()


@pytest.mark.parametrize("path", MODULES, ids=[name_of(p) for p in MODULES])
def test_each_module_is_small_and_says_what_it_holds(path):
    assert len(path.read_text().splitlines()) <= 400
    assert ast.get_docstring(ast.parse(path.read_text())), f"{path.name} has no docstring"


@pytest.mark.parametrize("path", MODULES, ids=[name_of(p) for p in MODULES])
def test_wire_depends_on_nothing_else_of_the_project(path):
    outside = {name for name in imports_of(path) if not name.startswith("kipu_harness.wire")}
    assert outside == set()


def test_no_import_circle_in_wire():
    graph = {name_of(path): imports_of(path) & NAMES for path in MODULES}
    # An edge from a package to its own modules is how a package exposes them; a module that
    # imported its package back would close a circle, and is caught like any other.
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        assert node not in path, " -> ".join([*path, node])
        if node in done:
            return
        for target in graph[node]:
            visit(target, [*path, node])
        done.add(node)

    for node in graph:
        visit(node, [])
