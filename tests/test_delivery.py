"""Delivery that survives its destination (issue 10, point 1): what each answer means, the backoff,
a write that answers whatever the destination does, faults injected into the requests-based HTTP
deliveries with `responses`, and a retrier that outlives every exception. The served tests (a hung
RCM over real sockets, `mocks up`) are in test_delivery_served.py."""

from __future__ import annotations

import logging
import time

import pytest
import requests
import responses

from kipu_harness import hookimpl
from kipu_harness.events import DeliveryResult
from kipu_harness.mocks import MockSuite
from kipu_harness.mocks.common import outbox
from kipu_harness.mocks.common.outbox import Retrier, backoff
from kipu_harness.mocks.serve import NetworkLinks
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.plugins.wires import error_code, hl7_result, http_result, retry_after
from kipu_harness.waiting import eventually
from kipu_harness.wire import hl7v2

RCM = "http://rcm.test"
ADT = "MSH|^~\\&|KIPU_EMR|F|KIPU_RCM|F|20260302090000||ADT^A01|C1|P|2.5.1\rPID|1||7"
SSN = "123-45-6789"


@pytest.fixture
def fast(monkeypatch):
    """Backoff in milliseconds, so that retries happen within a test's patience."""
    monkeypatch.setattr(outbox, "BACKOFF_FIRST", 0.01)
    monkeypatch.setattr(outbox, "BACKOFF_CAP", 0.05)


# -- what each answer means (plugins/wires.py) ------------------------------------------------

@pytest.mark.parametrize("status, headers, state, after", [
    (200, {}, "delivered", None), (201, {}, "delivered", None),
    (500, {}, "retry", None), (503, {"retry-after": "7"}, "retry", 7.0), (429, {"retry-after": "2"}, "retry", 2.0),
    (504, {}, "retry", None), (400, {}, "rejected", None), (404, {}, "rejected", None), (409, {}, "rejected", None),
    (422, {}, "rejected", None), (302, {}, "rejected", None),
])
def test_http_answers(status, headers, state, after):
    result = http_result(status, {"errors": "why"} if status >= 400 else {}, headers)
    assert (result.state, result.retry_after) == (state, after)
    assert result.detail.startswith(f"HTTP {status}")


def test_retry_after_as_seconds_or_a_date():
    assert retry_after("3") == 3.0 and retry_after(None) is None and retry_after("soon") is None
    later = retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30)))
    assert 25 < later <= 30
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: at once


@pytest.mark.parametrize("code, error, state", [
    ("AA", "207", "delivered"), ("AE", "206", "retry"), ("AE", "207", "retry"), ("AE", "205", "rejected"),
    ("AR", "207", "rejected"), ("AR", "206", "rejected"),
])
def test_hl7_acknowledgements(code, error, state):
    result = hl7_result(hl7v2.make_ack(ADT, code, "the reason", error=error))
    assert result.state == state
    assert result.detail.startswith(code) and (code == "AA" or "the reason" in result.detail)


def test_an_ae_without_a_code_is_rejected_and_one_coded_elsewhere_is_read():
    ack = "MSH|^~\\&|R||S||20260302||ACK|9|P|2.5.1\rMSA|AE|C1|needs its A01"
    assert hl7_result(ack).state == "rejected"
    # ERR-3 empty, the 0357 code in another field (as a hand-made ACK may put it): still read
    assert error_code(ack + "\rERR||||E|206^Application record locked^HL70357") == "206"
    assert hl7_result(ack + "\rERR||||E|206^Application record locked^HL70357").state == "retry"
    assert hl7_result("not an ack at all").state == "rejected"


def test_backoff_doubles_up_to_the_cap_with_jitter_below():
    assert [backoff(n, rng=lambda: 1.0) for n in range(1, 8)] == [0.5, 1, 2, 4, 4, 4, 4]
    assert [backoff(n, rng=lambda: 0.0) for n in range(1, 5)] == [0.25, 0.5, 1, 2]
    assert backoff(10_000) <= outbox.BACKOFF_CAP


# -- faults in the HTTP deliveries, injected with `responses` -----------------------------------

@pytest.fixture
def crm():
    """A suite whose CRM reaches the RCM at RCM over NetworkLinks (requests), the RCM faked by `responses`."""
    suite = MockSuite(make_plugin_manager())
    suite.use_links(NetworkLinks({"rcm": RCM, "emr": "http://emr.test"}, None))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as faked:
        yield suite, suite.apps["crm"].test_client(), faked
    suite.close()


