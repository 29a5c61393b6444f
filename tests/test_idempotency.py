"""A client's retry never makes a second record (issue 10, point 1: Idempotency-Key on the mocks'
create routes), and the stores' durability, chosen and stated (point 7)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from kipu_harness import hookimpl
from kipu_harness.events import DeliveryResult
from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.mocks.common.api import document
from kipu_harness.mocks.common.faults import Fault
from kipu_harness.mocks.common.store import Store, Tx
from kipu_harness.plugin_manager import make_plugin_manager
from mockkit import _mocks, refused, state

KEY = "Idempotency-Key"
CREATES = [  # (system, path, body, what the answer holds, the kind of record made)
    ("crm", "/crm/prospects", {"first_name": "Ann", "last_name": "Lee"}, "prospect", "prospect"),
    ("rcm", "/rcm/payers", {"name": "Acme Health", "payer_id": "60054"}, "payer", "payer"),
    ("payer", "/payer/members", {"member_id": "M100", "outcome": "active"}, "member", "member"),
    ("emr", "/api/patients", {"document": {"recipient_id": 1, "data": {"first_name": "Ann", "last_name": "Lee",
                                                                       "dob": "1980-01-02"}}}, "patient", "patient"),
]


def _records(m, system, kind):
    with m.suite.contexts[system].store.read() as tx:
        return tx.all(kind)


@pytest.mark.parametrize("system, path, body, key, kind", CREATES, ids=[c[1] for c in CREATES])
def test_the_same_key_and_body_again_returns_the_first_answer_and_makes_no_second_record(mocks, system, path, body,
                                                                                         key, kind):
    client = mocks.client(system)
    before = len(_records(mocks, system, kind))
    first = client.post(path, json=body, headers={KEY: "retry-me-1"})
    assert first.status_code == 201, first.get_json()
    everything = state(mocks.suite)
    again = client.post(path, json=dict(reversed(list(body.items()))), headers={KEY: "retry-me-1"})  # same JSON
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert state(mocks.suite) == everything  # not a record, not a message more
    assert len(_records(mocks, system, kind)) == before + 1
    other = client.post(path, json=body, headers={KEY: "retry-me-2"})  # a new key: a new request
    assert other.status_code in (201, 409)  # (a second payer of the same name is refused: that rule holds)


def test_the_same_key_with_another_body_or_path_is_refused_naming_the_key(mocks):
    made = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}, headers={KEY: "k-1"})
    assert made.status_code == 201
    before = state(mocks.suite)
    named = refused(mocks.crm.post("/crm/prospects", json={"first_name": "Bob", "last_name": "Lee"},
                                   headers={KEY: "k-1"}), 422, {KEY})
    assert "new key" in named[KEY]
    refused(mocks.crm.post("/crm/prospects/1/insurance", json={"payer_name": "Aetna"}, headers={KEY: "k-1"}), 422,
            {KEY})
    assert state(mocks.suite) == before


@pytest.mark.parametrize("key", ["has space", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_422_naming_it(mocks, key):
    before = state(mocks.suite)
    refused(mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}, headers={KEY: key}),
            422, {KEY})
    assert state(mocks.suite) == before


def test_a_refusal_that_wrote_nothing_keeps_nothing_so_the_corrected_request_may_use_the_key(mocks):
    refused(mocks.crm.post("/crm/prospects", json={"first_name": "Ann"}, headers={KEY: "fix-me"}), 422, {"last_name"})
    fixed = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}, headers={KEY: "fix-me"})
    assert fixed.status_code == 201 and fixed.get_json()["prospect"]["id"] == 1


def test_without_a_key_each_request_is_its_own(mocks):
    for _ in range(2):
        assert mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"}).status_code == 201
    assert len(_records(mocks, "crm", "prospect")) == 2


def test_a_crash_between_the_commit_and_the_answer_never_makes_a_second_record(mocks, monkeypatch):
    """The key is claimed in the write's own transaction: when the answer is lost (here, keeping it
    fails as a crash would have stopped it), the retry learns the record exists instead of making one."""
    keep = Tx.keep_idempotent

    def crash_before_answering(self, key, fingerprint, *, status=None, **kw):
        if status is not None:
            raise RuntimeError("the process died here")
        return keep(self, key, fingerprint, status=status, **kw)

    body = {"first_name": "Ann", "last_name": "Lee"}
    monkeypatch.setattr(Tx, "keep_idempotent", crash_before_answering)
    assert mocks.crm.post("/crm/prospects", json=body, headers={KEY: "lost"}).status_code == 500
    monkeypatch.setattr(Tx, "keep_idempotent", keep)
    named = refused(mocks.crm.post("/crm/prospects", json=body, headers={KEY: "lost"}), 409, {KEY})
    assert "made prospect 1" in named[KEY]
    assert len(_records(mocks, "crm", "prospect")) == 1


class _Held:
    """Holds the CRM's delivery to the RCM until the test lets it go: a request still being answered."""

    def __init__(self):
        self.in_flight, self.go = threading.Event(), threading.Event()

    @hookimpl(tryfirst=True)
    def harness_deliver(self, delivery):
        self.in_flight.set()
        assert self.go.wait(10)
        return DeliveryResult(ok=True, detail="carried")


