"""Each step's definition looked up once per module of scenarios, among the definitions that
module sees, instead of through every fixture of the session for every step.

pytest-bdd finds the definition of a step by asking pytest, for every fixture name of the
session (about 120 here), which definitions the scenario can see, and then which of those parses
the step's text: some 250,000 look-ups for the suite's 2,000 steps, the largest single cost of a
run after the systems' own work. Here the step definitions a module sees are listed once (the
same question to pytest, in the same order), and a step is matched against them once per module.
That is pytest-bdd's own answer as long as step definitions live in conftest.py and the steps
modules (collected before any scenario runs), never on a single scenario: the suite's do.
The answers are kept per pytest session (each mutant's pytest.main in tests/mutants starts afresh).
"""

from __future__ import annotations

import importlib
import weakref
from collections.abc import Iterable
from typing import Any

_bdd = importlib.import_module("pytest_bdd.scenario")  # the package exports a function of that name
_find = _bdd.find_fixturedefs_for_step
# Per FixtureManager (one per session): {module nodeid: [(definition, step context)]} and
# {(step type, step text, module nodeid): the matching definitions}.
_visible: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
_answers: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _definitions(fixturemanager: Any, where: Any) -> list[tuple[Any, Any]]:
    """Every step definition visible to ``where``, in pytest-bdd's order (fixture names, then
    pytest's order of the definitions of each)."""
    seen = _visible.setdefault(fixturemanager, {})
    if where.nodeid not in seen:
        found = []
        for name in _bdd.get_fixture_names(fixturemanager=fixturemanager):
            for fixturedef in _bdd.getfixturedefs(fixturemanager, name, where) or []:
                context = _bdd.step_function_context_registry.get(fixturedef.func)
                if context is not None:
                    found.append((fixturedef, context))
        seen[where.nodeid] = found
    return seen[where.nodeid]


def find_fixturedefs_for_step(step: Any, fixturemanager: Any, node: Any) -> Iterable[Any]:
    """pytest-bdd's ``find_fixturedefs_for_step``, answered once per (step type, text, module)."""
    where = node.parent if node.parent is not None else node
    key = (step.type, step.name, where.nodeid)
    answers = _answers.setdefault(fixturemanager, {})
    if key not in answers:
        answers[key] = tuple(fixturedef for fixturedef, context in _definitions(fixturemanager, where)
                             if (context.type is None or context.type == step.type)
                             and context.parser.is_matching(step.name))
    return iter(answers[key])


def install() -> None:
    """Make pytest-bdd use this lookup (it calls the module's global by name)."""
    if _bdd.find_fixturedefs_for_step is _find:
        _bdd.find_fixturedefs_for_step = find_fixturedefs_for_step