def _prospect(client, name="Lena", **headers):
    started = time.monotonic()
    answer = client.post("/crm/prospects", json={"first_name": name, "last_name": "Marsh", "ssn": SSN},
                         headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json(), time.monotonic() - started


def control_headers(suite):
    """The control token, where the mocks ask for one."""
    guard = getattr(suite, "guard", None)
    return {"X-Kipu-Mock-Token": guard.token} if guard is not None else {}


def _rows(suite, system="crm"):
    return suite.contexts[system].store.outbox()


@pytest.mark.parametrize("fault, reason", [
    (requests.ConnectionError("refused"), "unreachable: rcm unreachable"),
    (requests.ReadTimeout("read timed out"), "no answer: rcm: no answer within 3 s"),
    (requests.ConnectTimeout("connect timed out"), "no answer: rcm: no answer within 3 s"),
])
def test_a_network_fault_answers_201_queued_and_the_message_goes_when_the_rcm_is_back(crm, fault, reason):
    suite, client, faked = crm
    faked.post(RCM + "/rcm/prospects", body=fault)
    body, took = _prospect(client)
    assert body["prospect"]["id"] == 1 and took < 2
    assert body["delivery"] == {"rcm": {"state": "queued", "reason": body["delivery"]["rcm"]["reason"], "outbox_ids": [1]}}
    assert body["delivery"]["rcm"]["reason"].startswith(reason)
    [row] = _rows(suite)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, row["detail"])
    assert row["next_attempt_at"] > time.time()

    faked.replace(responses.POST, RCM + "/rcm/prospects", json={"patient": {"id": 1}}, status=201)
    suite.contexts["crm"].deliver_pending()
    [row] = _rows(suite)
    assert (row["status"], row["attempts"], row["detail"]) == ("delivered", 2, "HTTP 201")
    assert row["last_error"].startswith(reason)  # the last failure stays on record
    assert SSN not in row["last_error"]


def test_every_json_delivery_carries_its_idempotency_key_the_same_on_each_attempt(crm):
    suite, client, faked = crm
    faked.post(RCM + "/rcm/prospects", status=502)
    _prospect(client)
    faked.replace(responses.POST, RCM + "/rcm/prospects", json={}, status=201)
    suite.contexts["crm"].deliver_pending()
    keys = [call.request.headers.get("Idempotency-Key") for call in faked.calls]
    assert keys == ["crm-crm-prospect-1-created"] * 2


def test_503_with_retry_after_is_honoured_even_by_a_new_write(crm):
    suite, client, faked = crm
    faked.post(RCM + "/rcm/prospects", status=503, headers={"Retry-After": "30"}, json={"errors": "busy"})
    first, _ = _prospect(client)
    assert first["delivery"]["rcm"]["state"] == "queued"
    assert first["delivery"]["rcm"]["reason"] == "HTTP 503: busy"
    assert _rows(suite)[0]["next_attempt_at"] >= time.time() + 29
    second, took = _prospect(client, "Ann")
    assert len(faked.calls) == 1 and took < 1  # the RCM asked for 30 s: nobody knocks before
    assert second["delivery"]["rcm"]["state"] == "queued"
    assert second["delivery"]["rcm"]["reason"].startswith("waiting behind 1 earlier message(s) to rcm: HTTP 503")
    suite.contexts["crm"].outbox.deliver(now=(), wait=False)  # the retrier's pass: not due
    assert len(faked.calls) == 1
    faked.replace(responses.POST, RCM + "/rcm/prospects", json={}, status=201)
    suite.contexts["crm"].deliver_pending()  # POST /_mock/outbox/deliver: now, whatever the schedule
    assert [(r["status"], r["attempts"]) for r in _rows(suite)] == [("delivered", 2), ("delivered", 1)]


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_a_4xx_is_kept_as_rejected_with_its_reason_and_never_retried(crm, status):
    suite, client, faked = crm
    faked.post(RCM + "/rcm/prospects", status=status, json={"errors": "no such thing"})
    body, _ = _prospect(client)
    assert body["delivery"]["rcm"] == {"state": "rejected", "reason": f"HTTP {status}: no such thing", "outbox_ids": [1]}
    for _ in range(3):
        suite.contexts["crm"].deliver_pending()
    assert len(faked.calls) == 1
    shown = client.get("/_mock/outbox?status=rejected", headers=control_headers(suite)).get_json()["deliveries"]
    assert [(d["id"], d["attempts"], d["detail"]) for d in shown] == [(1, 1, f"HTTP {status}: no such thing")]
    # a rejection does not hold back the next message to the RCM
    faked.replace(responses.POST, RCM + "/rcm/prospects", json={}, status=201)
    second, _ = _prospect(client, "Ann")
    assert second["delivery"]["rcm"]["state"] == "sent"


def test_a_failing_destination_keeps_its_order(crm):
    suite, client, faked = crm
    faked.post(RCM + "/rcm/prospects", status=500)
    for name in ("A", "B", "C"):
        _prospect(client, name)
    # each new write tries the first message again at once; the later ones never overtake it
    assert [r["attempts"] for r in _rows(suite)] == [3, 0, 0]
    faked.replace(responses.POST, RCM + "/rcm/prospects", json={}, status=201)
    suite.contexts["crm"].deliver_pending()
    bodies = [call.request.body for call in faked.calls if call.response is not None and call.response.status_code == 201]
    assert [b'"first_name": "%s"' % n in b for n, b in zip((b"A", b"B", b"C"), bodies)] == [True] * 3


# -- the retrier never dies -----------------------------------------------------------------------

