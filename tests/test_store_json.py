"""A record reads back as the standard library reads its text, value for value and type for type:
whether orjson wrote it or the standard library did (dump's fallback for an integer outside 64
bits, or a record from before orjson), with big integers whole (orjson reads them as floats
without an error), NaN and text with quotes and colons inside."""

from __future__ import annotations

import json

import hypothesis
import hypothesis.strategies as st
import pytest

from kipu_harness.mocks.common.store import Store, dump, load

LEAVES = (st.none() | st.booleans() | st.integers() | st.sampled_from([-(2**63) - 1, -(2**63), 2**64 - 1, 2**64])
          | st.floats(allow_nan=False) | st.text() | st.sampled_from(['a": b', '\\": 1', ', "x": 2']))
VALUES = st.recursive(LEAVES, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(st.text(max_size=6), children, max_size=4), max_leaves=12)


def same(a, b) -> bool:
    """Equal, with the same types all the way down (1 == 1.0 == True would hide a change)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@hypothesis.settings(max_examples=400, deadline=None, database=None)
@hypothesis.given(st.dictionaries(st.text(max_size=6), VALUES, max_size=5))
def test_any_record_reads_back_as_the_standard_library_reads_its_text(fields):
    record = {**fields, "id": 1}
    written = dump(record)
    assert same(load(written), json.loads(written))
    legacy = json.dumps(record, sort_keys=True)  # a record written before orjson
    assert same(load(legacy), json.loads(legacy))


@pytest.mark.parametrize("value", [2**70, -(2**63) - 1, 2**64, -(2**80)])
def test_what_orjson_would_read_otherwise_reads_back_as_written(value, tmp_path):
    store = Store(tmp_path / "s.db")
    with store.transaction() as tx:
        tx.put("thing", {"id": 1, "value": value, "nested": [{"v": value}]})
    with store.transaction() as tx:
        got = tx.get("thing", 1)
    assert repr(got["value"]) == repr(value) and repr(got["nested"][0]["v"]) == repr(value)