def test_a_retry_while_the_first_request_is_still_answering_is_a_409_and_then_a_replay():
    held = _Held()
    m = _mocks(MockSuite(make_plugin_manager(extra=[held])))
    body, answers = {"first_name": "Ann", "last_name": "Lee"}, []
    try:
        first = threading.Thread(target=lambda: answers.append(
            m.suite.apps["crm"].test_client().post("/crm/prospects", json=body, headers={KEY: "slow"})))
        first.start()
        assert held.in_flight.wait(10)
        named = refused(m.crm.post("/crm/prospects", json=body, headers={KEY: "slow"}), 409, {KEY})
        assert "prospect 1" in named[KEY]
        held.go.set()
        first.join(10)
        assert answers[0].status_code == 201
        again = m.crm.post("/crm/prospects", json=body, headers={KEY: "slow"})
        assert (again.status_code, again.get_json()) == (201, answers[0].get_json())
        assert len(_records(m, "crm", "prospect")) == 1
    finally:
        held.go.set()
        m.suite.close()


def test_a_json_delivery_the_network_duplicates_is_taken_once(mocks):
    """Each JSON delivery carries its outbox key as Idempotency-Key: a duplicate is answered, not applied."""
    mocks.suite.faults.add(Fault("rcm", "http", "duplicate", next=1))
    made = mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"})
    assert made.get_json()["delivery"]["rcm"]["state"] == "sent"
    posts = [e for e in mocks.suite.contexts["rcm"].store.journal_entries("http")
             if e["summary"].startswith("POST /rcm/prospects")]
    assert len(posts) == 2
    assert len(_records(mocks, "rcm", "patient")) == 1
    with mocks.suite.contexts["rcm"].store.read() as tx:
        assert tx.idempotent("crm-crm-prospect-1-created")["status"] == 201


def test_every_post_documents_the_key_and_its_refusals(mocks):
    for system in SYSTEMS:
        spec = document(mocks.suite.apps[system])
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                names = [p["name"] for p in operation.get("parameters", [])]
                if method == "post" and not path.startswith("/_mock"):
                    assert KEY in names and {"409", "422"} <= set(operation["responses"]), (system, path)
                else:
                    assert KEY not in names, (system, method, path)


# -- durability (point 7) ----------------------------------------------------------------------

def _synchronous(store):
    with store.read() as tx:
        return tx._conn.execute("PRAGMA synchronous").fetchone()[0]


def test_the_stores_use_wal_and_synchronous_normal_unless_told_full(tmp_path):
    normal, full = Store(tmp_path / "n.db"), Store(tmp_path / "f.db", "full")
    try:
        assert (_synchronous(normal), _synchronous(full)) == (1, 2)  # NORMAL, FULL
        with full.read() as tx:
            assert tx._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        normal.close()
        full.close()
    with pytest.raises(ValueError, match="durability 'fast'"):
        Store(tmp_path / "x.db", "fast")
    suite = MockSuite(make_plugin_manager(), data_dir=tmp_path / "suite", durability="full")
    try:
        assert {_synchronous(c.store) for c in suite.contexts.values()} == {2}
    finally:
        suite.close()


def test_a_data_file_from_before_the_schedule_columns_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL, wire TEXT NOT NULL,
            path TEXT NOT NULL, body TEXT NOT NULL, key TEXT NOT NULL UNIQUE, status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
            delivered_at TEXT);
        INSERT INTO outbox (destination, wire, path, body, key, created_at) VALUES ('rcm', 'json', '/x', '{}', 'k', 't');
    """)
    conn.close()
    store = Store(path)
    [row] = store.outbox()
    assert (row["key"], row["status"], row["next_attempt_at"], row["last_error"]) == ("k", "pending", None, "")
    store.mark(row["id"], "pending", "no answer", None, next_attempt_at=1.5, error=True)
    store.close()
    store = Store(path)  # opened again: the columns are there, and what was kept in them
    [row] = store.outbox()
    assert (row["attempts"], row["next_attempt_at"], row["last_error"]) == (1, 1.5, "no answer")
    store.close()
