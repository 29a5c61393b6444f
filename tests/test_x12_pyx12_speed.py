"""pyx12_speed's faster versions of three pyx12 hot spots give what pyx12's own code gives: the
same verdict, messages and 999 over valid 837s and broken ones (segments dropped, repeated,
swapped, emptied, a control character put in), the same counts from the node counter under any
sequence of operations, the same control-character answer for any text."""

from __future__ import annotations

import random
from dataclasses import replace

import hypothesis
import hypothesis.strategies as st
import pytest
import pyx12.map_walker
import pyx12.nodeCounter
import pyx12.validation
from claimkit import CHILD, CODES, OP, PARENT, RCM, RES
from pyx12.errors import EngineError
from pyx12.path import X12Path, X12PathError
from pyx12.segment import Segment

from kipu_harness.wire.x12.claims import build_837, pyx12_speed, validate_837

VALID = [build_837([OP], RCM), build_837([RES], RCM), build_837([replace(OP, patient=CHILD, subscriber=PARENT)], RCM),
         build_837([replace(RES, diagnoses=CODES)], RCM), build_837([OP, replace(OP, claim_id="OP2")], RCM)]


def broken(text: str, rng: random.Random) -> str:
    segments = text.split("~")
    at = rng.randrange(1, len(segments) - 2)  # never the ISA
    change = rng.choice(("drop", "repeat", "swap", "empty", "control"))
    if change == "drop":
        del segments[at]
    elif change == "repeat":
        segments.insert(at, segments[at])
    elif change == "swap":
        segments[at], segments[at + 1] = segments[at + 1], segments[at]
    else:
        elements = segments[at].split("*")
        n = rng.randrange(1, len(elements)) if len(elements) > 1 else 0
        elements[n] = "" if change == "empty" else elements[n] + rng.choice("\x07\x0b\x1d\x02\x17")
        segments[at] = "*".join(elements)
    return "~".join(segments)


RNG = random.Random(13)
CORPUS = VALID + [broken(text, RNG) for text in VALID for _ in range(10)]


def verdict(text: str):
    """What the clearinghouse takes from a validation; the 999's envelope (pyx12's random control
    numbers, the time) left out."""
    try:
        result = validate_837(text)
    except Exception as exc:  # noqa: BLE001 - pyx12 fails on some broken text: the same way both times
        return type(exc).__name__, str(exc)
    body = [s for s in result.ack_999.split("~") if s.strip()[:3] not in ("ISA", "GS*", "GE*", "IEA")]
    return result.ok, result.errors, body


@pytest.fixture
def pyx12_own():
    pyx12_speed.install(False)
    yield
    pyx12_speed.install(True)


def test_it_is_installed_by_validation():
    assert pyx12_speed.installed()


def test_validation_gives_what_pyx12s_own_code_gives(pyx12_own):
    own = [verdict(text) for text in CORPUS]
    pyx12_speed.install(True)
    fast = [verdict(text) for text in CORPUS]
    assert [v[0] for v in own[:len(VALID)]] == [True] * len(VALID)
    assert sum(v[0] is not True for v in own) >= 30, "the broken ones must mostly be found broken"
    assert fast == own


PATHS = ["/ISA_LOOP", "/ISA_LOOP/ISA", "/ISA_LOOP/GS_LOOP", "/ISA_LOOP/GS_LOOP/GS", "/ISA_LOOP/GS_LOOP/ST_LOOP",
         "/ISA_LOOP/GS_LOOP/ST_LOOP/HEADER", "/ISA_LOOP/GS_LOOP/ST_LOOP/HEADER/1000A",
         "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A/2000B",
         "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A/2000B/HL", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000AB",
         "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A/2000B/2300/CLM", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A/2000B/2300/"]
OBJECTS = {p: X12Path(p) for p in PATHS}  # the same objects each time, as a map's nodes give them


@hypothesis.settings(max_examples=300, deadline=None, database=None)
@hypothesis.given(st.lists(st.tuples(st.sampled_from(("increment", "reset_to_node", "setCount")),
                                     st.sampled_from(PATHS), st.booleans(), st.integers(0, 5)), max_size=40))
def test_the_node_counter_counts_as_pyx12s(operations):
    own, fast = pyx12.nodeCounter.NodeCounter(), pyx12_speed.NodeCounter()
    for name, path, as_object, count in operations:
        for counter in (own, fast):
            argument = OBJECTS[path] if as_object else path
            getattr(counter, name)(*((argument, count) if name == "setCount" else (argument,)))
        assert [own.get_count(p) for p in PATHS] == [fast.get_count(OBJECTS[p]) for p in PATHS]
    again = pyx12_speed.NodeCounter(fast.getState())  # the walker's saved state read back
    assert [again.get_count(p) for p in PATHS] == [own.get_count(p) for p in PATHS]


@hypothesis.settings(max_examples=500, deadline=None, database=None)
@hypothesis.given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=12))
def test_control_characters_are_found_as_pyx12_finds_them(text):
    assert pyx12_speed.contains_control_character(text) == pyx12_speed.ORIGINAL["contains_control_character"](text)


@pytest.mark.parametrize("on", [False, True])
def test_reference_designators_read_and_fail_as_pyx12s(on):
    pyx12_speed.install(on)
    segment = Segment("CLM*A1*150***11:B:1", "~", "*", ":")
    assert [segment.get_value(r) for r in ("CLM05-1", "CLM05-3", "02", "CLM05", "CLM09")] == ["11", "1", "150",
                                                                                              "11:B:1", None]
    with pytest.raises(EngineError, match="Invalid Reference Designator: NM101, seg_id: CLM"):
        segment.get_value("NM101")
    with pytest.raises(X12PathError):
        segment.get_value("[X]01")
    pyx12_speed.install(True)


def test_pyx12s_own_come_back(pyx12_own):
    assert pyx12.map_walker.NodeCounter is pyx12.nodeCounter.NodeCounter
    assert pyx12.validation.contains_control_character is pyx12_speed.ORIGINAL["contains_control_character"]
