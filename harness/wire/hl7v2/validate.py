"""hl7apy's validation of a whole message against the HL7 structure for its version (required
segments and fields, cardinality, order, datatypes), remembered per message shape.

hl7apy takes about 10 ms to parse and validate an ADT message, which made it most of an
admission. What its :class:`~hl7apy.validation.Validator` raises depends only on the message's
*shape*: which segments come in which order, which fields, repetitions, components and
subcomponents hold a value (whitespace alone counts as none, as hl7apy's parser strips it), the message type (MSH-9) and the version (MSH-12). Values never
raise: a value that is too long or not in its table is a warning, which the validator does not
raise, and parsing at the tolerant level does not check values. So the first message of each
shape is validated by hl7apy, and later messages of a shape that passed are passed without it.
Only passes are remembered: a refusal's wording could quote a value, and one message's values
must never appear in another's answer. ``tests/test_hl7v2_validate.py`` checks the premise
against hl7apy on mangled messages.

Only messages in the standard encoding characters, made of segments whose fields have fixed
datatypes, are remembered; anything else (an OBX, whose OBX-5 type depends on OBX-2, a Z
segment, other delimiters) goes through hl7apy every time.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from threading import Lock

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message
from hl7apy.validation import Validator

from .message import HL7Error, hl7apy_reason

__all__ = ["check_structure", "shape", "validate_with_hl7apy"]

# Segments of ADT_A01/ADT_A03 whose fields all have a fixed datatype.
REMEMBERED_SEGMENTS = frozenset({"MSH", "SFT", "EVN", "PID", "PD1", "ROL", "NK1", "PV1", "PV2",
                                 "DB1", "AL1", "DG1", "DRG", "PR1", "GT1", "IN1", "IN2", "IN3",
                                 "ACC", "UB1", "UB2", "PDA"})
_VALUE = re.compile(r"[^|^~&]+")


def _mark(match: re.Match) -> str:
    # hl7apy's parser takes a field, component or subcomponent of only whitespace as absent.
    return "" if match.group().isspace() else "x"

_ENCODING = "MSH|^~\\&|"
_MAX_SHAPES = 4096  # shapes remembered, oldest dropped first: bounded whatever senders send


class _Passed:
    """A bounded, thread-safe set of shapes that hl7apy passed (least recently used dropped)."""

    def __init__(self, size: int):
        self._size, self._shapes, self._lock = size, OrderedDict(), Lock()

    def __contains__(self, key: str) -> bool:
        with self._lock:
            if key in self._shapes:
                self._shapes.move_to_end(key)
                return True
            return False

    def add(self, key: str) -> None:
        with self._lock:
            self._shapes[key] = None
            self._shapes.move_to_end(key)
            while len(self._shapes) > self._size:
                self._shapes.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._shapes.clear()


PASSED = _Passed(_MAX_SHAPES)


def shape(er7: str) -> str | None:
    """The message with every value replaced by ``x``, keeping segment names, delimiters, MSH-9
    and MSH-12; None for a message whose verdict is not remembered (see the module docstring).
    ``er7`` has ``\\r`` between segments, as :func:`~.parse.normalize` leaves it."""
    if not er7.startswith(_ENCODING):
        return None
    lines = er7.split("\r")
    out = []
    for line in lines:
        name = line[:3]
        if name not in REMEMBERED_SEGMENTS or (len(line) > 3 and line[3] != "|"):
            return None
        if name == "MSH":
            # MSH-9 (the structure validated against) and MSH-12 (the version) are kept whole.
            fields = line.split("|")[2:]
            out.append("MSH|^~\\&|" + "|".join(
                f"[{f}]" if i in (6, 9) else _VALUE.sub(_mark, f) for i, f in enumerate(fields)))
        else:
            out.append(name + _VALUE.sub(_mark, line[3:]))
    return "\r".join(out)


def validate_with_hl7apy(er7: str) -> None:
    """hl7apy's verdict, every time: parse at the tolerant level and validate the structure."""
    try:
        Validator.validate(parse_message(er7, validation_level=VALIDATION_LEVEL.TOLERANT))
    except Exception as exc:  # hl7apy raises assorted types on malformed input
        raise HL7Error(hl7apy_reason(exc)) from exc


def check_structure(er7: str) -> None:
    """Raise :class:`HL7Error` naming the segment or field if hl7apy's validation refuses ``er7``
    (segments separated by ``\\r``); a shape it passed before passes at once."""
    key = shape(er7)
    if key is not None and key in PASSED:
        return
    validate_with_hl7apy(er7)
    if key is not None:
        PASSED.add(key)
