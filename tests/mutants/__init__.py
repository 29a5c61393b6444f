"""Deliberately broken integrations and mocks: at least one per requirement of the catalogue.

Each mutant breaks exactly one documented rule the way a vendor plausibly would (swapped
priorities, an off-by-one cap, a mapping applied to one row only, the right field from the wrong
source, a trigger that fires once but not on re-send, a refusal that still stores the record).
It is a function that monkeypatches one function of the mocks (``kipu_harness.mocks``) or of
the reference integration (``kipu_harness.plugins``); the in-process target runs both in the
pytest process, so the patch is what the scenarios meet. ``python tests/mutants`` (runner.py)
runs each one against only the scenarios tagged with its requirement(s) and reports every
survivor: a mutant the suite does not catch is a hole in the suite.

One module per rule family (systems, workflow, patient, insurance, authorizations, billing,
process, settings), each mutant a decorated function: ``@mutant(name, *requirement IDs,
breaks=...)`` over the code that applies it, with ``wrap``/``replace``/``patch`` from ``kit``.
``python tests/mutants --list`` prints the table: name, requirement IDs, what it breaks.
"""

from __future__ import annotations

from .kit import Mutant, mutant, patch, registered, replace, wrap

__all__ = ["Mutant", "all_mutants", "mutant", "patch", "replace", "wrap"]


def all_mutants() -> list[Mutant]:
    from . import authorizations, billing, insurance, patient, process, settings, systems, workflow  # noqa: F401

    return registered()
