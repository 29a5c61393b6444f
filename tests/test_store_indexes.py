"""Lookups that stay flat as the data grows (issue 11, goal 4): Tx.find goes through the expression
index of an INDEXED field, and finds exactly what a scan with Python's == finds."""

from __future__ import annotations

from kipu_harness.mocks.common.store import INDEXED, Store


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
