"""A hung RCM over real sockets (issue 10, point 1, measured from outside): a listener that takes
every connection and never says a word, on HTTP and MLLP. Writes to the CRM and EMR still answer
201 at once, saying their messages are queued and why; the retrier outlives the timeouts; and when
the RCM answers again every queued message arrives exactly once, without another write.
Traffic stays on 127.0.0.1; every wait is bounded."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import threading
import time
from urllib.parse import urlsplit

import pytest

from kipu_harness.apiauth import DEVELOPMENT
from kipu_harness.mocks import MockSuite
from kipu_harness.mocks.common import outbox
from kipu_harness.mocks.serve import ServedSuite
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.transport import HttpTransport
from kipu_harness.waiting import eventually
from mockkit import CLI

SSN = "123-45-6789"
PERSON = dict(first_name="Lena", last_name="Marsh", dob="1984-02-11", gender="Female", phone="512-555-0101",
              address_street="9 Oak Lane", address_city="Austin", address_state="TX", address_zip="73301", ssn=SSN)
QUICK = outbox.REQUEST_READ_TIMEOUT + 2.0  # the longest a write may take with its destination hung
AT_ONCE = 1.5  # ... once the destination is known to hang and the retrier has it


class Switch:
    """A TCP listener that holds every connection without a word (a hung system) until
    ``forward_to`` is set; from then on it pipes each new connection there."""

    def __init__(self):
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.address = self._sock.getsockname()
        self.url = f"http://127.0.0.1:{self.address[1]}"
        self.forward_to: tuple[str, int] | None = None
        self.held: list[socket.socket] = []
        self._closing = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            if self.forward_to is None:
                self.held.append(conn)
                continue
            upstream = socket.create_connection(self.forward_to, timeout=10)
            for source, sink in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()

    def close(self):
        self._closing.set()
        self._sock.close()
        for conn in self.held:
            conn.close()


def _pipe(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.close()
            except OSError:
                pass


def _timed(call):
    started = time.monotonic()
    reply = call()
    return reply, time.monotonic() - started


@pytest.fixture
def hung_rcm():
    """Served mocks whose RCM traffic (HTTP and MLLP) goes through two switches, hung at first."""
    http, mllp = Switch(), Switch()
    suite = MockSuite(make_plugin_manager())
    served = ServedSuite(suite, elsewhere={"rcm": http.url}, elsewhere_mllp=mllp.address)
    rcm = urlsplit(served.urls["rcm"])
    try:
        yield suite, served, http, mllp, (rcm.hostname, rcm.port)
    finally:
        served.stop()
        suite.close()
        http.close()
        mllp.close()


def test_a_hung_rcm_never_holds_a_write_and_everything_arrives_once_when_it_is_back(hung_rcm):
    suite, served, http, mllp, rcm_http = hung_rcm
    crm = HttpTransport(served.urls["crm"])
    emr = HttpTransport(served.urls["emr"], credential=suite.emr_auth.signer)

    prospect, took = _timed(lambda: crm.request("POST", "/crm/prospects", json_body={"first_name": "Ann", "last_name": "Lee"}))
    assert prospect.status == 201 and took < QUICK, (prospect.status, took)
    assert prospect.body["delivery"]["rcm"]["state"] == "queued"
    patients = []
    for name in ("Lena", "Mia"):
        document = {"document": {"recipient_id": 1, "data": {**PERSON, "first_name": name}}}
        reply, took = _timed(lambda: emr.request("POST", "/api/patients", json_body=document))
        assert reply.status == 201 and took < (QUICK if name == "Lena" else AT_ONCE), (reply.status, took)
        assert reply.body["delivery"]["rcm"]["state"] == "queued", reply.body["delivery"]
        patients.append(reply.body["patient"]["id"])
    first = suite.contexts["emr"].store.outbox()[0]
    assert first["last_error"].startswith("no answer") or "delivering" in first["detail"], first
    assert served.retrier.is_alive()

    http.forward_to, mllp.forward_to = rcm_http, served.mllp  # the RCM answers again; no further write

    def drained():
        return all(not c.store.outbox("pending") for c in suite.contexts.values())

    eventually(drained, timeout=40, what="every queued message delivered")
    assert served.retrier.is_alive()
    with suite.contexts["rcm"].store.read() as tx:
        rcm_patients = tx.all("patient")
    from_crm = [p for p in rcm_patients if p.get("crm_prospect_id") == prospect.body["prospect"]["id"]]
    from_emr = sorted(int(p["emr_patient_id"]) for p in rcm_patients if p.get("emr_patient_id"))
    assert len(from_crm) == 1 and from_emr == sorted(patients)
    applied = [e for e in suite.contexts["rcm"].store.journal_entries("hl7") if e["summary"] == "AA A04 applied"]
    assert len(applied) == 2
    rows = [r for c in ("crm", "emr") for r in suite.contexts[c].store.outbox()]
    assert all(r["status"] == "delivered" for r in rows) and rows[0]["attempts"] >= 2


def _db(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    return conn


def _outbox(path):
    with _db(path) as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")]


def test_mocks_up_with_a_hung_rcm_answers_at_once_and_logs_each_streak_once(tmp_path):
    """The issue's measurement: `mocks up --rcm-url http://127.0.0.1:P --rcm-mllp 127.0.0.1:P` on a
    listener that never replies. Before: 500 after 5 s (saved anyway), and a dead retrier."""
    hung = Switch()
    data, profile = tmp_path / "data", tmp_path / "p.toml"
    process = subprocess.Popen(
        CLI + ["mocks", "up", "--data", str(data), "--durability", "full", "--profile-out", str(profile),
               "--crm-port", "0", "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0", "--mllp-port", "0",
               "--console-port", "0",
               "--rcm-url", hung.url, "--rcm-mllp", f"127.0.0.1:{hung.address[1]}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        eventually(lambda: profile.exists() and "[systems.emr]" in profile.read_text(), timeout=60, what="mocks up")
        import tomllib

        urls = {s: v["url"] for s, v in tomllib.loads(profile.read_text())["systems"].items()}
        crm, emr = HttpTransport(urls["crm"]), HttpTransport(urls["emr"], credential=DEVELOPMENT)
        body = {"first_name": "Ann", "last_name": "Lee", "ssn": SSN}
        reply, took = _timed(lambda: crm.request("POST", "/crm/prospects", json_body=body))
        assert reply.status == 201 and took < QUICK, (reply.status, took)
        assert reply.body["delivery"]["rcm"]["reason"].startswith(("no answer", "another thread"))
        for name in ("Lena", "Mia"):
            document = {"document": {"recipient_id": 1, "data": {**PERSON, "first_name": name}}}
            reply, took = _timed(lambda: emr.request("POST", "/api/patients", json_body=document))
            assert reply.status == 201 and took < (QUICK if name == "Lena" else AT_ONCE), (reply.status, took)
            assert reply.body["delivery"]["rcm"]["state"] == "queued"
        # the retrier keeps trying, on both senders, past the timeouts that used to kill it
        eventually(lambda: min(_outbox(data / "crm.db")[0]["attempts"], _outbox(data / "emr.db")[0]["attempts"]) >= 3,
                   timeout=60, what="three attempts each")
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        hung.close()
    assert process.returncode == 0, err
    assert "(durability full)" in out
    for sender in ("crm", "emr"):
        assert err.count(f"{sender} -> rcm: delivery failing (no answer)") == 1, err
    assert SSN not in err and "Lena" not in err and "Traceback" not in err, err
    with _db(data / "emr.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM records WHERE kind = 'patient'").fetchone()[0] == 2
    [row] = [r for r in _outbox(data / "crm.db")]
    assert row["status"] == "pending" and row["last_error"].startswith("no answer") and row["next_attempt_at"]
