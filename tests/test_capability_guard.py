"""A step may use what only a mock shows (journal, clock, outbox, payer set-up) only in a scenario
tagged @needs-<capability>: the scenario's target refuses it otherwise, so no untagged scenario
can pass on the mocks by leaning on them and then fail, or say nothing, on a vendor's system."""

from __future__ import annotations

import pytest

from kipu_harness.pytest_plugin import _only_declared
from kipu_harness.target import Target


class FakeControl:
    def journal(self, channel=None):
        return ["seen"]

    def now(self):
        return "09:00"


class FakePayer:
    def set_member(self, member_id, outcome):
        return {"member_id": member_id}


def _target():
    return Target(name="t", crm=None, emr=None, rcm=None, payer=FakePayer(), controls={"rcm": FakeControl()},
                  capabilities=frozenset({"journal", "clock", "payer"}))


def test_an_untagged_scenario_cannot_read_a_journal_or_set_up_the_payer():
    target = _only_declared(_target(), frozenset())
    with pytest.raises(AssertionError, match=r"capability 'journal' \(journal\).*@needs-journal"):
        target.controls["rcm"].journal("hl7")
    with pytest.raises(AssertionError, match="@needs-payer"):
        target.payer.set_member("M1", "active")


def test_a_tagged_scenario_uses_exactly_what_it_is_tagged_with():
    target = _only_declared(_target(), frozenset({"journal", "payer"}))
    assert target.controls["rcm"].journal("hl7") == ["seen"]
    assert target.payer.set_member("M1", "active") == {"member_id": "M1"}
    with pytest.raises(AssertionError, match="@needs-clock"):
        target.controls["rcm"].now()
