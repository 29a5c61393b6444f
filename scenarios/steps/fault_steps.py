"""Steps that make a system or the network misbehave (the faults capability), and that wait for
the integration to recover: every outbox drained, no message still held, then the outcome."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from kipu_harness.waiting import eventually as wait

# How long delivery may take to recover from the faults a scenario sets: several retries, each
# backing off, whatever the target's own patience.
RECOVERY = 30.0
NETWORK = {"duplicates": "duplicate", "reorders": "reorder", "drops": "drop", "resets": "reset", "hangs on": "hang"}


@given(parsers.parse('the RCM answers an error to the next {count:d} "{channel}" messages'))
def rcm_errors(target, count, channel):
    target.controls["rcm"].add_faults([{"system": "rcm", "channel": channel, "kind": "error", "next": count}])


@given(parsers.parse('the network {fault} the next {count:d} "{channel}" messages to the RCM'))
def network_fault(target, fault, count, channel):
    kind = NETWORK[fault]
    extra = {"latency_ms": 100} if kind == "hang" else {}  # a short hang: the sender's read still times out
    target.controls["rcm"].add_faults([{"system": "rcm", "channel": channel, "kind": kind, "next": count, **extra}])


def _recovered(target) -> bool:
    """Every fault used up or cleared, no message held, and no delivery still pending."""
    faults = target.controls["rcm"].faults()
    return (not [f for f in faults["faults"] if f["left"]] and not faults["held"]
            and all(not c.outbox(status="pending") for c in target.controls.values()))


@when("delivery has recovered")
def recovered(target):
    wait(lambda: _recovered(target), timeout=RECOVERY, what="every outbox drained and no message held")
