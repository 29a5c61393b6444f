"""Lookups that stay flat as the data grows (issue 11, goal 4): Tx.find goes through the expression
index of an INDEXED field, and finds exactly what a scan with Python's == finds."""

from __future__ import annotations

import sqlite3

from kipu_harness.mocks.common.store import INDEXED, SCHEMA, Store


def plan(store: Store, sql: str, *args) -> str:
    return " ".join(row[-1] for row in store._conn.execute("EXPLAIN QUERY PLAN " + sql, args))


def test_a_lookup_by_an_indexed_field_searches_its_index(tmp_path):
    store = Store(tmp_path / "emr.db")
    statements = []
    store._conn.set_trace_callback(statements.append)
    with store.read() as tx:
        tx.find("insurance", patient_id=7)
    [sql] = [s for s in statements if "FROM records" in s]
    for field in INDEXED:
        query = sql.replace("patient_id", field)
        assert f"SEARCH records USING INDEX records_by_{field} (kind=? AND <expr>=?)" in plan(store, query), query


def test_find_keeps_pythons_equality_through_the_index():
    store = Store()
    docs = [{"patient_id": 1}, {"patient_id": "1"}, {"patient_id": 1.0}, {"patient_id": True}, {"patient_id": [1]},
            {"patient_id": None}, {}, {"patient_id": 2, "name": "x"}, {"patient_id": 2, "name": "y"}]
    with store.transaction() as tx:
        for doc in docs:
            tx.insert("r", doc)
        tx.insert("other", {"patient_id": 1})
    with store.read() as tx:
        scan = lambda **eq: [d for d in tx.all("r") if all(d.get(k) == v for k, v in eq.items())]  # noqa: E731
        for equal in ({"patient_id": 1}, {"patient_id": "1"}, {"patient_id": True}, {"patient_id": 0},
                      {"patient_id": None}, {"patient_id": [1]}, {"patient_id": 2, "name": "y"},
                      {"patient_id": 2**70}, {"name": "x"}):
            assert tx.find("r", **equal) == scan(**equal), equal
        assert [d["id"] for d in tx.find("r", patient_id=1)] == [1, 3, 4]
        assert tx.count("r") == len(docs) and tx.count("none") == 0


def test_the_counts_follow_inserts_replacements_deletes_and_resets(tmp_path):
    store = Store(tmp_path / "rcm.db")
    with store.transaction() as tx:
        for n in range(5):
            tx.insert("patient", {"n": n})
        tx.put("patient", {"id": 2, "n": "again"})  # a replacement is not one more
        tx.put("payer", {"id": 40, "name": "x"})
        tx.delete("patient", 4)
        tx.delete("patient", 99)  # nothing there: nothing counted down
    truth = dict(store._conn.execute("SELECT kind, COUNT(*) FROM records GROUP BY kind").fetchall())
    with store.read() as tx:
        assert {k: tx.count(k) for k in ("patient", "payer")} == truth == {"patient": 4, "payer": 1}
    store.reset()
    with store.read() as tx:
        assert tx.count("patient") == 0 and tx.count("payer") == 0
    store.close()


def test_a_database_made_before_the_counts_is_counted_on_open(tmp_path):
    store = Store(tmp_path / "emr.db")
    with store.transaction() as tx:
        for n in range(3):
            tx.insert("patient", {"n": n})
    store._conn.executescript("DROP TRIGGER records_inserted; DROP TRIGGER records_uncounted; DROP TABLE counts;")
    store.close()
    with Store(tmp_path / "emr.db").read() as tx:
        assert tx.count("patient") == 3


def test_a_page_reads_a_range_of_ids_when_none_was_deleted_and_the_same_page_when_some_were():
    store = Store()
    with store.transaction() as tx:
        for n in range(1, 51):
            tx.insert("patient", {"n": n, "mr_number": f"MR{n}" if n % 3 else None})
    with store.read() as tx:
        total, rows = tx.page("patient", 20, 10)
        assert total == 50 and [r["id"] for r in rows] == list(range(21, 31))
        total, rows = tx.page("patient", 10, 10, truthy="mr_number")
        assert total == 34 and [r["id"] for r in rows] == [i for i in range(1, 51) if i % 3][10:20]
        assert tx.page("patient", 10**30, 10) == (50, [])
    with store.transaction() as tx:
        tx.delete("patient", 5)
    with store.read() as tx:
        total, rows = tx.page("patient", 0, 6)
        assert total == 49 and [r["id"] for r in rows] == [1, 2, 3, 4, 6, 7]


def test_the_pending_deliveries_are_read_through_their_partial_index(tmp_path):
    store = Store(tmp_path / "emr.db")
    with store.transaction() as tx:
        for n in range(50):
            tx.enqueue(destination="rcm" if n % 2 else "crm", wire="hl7", path="/", body="x", key=f"k{n}", at="t")
    for row in store.outbox()[:45]:
        store.mark(row["id"], "delivered", "AA", "t")
    statements = []
    store._conn.set_trace_callback(statements.append)
    destinations, pending = store.pending_destinations(), store.pending("rcm")
    earliest = store.earliest_attempt()
    assert destinations == ["rcm", "crm"] and [r["key"] for r in pending] == ["k45", "k47", "k49"]
    assert earliest is None
    for sql in statements:
        assert "USING INDEX outbox_pending" in plan(store, sql), sql


def test_a_database_with_the_first_releases_count_trigger_counts_each_record_once(tmp_path):
    old = sqlite3.connect(tmp_path / "rcm.db", isolation_level=None)
    old.executescript(SCHEMA + """
        CREATE TABLE counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
        CREATE TRIGGER records_counted BEFORE INSERT ON records
            WHEN NOT EXISTS (SELECT 1 FROM records WHERE kind = NEW.kind AND id = NEW.id)
            BEGIN INSERT INTO counts (kind, n) VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1; END;
        INSERT INTO records VALUES ('patient', 1, '{"id": 1}');""")
    old.close()
    store = Store(tmp_path / "rcm.db")
    with store.transaction() as tx:
        tx.put("patient", {"id": 1, "name": "again"})  # an update: no new record
        tx.insert("patient", {"name": "new"})
        assert tx.count("patient") == 2 and tx.get("patient", 1)["name"] == "again"
    triggers = {name for (name,) in store._conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "records_counted" not in triggers and "records_inserted" in triggers
