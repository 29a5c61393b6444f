"""Each step's definition looked up once per module of scenarios, not once per scenario.

pytest-bdd finds the definition of a step by asking pytest, for every fixture name of the
session (about 120 here), which definitions the scenario can see, and then which of those parses
the step's text: some 250,000 look-ups for the suite's 2,000 steps, the largest single cost of a
run after the systems' own work. The answer depends only on the step's type and text and on the
definitions the scenario's module sees; step definitions live in conftest.py and the steps
modules (collected before any scenario runs), never on a scenario, so a module's scenarios share
it. The answers are kept per pytest session (a new session, e.g. each mutant's pytest.main in
tests/mutants, looks everything up afresh).
"""

from __future__ import annotations

import importlib
import weakref
from collections.abc import Iterable
from typing import Any

_bdd = importlib.import_module("pytest_bdd.scenario")  # the package exports a function of that name
_find = _bdd.find_fixturedefs_for_step
_answers: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()  # per FixtureManager


def find_fixturedefs_for_step(step: Any, fixturemanager: Any, node: Any) -> Iterable[Any]:
    """pytest-bdd's own lookup, remembered per (step type, step text, the scenario's module)."""
    where = node.parent if node.parent is not None else node
    key = (step.type, step.name, where.nodeid)
    answers = _answers.setdefault(fixturemanager, {})
    if key not in answers:
        answers[key] = tuple(_find(step=step, fixturemanager=fixturemanager, node=node))
    return iter(answers[key])


def install() -> None:
    """Make pytest-bdd use the remembered lookup (it calls the module's global by name)."""
    if _bdd.find_fixturedefs_for_step is _find:
        _bdd.find_fixturedefs_for_step = find_fixturedefs_for_step
