"""The ER7 reader (harness/wire/hl7v2/er7.py) gives python-hl7's answers: every field,
repetition, component and subcomponent of mangled messages, compared with hl7.parse."""

from __future__ import annotations

import random

import hl7
import pytest

from kipu_harness.wire.hl7v2.er7 import Er7Message

BASE = ("MSH|^~\\&|APP|KIPU_EMR|RCM|KIPU_RCM|20240101100000||ADT^A01^ADT_A01|C1|P|2.5.1\r"
        "EVN|A01|20240101100000\r"
        "PID|1||P-1^^^KIPUEMR^PI~MR-1^^^KIPUEMR^MR||O\\T\\Brien^Ana\\S\\Maria^Q||19800102|F|||"
        "1 Main \\F\\ 2^^San Jos\\X00E9\\^CA^95112||555-0100^PRN^PH||||||123-45-6789\r"
        "PV1|1|I||||||||||||||||||||||||||||||||||||||||||20240101090000\r"
        "DG1|1||F10.20^Alcohol \\E\\ dependence^I10||20240101|A|||||||||1")
PIECES = ["", "x", "a^b", "a~b", "a&b", "a^b&c~d", "^", "~", "&", "a^", "~a", "\\F\\", "\\E\\x",
          "a^^b", "a&&", "~~", "a^b~c&d^e"]


def _mangle(rng: random.Random) -> str:
    lines = BASE.split("\r")
    for _ in range(rng.randrange(1, 6)):
        i = rng.randrange(1, len(lines))
        fields = lines[i].split("|")
        f = rng.randrange(1, len(fields) + 3)
        fields += [""] * (f + 1 - len(fields))
        fields[f] = rng.choice(PIECES) if rng.random() < 0.7 else fields[f] + rng.choice(PIECES)
        lines[i] = "|".join(fields)
    return "\r".join(lines)


def _theirs(segment, *path):
    try:
        return segment.extract_field(1, *path)
    except IndexError:
        return IndexError


@pytest.mark.parametrize("seed", range(30))
def test_every_value_is_python_hl7s(seed):
    er7 = _mangle(random.Random(seed))
    theirs, ours = hl7.parse(er7), Er7Message(er7)
    assert [str(s[0]) for s in theirs] == [s.name for s in ours]
    for their_seg, our_seg in zip(theirs, ours):
        assert len(their_seg) == len(our_seg)
        for field in range(1, len(their_seg) + 2):
            reps = len(their_seg(field)) if field < len(their_seg) else 0
            assert our_seg.repetitions(field) == reps
            for rep in range(1, 4):
                for comp in range(1, 6):
                    for sub in range(1, 4):
                        path = (field, rep, comp, sub)
                        assert _theirs(our_seg, *path) == _theirs(their_seg, *path), (str(their_seg), path)


def test_segments_print_as_they_came():
    assert [str(s) for s in Er7Message(BASE)] == BASE.split("\r")
    assert Er7Message(BASE).segment("PID").name == "PID"


@pytest.mark.parametrize("er7", ["PID|1", "MSH|^~", "MSH|^^\\&|x"])
def test_unreadable_headers_are_refused(er7):
    with pytest.raises(ValueError):
        Er7Message(er7)
