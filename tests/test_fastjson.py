"""fastjson reads what the standard library reads, value for value and type for type: big
integers stay whole (orjson would make them floats), NaN, lone surrogates and bad UTF-8 still
read, and what is not JSON is still a ValueError."""

from __future__ import annotations

import json

import hypothesis
import hypothesis.strategies as st
import pytest

from kipu_harness import fastjson
from kipu_harness.mocks.common.store import dump, load

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)


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
@hypothesis.given(VALUES, st.booleans())
def test_any_value_reads_back_as_the_standard_library_reads_it(value, compact):
    text = json.dumps(value, separators=(",", ":") if compact else None)
    assert same(fastjson.loads(text), json.loads(text))
    assert same(fastjson.loads(text.encode()), json.loads(text))


@pytest.mark.parametrize("text", ['{"big": 123456789012345678901234567890}', '[-18446744073709551616, -9223372036854775809, 18446744073709551616]',
                                  '{"n": NaN, "i": -Infinity}', '"\\ud800"', '{"a": 1, "a": 2}', '1e400'])
def test_what_orjson_reads_otherwise_reads_as_the_standard_library_reads_it(text):
    assert repr(fastjson.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["[1, 2", "not json", "", "{'a': 1}"])
def test_what_is_not_json_is_a_value_error(text):
    with pytest.raises(ValueError):
        fastjson.loads(text)


def test_a_record_with_an_integer_over_64_bits_reads_back_whole():
    record = {"id": 1, "amount": 2**70, "nested": [{"n": -(2**65)}]}
    assert load(dump(record)) == record and isinstance(load(dump(record))["amount"], int)
