"""The X12 envelope every transaction here shares: separators, free text, segments, ISA/GS/ST
framing and control numbers.

Every builder writes with the same separators: ``*`` between elements, ``:`` between the
components of a composite, ``^`` between repetitions, and ``~`` (then a newline) after each
segment. X12 5010 has no escape character, so a separator cannot travel inside a value:

- free text (names, addresses, messages such as MSG01 or STC12) goes through
  :func:`free_text`, which turns each separator and control character into a space;
- anything else (identifiers, codes, amounts, dates) is checked by :func:`segment`, which
  refuses a separator: an identifier changed on the way would name something else.

Control numbers: ISA13 and IEA02 are the interchange control as 9 digits, GS06 and GE02 the
group control, ST02 and SE02 the transaction control as at least 4 digits. Times are naive
local times (an aware one is refused); the envelope carries them to the second.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

__all__ = [
    "COMPONENT",
    "ELEMENT",
    "Envelope",
    "REPETITION",
    "Repeats",
    "SEPARATORS",
    "TERMINATOR",
    "X12Error",
    "check_envelope",
    "d8",
    "free_text",
    "hhmmss",
    "seal",
    "segment",
]

ELEMENT, REPETITION, COMPONENT, TERMINATOR = "*", "^", ":", "~"
SEPARATORS = ELEMENT + COMPONENT + REPETITION + TERMINATOR
# What no value may hold: the separators, and line breaks (segments are one per line).
_FORBIDDEN = frozenset(SEPARATORS + "\r\n")
# Separators, C0/C1 control characters (line breaks and tabs included) and unpaired surrogates.
_UNSAFE = re.compile(r"[*:^~\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class X12Error(ValueError):
    """An interchange that cannot be built or accepted; str() is a one-line reason naming the
    segment/element, e.g. ``'SE01: segment count 9, counted 11'``."""


@dataclass(frozen=True)
class Envelope:
    """What ISA/GS/ST need; the sender of an answer (271, 277CA) is the payer or clearinghouse."""

    sender_id: str  # ISA06 (padded to 15) and GS02
    receiver_id: str  # ISA08 (padded to 15) and GS03
    interchange_control: int  # ISA13 (9 digits zero-padded) = IEA02
    group_control: int  # GS06 = GE02
    transaction_control: int  # ST02 (4+ digits) = SE02
    created_at: datetime.datetime  # ISA09/ISA10, GS04/GS05, BHT04/BHT05
    usage: str = "T"  # ISA15: T (test) or P (production)


class Repeats(tuple):
    """Repetitions of one element (joined by ``^``), where a plain tuple is a composite."""


def free_text(value: str) -> str:
    """``value`` as it can travel in any element: each separator (``* : ^ ~``), control
    character (line breaks too) and unpaired surrogate becomes a space, then runs of blanks
    become one and outer blanks go. ``"O'NEIL*SMITH"`` -> ``"O'NEIL SMITH"``.

    Every builder passes every free-text value through here; raises :class:`X12Error` for a
    value that is not text.
    """
    if not isinstance(value, str):
        raise X12Error(f"{value!r} is not text")
    return " ".join(_UNSAFE.sub(" ", value).split())


def segment(tag: str, *values: str | tuple[str, ...], error: type[ValueError] = X12Error) -> str:
    """One segment without its terminator.

    A :class:`Repeats` value is sent as repetitions, any other tuple as a composite (trailing
    empty components dropped). Trailing empty elements are dropped, as X12 requires. A value
    holding a separator or a line break is refused with ``error`` naming the element: free
    text must have gone through :func:`free_text` first, so anything caught here is an
    identifier or code that cannot be carried.
    """
    elements = [tag]
    for n, value in enumerate(values, 1):
        if isinstance(value, Repeats):
            parts, joiner = list(value), REPETITION
        elif isinstance(value, tuple):
            parts, joiner = list(value), COMPONENT
            while parts and parts[-1] == "":
                parts.pop()
        else:
            parts, joiner = [value], ""
        for part in parts:
            if not isinstance(part, str):
                raise error(f"{tag}{n:02d}: {part!r} is not text")
            bad = sorted(_FORBIDDEN.intersection(part))
            if bad:
                raise error(f"{tag}{n:02d}: {part!r} contains the delimiter(s) {''.join(bad)!r}")
        elements.append(joiner.join(parts))
    while elements[-1] == "":
        elements.pop()
    return ELEMENT.join(elements)


def check_envelope(envelope: Envelope) -> None:
    """Refuse envelope values the ISA/GS/ST cannot carry; raises :class:`X12Error`."""
    for value, isa, _gs in ((envelope.sender_id, "ISA06", "GS02"),
                            (envelope.receiver_id, "ISA08", "GS03")):
        # GS02/GS03 are 2-15 characters and ISA06/ISA08 are 15 once padded: 2..15 fits both.
        if not isinstance(value, str) or not 2 <= len(value) <= 15 or value != value.strip():
            raise X12Error(f"{isa}: id {value!r} must be 2 to 15 characters without outer blanks")
        if _FORBIDDEN.intersection(value):
            raise X12Error(f"{isa}: id {value!r} contains a delimiter")
    for value, where, what in ((envelope.interchange_control, "ISA13", "interchange"),
                               (envelope.group_control, "GS06", "group"),
                               (envelope.transaction_control, "ST02", "transaction")):
        if not 1 <= value <= 999_999_999:
            raise X12Error(f"{where}: {what} control {value} is not 1..999999999")
    if envelope.usage not in ("T", "P"):
        raise X12Error(f"ISA15: usage {envelope.usage!r} is not T or P")
    if envelope.created_at.tzinfo is not None:
        raise X12Error(f"GS04: {envelope.created_at.isoformat()} has a time zone; "
                       f"pass naive local time")


def seal(kind: str, functional_id: str, version: str, body: list[str], envelope: Envelope,
         *, error: type[ValueError] = X12Error) -> str:
    """Wrap a transaction body (segments without terminators) in ST/SE, GS/GE and ISA/IEA,
    counting as the trailers need; one segment per line (``~`` then ``\\n``)."""
    st02 = f"{envelope.transaction_control:04d}"
    at = envelope.created_at
    segments = [
        _isa(envelope),
        segment("GS", functional_id, envelope.sender_id, envelope.receiver_id, d8(at),
                hhmmss(at), str(envelope.group_control), "X", version, error=error),
        segment("ST", kind, st02, version, error=error),
        *body,
        segment("SE", str(len(body) + 2), st02),  # ST to SE inclusive
        segment("GE", "1", str(envelope.group_control)),
        segment("IEA", "1", f"{envelope.interchange_control:09d}"),
    ]
    return "".join(s + TERMINATOR + "\n" for s in segments)


def _isa(envelope: Envelope) -> str:
    """The fixed-width ISA: 106 characters with its terminator; ISA11 and ISA16 declare the
    repetition and component separators."""
    at = envelope.created_at
    return ELEMENT.join((
        "ISA", "00", " " * 10, "00", " " * 10,
        "ZZ", envelope.sender_id.ljust(15), "ZZ", envelope.receiver_id.ljust(15),
        at.strftime("%y%m%d"), at.strftime("%H%M"), REPETITION, "00501",
        f"{envelope.interchange_control:09d}", "0", envelope.usage, COMPONENT,
    ))


def d8(value: datetime.date) -> str:
    """X12 D8 (CCYYMMDD)."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def hhmmss(value: datetime.datetime) -> str:
    """X12 TM to the second (HHMMSS)."""
    return f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