class Flaky:
    """Raises the given exceptions, one per attempt, then carries every message."""

    def __init__(self, *failures):
        self.failures, self.carried = list(failures), []

    @hookimpl(tryfirst=True)
    def harness_deliver(self, delivery):
        if self.failures:
            raise self.failures.pop(0)
        self.carried.append(delivery.key)
        return DeliveryResult(ok=True, detail="carried")


def _queue(context, *keys, destination="rcm"):
    with context.store.transaction() as tx:
        for key in keys:
            tx.enqueue(destination=destination, wire="json", path="/x", body='{"ssn": "%s"}' % SSN, key=key,
                       at="2026-03-02T09:00:00")


def test_the_retrier_survives_any_exception_and_logs_the_streak_once(fast, caplog):
    flaky = Flaky(TimeoutError("no answer"), RuntimeError("boom"), KeyError("ssn"), ValueError(SSN),
                  ConnectionResetError("reset"))
    suite = MockSuite(make_plugin_manager(extra=[flaky]))
    retrier = Retrier([c.outbox for c in suite.contexts.values()], every=0.05)
    caplog.set_level(logging.INFO, logger="kipu_harness.mocks.outbox")
    try:
        _queue(suite.contexts["emr"], "m1", "m2", "m3")
        retrier.start()
        eventually(lambda: flaky.carried == ["m1", "m2", "m3"], timeout=10, what="all carried, in order")
        assert retrier.is_alive()
        rows = suite.contexts["emr"].store.outbox()
        assert [(r["status"], r["attempts"]) for r in rows] == [("delivered", 6), ("delivered", 1), ("delivered", 1)]
    finally:
        retrier.stop()
        suite.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["emr -> rcm: delivery failing (no answer); retrying with backoff up to 0.05s",
                        "emr -> rcm: delivering again after 5 failed attempt(s)"]
    assert SSN not in caplog.text and "ssn" not in caplog.text.lower()


@pytest.mark.parametrize("detail, said", [
    ("HTTP 503: patient 123-45-6789 busy", "HTTP 503"), ("AE 206 PID-19 123-45-6789", "AE 206"),
    ("AR bad SSN 123-45-6789", "AR"), ("no answer: rcm: no answer within 3 s", "no answer"),
    ("unreachable: rcm is down", "unreachable"), ("delivery error: KeyError (see the server log)", "delivery error"),
    ("something else", "refused"),
])
def test_a_log_names_the_kind_of_failure_never_the_receivers_words(detail, said):
    assert outbox.kind(detail) == said


def test_a_pass_that_fails_whole_does_not_stop_the_retrier(caplog):
    failures = [RuntimeError("store busy")] * 3

    def sometimes():
        if failures:
            raise failures.pop()

    suite = MockSuite(make_plugin_manager(extra=[Flaky()]))
    retrier = Retrier([c.outbox for c in suite.contexts.values()], every=0.02, also=sometimes)
    try:
        retrier.start()
        _queue(suite.contexts["crm"], "later")
        eventually(lambda: suite.contexts["crm"].store.outbox("delivered"), timeout=10, what="delivered")
        assert retrier.is_alive() and not failures
    finally:
        retrier.stop()
        suite.close()
    failed = [r for r in caplog.records if "pass failed" in r.getMessage()]
    assert len(failed) == 1  # once per streak, not once per pass


def test_an_ae_206_is_held_and_retried_until_accepted(fast):
    answers = iter(["AE", "AE", "AA"])

    class Rcm:
        sent = []

        def send_hl7(self, text):
            self.sent.append(text)
            code = next(answers)
            return hl7v2.make_ack(text, code, "needs the A01 first" if code == "AE" else "", error="206")

    suite = MockSuite(make_plugin_manager())
    try:
        suite.use_links(Rcm())
        emr = suite.contexts["emr"]
        with emr.store.transaction() as tx:
            tx.enqueue(destination="rcm", wire="hl7v2", path="/rcm/hl7", body=ADT, key="C1", at="t")
        retrier = Retrier([emr.outbox], every=0.02).start()
        try:
            eventually(lambda: emr.store.outbox("delivered"), timeout=10, what="accepted at last")
        finally:
            retrier.stop()
        [row] = emr.store.outbox()
        assert (row["attempts"], row["detail"]) == (3, "AA")
        assert row["last_error"] == "AE 206 needs the A01 first"
    finally:
        suite.close()


def test_the_schedule_grows_per_failure_and_stays_under_the_cap():
    suite = MockSuite(make_plugin_manager(extra=[Flaky(*[ConnectionRefusedError("down")] * 8)]))
    try:
        emr = suite.contexts["emr"]
        _queue(emr, "m1")
        pauses = []
        for _ in range(8):
            before = time.time()
            emr.deliver_pending()
            pauses.append(emr.store.outbox()[0]["next_attempt_at"] - before)
        ceilings = [min(outbox.BACKOFF_CAP, outbox.BACKOFF_FIRST * 2 ** n) for n in range(8)]
        for pause, ceiling in zip(pauses, ceilings):
            assert ceiling / 2 - 0.01 <= pause <= ceiling + 0.5, (pauses, ceilings)
        assert max(pauses) <= outbox.BACKOFF_CAP + 0.5
    finally:
        suite.close()
