"""The durable outbox: a delivery to an RCM that is down waits, and arrives exactly once."""

from __future__ import annotations

import pytest

from kipu_harness import hookimpl
from kipu_harness.events import DeliveryResult
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.target import TargetOptions, collect_targets
from kipu_harness.waiting import eventually

PERSON = dict(first_name="Lena", last_name="Marsh", dob="1984-02-11", gender="Female", phone="512-555-0101",
              address_street="9 Oak Lane", address_city="Austin", address_state="TX", address_zip="73301",
              ssn="123-45-6789", admission_date="2026-03-02")


def make_target(name):
    pm = make_plugin_manager()
    return collect_targets(pm)[name].factory(TargetOptions(name=name, pm=pm))


@pytest.fixture(params=["inprocess", "local"])
def target(request):
    target = make_target(request.param)
    yield target
    target.close()


def applied(target, trigger):
    return [e for e in target.controls["rcm"].journal("hl7") if e["summary"] == f"AA {trigger} applied"]


def admitted(target, patient):
    return [p for p in target.rcm.find_patients(emr_patient_id=patient.id) if p.status == "Admitted"]


def test_rcm_down_mid_delivery_then_back_delivers_once_in_order(target):
    emr = target.emr
    patient = emr.add_diagnosis(emr.create_patient(**PERSON), "F10.20")

    target.outage.stop("rcm")
    patient = emr.action(patient, "mr_number")          # A01, initial connection
    patient = emr.add_diagnosis(patient, "F33.1")        # A08, re-send
    pending = target.controls["emr"].outbox(status="pending")
    assert [d["wire"] for d in pending] == ["hl7v2", "hl7v2"]
    assert pending[0]["detail"].startswith("unreachable")  # the later one waits its turn
    assert admitted(target, patient) == []

    target.outage.start("rcm")
    if target.name == "inprocess":
        target.controls["emr"].deliver()  # in-process has no retrier thread: deliver on demand
    # Served mocks retry on their own; either way, wait on the outcome, not on a clock.
    eventually(lambda: target.controls["emr"].outbox(status="pending") == [], what="outbox drained")
    rcm_patient = eventually(lambda: admitted(target, patient), what="patient admitted")[0]
    assert [d["code"] for d in rcm_patient.episodes[-1].diagnoses] == ["F10.20", "F33.1"]
    assert len(applied(target, "A01")) == 1 and len(applied(target, "A08")) == 1

    target.controls["emr"].deliver()  # nothing left to send: still exactly once
    assert len(applied(target, "A01")) == 1 and len(applied(target, "A08")) == 1
    delivered = target.controls["emr"].outbox(status="delivered")
    assert [d["detail"] for d in delivered][-2:] == ["AA", "AA"]


def test_the_same_message_twice_is_applied_once():
    target = make_target("inprocess")
    try:
        # No SSN: the outbox view masks it, and a copy with a masked SSN is another message under
        # the same MSH-10 (refused AR; tests/test_message_order.py), not the lost ACK's message.
        person = {k: v for k, v in PERSON.items() if k != "ssn"}
        patient = target.emr.add_diagnosis(target.emr.create_patient(**person), "F10.20")
        target.emr.action(patient, "mr_number")
        a01 = next(d for d in target.controls["emr"].outbox() if "ADT^A01" in d["body"])
        reply = target.rcm.send_hl7(a01["body"])  # as if the first ACK had been lost
        assert reply.status == 200 and "MSA|AA|" in reply.text
        assert len(applied(target, "A01")) == 1
        assert any(e["summary"] == "AA duplicate (already applied)" for e in target.controls["rcm"].journal("hl7"))
        assert len(target.rcm.find_patients(emr_patient_id=patient.id)) == 1
    finally:
        target.close()


def test_a_rejected_message_is_not_retried():
    from kipu_harness.mocks import MockSuite

    suite = MockSuite(make_plugin_manager())
    try:
        emr = suite.contexts["emr"]
        with emr.store.transaction() as tx:
            tx.enqueue(destination="rcm", wire="hl7v2", path="/rcm/hl7", body="MSH|^~\\&|broken", key="k1",
                       at="2026-03-02T09:00:00")
        emr.deliver_pending()
        [row] = emr.store.outbox()
        assert row["status"] == "rejected" and row["attempts"] == 1
        assert row["detail"].startswith("AR ")
        emr.deliver_pending()
        assert emr.store.outbox()[0]["attempts"] == 1
    finally:
        suite.close()


# -- two threads delivering at once (scenarios in parallel against served mocks) -------------------

class _Held:
    """A delivery that stays in flight until the test lets it go: another thread is delivering."""

    def __init__(self):
        import threading

        self.in_flight, self.go, self.carried = threading.Event(), threading.Event(), []

    @hookimpl(tryfirst=True)
    def harness_deliver(self, delivery):
        self.in_flight.set()
        assert self.go.wait(10), "the test never let the delivery go"
        self.carried.append(delivery.key)
        return DeliveryResult(ok=True, detail="carried")


def _queue(context, key):
    with context.store.transaction() as tx:
        tx.enqueue(destination="rcm", wire="json", path="/x", body="{}", key=key, at="2026-03-02T09:00:00")


def _in_thread(call):
    import threading

    done = threading.Event()
    thread = threading.Thread(target=lambda: (call(), done.set()), daemon=True)
    thread.start()
    return done


def test_a_write_that_queued_nothing_never_waits_for_another_threads_delivery():
    # The deadlock this prevents: the EMR, delivering an A01, waits on the RCM; the RCM, delivering
    # to the EMR, waits on the EMR storing what it sent, which must not wait for the first.
    from kipu_harness.mocks import MockSuite

    held = _Held()
    suite = MockSuite(make_plugin_manager(extra=[held]))
    try:
        emr = suite.contexts["emr"]
        _queue(emr, "first")
        delivering = _in_thread(emr.deliver_pending)
        assert held.in_flight.wait(10)
        quiet = _in_thread(lambda: emr.write(lambda tx: {"id": 0}))  # queued nothing: answers at once
        assert quiet.wait(5), "a write that queued nothing waited for another thread's delivery"
        _queue(emr, "second")
        seen = []  # what had been carried when the waiting call answered
        waiting = _in_thread(lambda: (emr.deliver_pending(), seen.extend(held.carried)))  # queued: waits its turn
        held.go.set()
        assert delivering.wait(10) and waiting.wait(10)
        assert seen == ["first", "second"], "the call answered before its row was carried"
        assert held.carried == ["first", "second"]  # in order, each once
        assert [row["status"] for row in emr.store.outbox()] == ["delivered", "delivered"]
    finally:
        held.go.set()
        suite.close()
