"""Under pytest-xdist: a worker's share of the requirement bookkeeping reaches the controller whole,
and a worker against shared systems gives up the capabilities that change what others observe."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from kipu_harness.catalogue import TaggedScenario
from kipu_harness.parallel import hand_over, take_over, why_missing, withdraw_shared_state
from kipu_harness.pytest_plugin import _RunState


def _worker(**more):
    return SimpleNamespace(stash=pytest.Stash(), workerinput={"workerid": "gw0"}, workeroutput={}, **more)


def test_a_workers_share_reaches_the_controller_whole():
    share = _RunState()
    share.scenarios = {"a.py::one": ("one", ("PAT-01",)), "a.py::two": ("two", ("PAT-01", "PAT-02"))}
    share.outcomes = {"a.py::one": ("skipped", "target remote does not declare capability 'clock'")}
    share.target_name = "remote (dirty)"
    share.tagged = [TaggedScenario(Path("/f/a.feature"), "one", ("PAT-01",))]
    share.collected = {("/f/a.feature", "one"), None}
    share.deselected = {"a.py::two"}
    ran = {"title": "one", "steps": [["Given", "x", 3, "skipped"]], "evidence": [{"summary": "GET /x -> 200"}]}
    share.details = {"a.py::one": ran, "a.py::two": {"title": "two", "steps": [], "evidence": []}}
    share.addresses = {"emr": "http://127.0.0.1:1"}
    worker = _worker()
    hand_over(worker, share)

    controller = _RunState()
    controller.outcomes = {"b.py::three": ("passed", "")}  # another worker's share, taken over before
    take_over(controller, SimpleNamespace(workeroutput=worker.workeroutput))
    assert controller.scenarios == share.scenarios
    assert controller.outcomes == {**share.outcomes, "b.py::three": ("passed", "")}
    assert (controller.target_name, controller.tagged) == (share.target_name, share.tagged)
    assert (controller.collected, controller.deselected) == (share.collected, share.deselected)
    assert controller.details == share.details and controller.addresses == share.addresses
    # another worker collected "one" too but did not run it: its bare description does not win
    take_over(controller, SimpleNamespace(workeroutput={**worker.workeroutput, "kipu_harness": {
        **worker.workeroutput["kipu_harness"], "outcomes": {},
        "details": {"a.py::one": {"title": "one", "steps": [["Given", "x", 3, "not run"]], "evidence": []}}}}))
    assert controller.details["a.py::one"] == ran
    take_over(controller, SimpleNamespace(workeroutput={}))  # a worker that crashed hands over nothing
    assert controller.scenarios == share.scenarios


ALL = {"journal", "outbox", "reset", "clock", "faults"}


@pytest.mark.parametrize("worker, shared, kept", [
    (True, True, {"journal", "outbox"}),  # a worker against a profile's systems
    (True, False, ALL),                   # its own embedded mocks
    (False, True, ALL),                   # no xdist: the run is alone
])
def test_a_worker_against_shared_systems_gives_up_reset_clock_and_faults(worker, shared, kept):
    config = _worker() if worker else SimpleNamespace(stash=pytest.Stash())
    target = SimpleNamespace(capabilities=frozenset(ALL))
    withdraw_shared_state(config, target, shared=shared)
    assert target.capabilities == kept
    for capability in ("clock", "faults"):
        assert ("other workers" in why_missing(config, capability)) == (capability not in kept)
    assert why_missing(config, "journal") == ""
