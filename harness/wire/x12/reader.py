"""Reading an X12 interchange back: the separators from the fixed-width ISA, the segments, and
X12 dates, times and counts.

Whatever separators the sender declared in its ISA are used, so an interchange written with
``|``, ``}``, ``>`` and a newline reads like one written with ``*``, ``^``, ``:`` and ``~``.
Errors are :class:`~kipu_harness.wire.x12.envelope.X12Error` naming the segment or element.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from .envelope import X12Error

__all__ = ["ISA_LENGTH", "Segment", "check_count", "date8", "split", "time"]

# ISA01..ISA16 are fixed width; with "ISA", 16 separators and the terminator that makes 106.
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ISA_LENGTH = 106
_TAG = re.compile(r"[A-Z][A-Z0-9]{1,2}")


@dataclass(frozen=True)
class Segment:
    elements: tuple[str, ...]  # elements[0] is the segment id, so get(1) is XX01

    @property
    def tag(self) -> str:
        return self.elements[0]

    def get(self, n: int) -> str:
        return self.elements[n] if n < len(self.elements) else ""


def split(text) -> tuple[tuple[str, ...], str, str, list[Segment]]:
    """Read the ISA by its fixed layout, take the separators from it, split the rest.

    Returns (ISA, ISA01..ISA16; element separator; repetition separator; the segments after
    the ISA). ISA16, the component separator, is the last item of the ISA tuple.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str) or not text.strip():
        raise X12Error("ISA: empty input")
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA") or len(text) < 4:
        raise X12Error(f"ISA: input does not start with an ISA segment (starts {text[:20]!r})")
    element = text[3]
    parts = text.split(element, 16)
    if len(parts) < 17 or len(parts[16]) < 2:
        raise X12Error(f"ISA: truncated; {len(text)} characters and {len(parts) - 1} of 16 "
                       f"elements, an ISA is {ISA_LENGTH} characters")
    for n, (value, width) in enumerate(zip(parts[1:16], _ISA_WIDTHS), 1):
        if len(value) != width:
            raise X12Error(f"ISA{n:02d}: {len(value)} characters where the fixed-width ISA "
                           f"needs {width}")
    component, terminator = parts[16][0], parts[16][1]
    isa = (*parts[:16], component)
    repetition = isa[11]
    _check_isa(isa, element, repetition, component, terminator)

    body = parts[16][2:]
    if terminator not in "\r\n" and not body.rstrip(" \t\r\n").endswith(terminator):
        raise X12Error(f"IEA: input does not end with the segment terminator {terminator!r} "
                       f"(truncated?)")
    segments = []
    for raw in body.split(terminator):
        raw = raw.strip("\r\n")  # newlines after the terminator are common and not data
        if not raw.strip():
            continue
        elements = tuple(raw.split(element))
        if not _TAG.fullmatch(elements[0]):
            raise X12Error(f"segment {len(segments) + 2}: {elements[0][:20]!r} is not an X12 "
                           f"segment id")
        segments.append(Segment(elements))
    return isa, element, repetition, segments


def _check_isa(isa: tuple[str, ...], element: str, repetition: str, component: str,
               terminator: str) -> None:
    delimiters = (("ISA element separator", element), ("ISA11 repetition separator", repetition),
                  ("ISA16 component separator", component), ("ISA segment terminator", terminator))
    for name, char in delimiters:
        if char.isalnum() or char == " ":
            raise X12Error(f"{name.split()[0]}: {name} {char!r} cannot be a letter, digit or space")
    if len({char for _, char in delimiters}) != 4:
        raise X12Error("ISA: element, repetition and component separators and the segment "
                       "terminator must all differ")
    if isa[12] != "00501":
        raise X12Error(f"ISA12: version {isa[12]!r}, expected '00501'")
    if not isa[13].isdigit():
        raise X12Error(f"ISA13: interchange control {isa[13]!r} is not 9 digits")
    if isa[14] not in ("0", "1"):
        raise X12Error(f"ISA14: acknowledgment requested {isa[14]!r} is not 0 or 1")
    if isa[15] not in ("T", "P"):
        raise X12Error(f"ISA15: usage {isa[15]!r} is not T or P")
    if not (isa[9].isdigit() and date8("20" + isa[9], "ISA09", quiet=True)):
        raise X12Error(f"ISA09: {isa[9]!r} is not a valid YYMMDD date")
    time(isa[10], "ISA10")


def check_count(value: str, counted: int, where: str, what: str) -> None:
    """A trailer count (SE01, GE01, IEA01) against what was counted."""
    if not value.isdigit():
        raise X12Error(f"{where}: {what} {value!r} is not a number")
    if int(value) != counted:
        raise X12Error(f"{where}: {what} {int(value)}, counted {counted}")


def date8(value: str, where: str, *, quiet: bool = False) -> datetime.date | None:
    """CCYYMMDD to a date; ``quiet`` returns None instead of raising."""
    if len(value) == 8 and value.isascii() and value.isdigit():
        try:
            return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass  # e.g. month 13: same answer as a malformed value
    if quiet:
        return None
    raise X12Error(f"{where}: {value!r} is not a valid CCYYMMDD date")


def time(value: str, where: str) -> datetime.time:
    """X12 TM: HHMM, HHMMSS, or HHMMSS with 1-2 decimal seconds (dropped)."""
    if value.isascii() and value.isdigit() and len(value) in (4, 6, 7, 8):
        try:
            return datetime.time(int(value[:2]), int(value[2:4]), int(value[4:6] or 0))
        except ValueError:
            pass
    raise X12Error(f"{where}: {value!r} is not a valid HHMM[SS] time")
