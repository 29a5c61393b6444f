"""Running the suite under pytest-xdist (``-n 2``): what the pytest plugin does differently.

Each worker runs a share of the scenarios and keeps the requirement bookkeeping for its share; it
hands that to the controller when it ends, and only the controller writes the reports and the
summary (a worker's would show its share as "not run").

Against systems the workers share (a profile's), two scenarios run at the same time: emptying
the systems (reset), pinning their clock or injecting faults (a fault meant for one scenario's
next request hits whichever request comes next) would change what the other one observes, so
those capabilities are withdrawn there and the scenarios that need them are skipped, saying why. An
embedded target (inprocess, local) is each worker's own and keeps them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .catalogue import TaggedScenario

SHARED_STATE = {"reset": "would empty the systems under the other workers' scenarios",
                "clock": "would move the other workers' scenarios' time",
                "faults": "would make the systems misbehave under the other workers' scenarios"}
_KEY = "kipu_harness"
_WITHDRAWN = pytest.StashKey[dict]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def withdraw_shared_state(config: pytest.Config, target: Any, shared: bool) -> None:
    """On a worker of a run against shared systems, drop the capabilities that change global state."""
    if not (is_worker(config) and shared):
        return
    withdrawn = {c: why for c, why in SHARED_STATE.items() if c in target.capabilities}
    target.capabilities = frozenset(target.capabilities - set(withdrawn))
    config.stash[_WITHDRAWN] = withdrawn


def why_missing(config: pytest.Config, capability: str) -> str:
    why = config.stash.get(_WITHDRAWN, {}).get(capability)
    return f" (withdrawn under pytest-xdist: it {why})" if why else ""


def hand_over(config: pytest.Config, state: Any) -> None:
    """On a worker: its share of the bookkeeping, in types execnet carries, for the controller."""
    config.workeroutput[_KEY] = {  # type: ignore[attr-defined]
        "scenarios": {nodeid: [name, list(ids)] for nodeid, (name, ids) in state.scenarios.items()},
        "outcomes": {nodeid: list(outcome) for nodeid, outcome in state.outcomes.items()},
        "target_name": state.target_name,
        "tagged": [[str(s.feature), s.name, list(s.requirements)] for s in state.tagged],
        "collected": [list(c) if c else None for c in state.collected],
        "deselected": sorted(state.deselected),
        # Gherkin and step outcomes of every collected scenario; evidence of those it ran.
        "details": state.details,
        "addresses": state.addresses,
    }


def take_over(state: Any, node: Any) -> None:
    """On the controller: merge one worker's share (every worker collected every scenario; each ran some)."""
    share = getattr(node, "workeroutput", {}).get(_KEY)
    if not share:
        return
    state.scenarios.update({nodeid: (name, tuple(ids)) for nodeid, (name, ids) in share["scenarios"].items()})
    state.outcomes.update({nodeid: (outcome, detail) for nodeid, (outcome, detail) in share["outcomes"].items()})
    if share["outcomes"] or state.target_name == "not started":
        state.target_name = share["target_name"]
    state.tagged = state.tagged or [TaggedScenario(Path(f), name, tuple(ids)) for f, name, ids in share["tagged"]]
    state.collected |= {tuple(c) if c else None for c in share["collected"]}
    state.deselected |= set(share["deselected"])
    for nodeid, detail in share["details"].items():  # a worker that ran the scenario knows its steps
        if nodeid in share["outcomes"] or nodeid not in state.details:
            state.details[nodeid] = detail
    state.addresses = state.addresses or share["addresses"]
