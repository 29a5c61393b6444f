"""X12 005010X279A1 eligibility: the RCM's 270 inquiry and the payer's 271 answer.

The mock RCM turns an insurance set into a 270 (:func:`build_270`); the mock payer or
clearinghouse reads it (:func:`parse_270`) and answers with a 271 driven by a configured member
outcome (:func:`build_271`); the RCM reads the 271 (:func:`parse_271`) and stores the result.
:func:`validate_structure` checks the envelope and the loop structure of either.

pyx12 ships no 5010 maps for 270/271 (only 4010 X092), so the checks are written here. They cover
what the integration relies on, not the whole implementation guide: envelopes and counts, control
numbers, version, BHT, the HL hierarchy, the NM1 of each level, EQ (270) or EB/AAA (271) in the
patient's loop, and real dates.

Layout built (``~`` ends each segment, ``*`` separates elements, ``^`` repetitions, ``:``
components)::

    ISA ... GS*HS|HB ... ST*270|271*0001*005010X279A1  BHT*0022*13|11*<ST02>*CCYYMMDD*HHMMSS
    HL*1**20*1  NM1*PR*2*payer_name*****PI*payer_id                       2000A / 2100A
    HL*2*1*21*1 NM1*1P*2*provider_name*****XX*npi                         2000B / 2100B
    HL*3*2*22*0|1 [TRN] NM1*IL*1*last*first****MI*member_id DMG*D8*dob*g  2000C / 2100C
    [HL*4*3*23*0 [TRN] NM1*03*1*last*first[****MI*member_id] DMG ...]     2000D / 2100D
    270, in the patient's loop: DTP*291*D8*service_date  EQ*30^MH^...
    271, in the patient's loop: DTP*307*D8*service_date  EB*1|6*IND*30^MH^... [EB11] [MSG]
                                or, in 2100C: AAA*N**75*C (subscriber not found)

The trace number travels as TRN*1 in the 270 and comes back as TRN*2 in the 271, in the
patient's loop (2000C, or 2000D for a dependent).

Precision: the envelope time is sent as GS04/GS05 CCYYMMDD HHMMSS, so a round trip keeps
``created_at`` to the second. Datetimes are naive local times; an aware one is refused.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "Benefit",
    "EligibilityRequest",
    "EligibilityResponse",
    "Envelope",
    "OUTCOMES",
    "Party",
    "SERVICE_TYPES",
    "X12Error",
    "build_270",
    "build_271",
    "parse_270",
    "parse_271",
    "validate_structure",
]

# Default EQ01 for behavioral health: plan coverage, mental health, substance abuse, alcoholism,
# and the mental-health / substance-abuse provider and facility codes (CE-CJ are 5010 codes).
SERVICE_TYPES = ("30", "MH", "AI", "AJ", "CE", "CF", "CG", "CH", "CI", "CJ")
OUTCOMES = ("active", "inactive", "auth_required", "not_found")

VERSION = "005010X279A1"
_ELEMENT, _REPETITION, _COMPONENT, _TERMINATOR = "*", "^", ":", "~"
_DELIMITERS = _ELEMENT + _REPETITION + _COMPONENT + _TERMINATOR + "\r\n"
# ISA01..ISA16 are fixed width; with "ISA", 16 separators and the terminator that makes 106.
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_ISA_LENGTH = 106
_FUNCTIONAL_IDS = MappingProxyType({"270": "HS", "271": "HB"})
_BHT_PURPOSE = MappingProxyType({"270": "13", "271": "11"})  # 13 request, 11 response
_GENDERS = ("F", "M", "U")
# EB01 eligibility codes: 1-5 are kinds of active coverage, 6-8 kinds of inactive coverage.
_ACTIVE = ("1", "2", "3", "4", "5")
_INACTIVE = ("6", "7", "8")
# TRN03 is required and exactly 10 characters: "9" (assigned by the originator) + 9 more.
_TRN_ORIGINATOR = "9KIPURCM00"
_NOT_FOUND_REASON = "75"  # AAA03: subscriber/insured not found
_AUTH_MESSAGE = "AUTHORIZATION REQUIRED"
_TAG = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_SERVICE_TYPE = re.compile(r"[A-Z0-9]{1,2}")


@dataclass(frozen=True)
class _Level:
    code: str  # HL03
    parent: str | None  # HL03 of the parent level
    loop: str  # the 2000 loop the HL opens
    name_loop: str  # the 2100 loop that holds its NM1
    entity: str  # NM101 required in that 2100 loop
    what: str


_LEVELS = MappingProxyType({
    "20": _Level("20", None, "2000A", "2100A", "PR", "information source"),
    "21": _Level("21", "20", "2000B", "2100B", "1P", "information receiver"),
    "22": _Level("22", "21", "2000C", "2100C", "IL", "subscriber"),
    "23": _Level("23", "22", "2000D", "2100D", "03", "dependent"),
})


class X12Error(ValueError):
    """An interchange that cannot be built or accepted; str() is a one-line reason naming the
    segment/element, e.g. ``'SE01: segment count 9, counted 11'``."""


@dataclass(frozen=True)
class Party:
    """A person in 2100C (subscriber) or 2100D (dependent)."""

    member_id: str  # NM109; may be "" (a dependent normally has none in 5010)
    first_name: str  # NM104
    last_name: str  # NM103
    dob: datetime.date  # DMG02
    gender: str  # DMG03: "F", "M" or "U"


@dataclass(frozen=True)
class EligibilityRequest:
    payer_name: str  # 2100A NM103
    payer_id: str  # 2100A NM109 (qualifier PI)
    provider_name: str  # 2100B NM103
    provider_npi: str  # 2100B NM109 (qualifier XX)
    subscriber: Party  # 2000C / 2100C
    dependent: Party | None = None  # 2000D / 2100D when the patient is not the subscriber
    service_types: tuple[str, ...] = SERVICE_TYPES  # EQ01 repetitions
    # Keyword-only so the field order above can stay as documented with a required date.
    service_date: datetime.date = field(kw_only=True)  # DTP*291*D8
    trace_number: str = ""  # TRN02 in the patient's loop; "" sends no TRN


@dataclass(frozen=True)
class Benefit:
    info: str  # EB01: "1" active coverage, "6" inactive, ...
    service_types: tuple[str, ...]  # EB03 repetitions
    authorization_required: bool  # EB11 == "Y"
    message: str = ""  # MSG01 of the MSG segments following the EB, joined by " "


@dataclass(frozen=True)
class EligibilityResponse:
    status: str  # "active" | "inactive" | "auth_required" | "not_found"
    benefits: tuple[Benefit, ...]  # the EBs of the patient's loop
    reject_reason: str = ""  # AAA03 of the first rejecting AAA (e.g. "75") when not_found
    trace_number: str = ""  # TRN02 of the TRN*2 echoing the inquiry
    subscriber: Party | None = None  # 2100C; None when the 271 carries no DMG for it


@dataclass(frozen=True)
class Envelope:
    """What ISA/GS/ST need; the sender of a 271 is the payer."""

    sender_id: str  # ISA06 (padded to 15) and GS02
    receiver_id: str  # ISA08 (padded to 15) and GS03
    interchange_control: int  # ISA13 (9 digits zero-padded) = IEA02
    group_control: int  # GS06 = GE02
    transaction_control: int  # ST02 (4+ digits) = SE02
    created_at: datetime.datetime  # ISA09/ISA10, GS04/GS05, BHT04/BHT05
    usage: str = "T"  # ISA15: T (test) or P (production)


# --------------------------------------------------------------------------- building

def build_270(request: EligibilityRequest, envelope: Envelope) -> str:
    """Build a 270 inquiry for ``request``; one segment per line (``~`` then ``\\n``).

    Raises :class:`X12Error` for values X12 cannot carry: a delimiter inside a value, an NPI
    that fails its check digit, a gender outside F/M/U, no or malformed service type codes, a
    trace number over 50 characters, or envelope values out of range. The result passes
    :func:`validate_structure`.
    """
    _check_request(request)
    _check_envelope(envelope)
    patient_level = "23" if request.dependent else "22"
    body = _head(request, "270", envelope)
    body += _person_loop("22", request, patient_level, trn="1")
    if request.dependent:
        body += _person_loop("23", request, patient_level, trn="1")
    body += [_seg("DTP", "291", "D8", _d8(request.service_date)),
             _seg("EQ", tuple(request.service_types))]
    return _seal("270", body, envelope)


def build_271(request: EligibilityRequest, outcome: str, envelope: Envelope) -> str:
    """Build the payer's 271 answer to ``request`` for a configured member ``outcome``.

    - ``active``: ``EB*1*IND*<requested service types>`` with EB11 ``N``
    - ``inactive``: ``EB*6*IND*<requested service types>``
    - ``auth_required``: ``EB*1*IND*<types>`` with EB11 ``Y``, then ``MSG*AUTHORIZATION REQUIRED``
    - ``not_found``: ``AAA*N**75*C`` in 2100C and no EB; a requested dependent loop is dropped,
      since the payer never got past the subscriber.

    The request's trace number comes back as ``TRN*2``. Raises :class:`X12Error` for an unknown
    outcome or the same bad input :func:`build_270` refuses.
    """
    if outcome not in OUTCOMES:
        raise X12Error(f"EB01: unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    _check_request(request)
    _check_envelope(envelope)
    found = outcome != "not_found"
    patient_level = "23" if request.dependent and found else "22"
    body = _head(request, "271", envelope)
    body += _person_loop("22", request, patient_level, trn="2",
                         reject=None if found else _NOT_FOUND_REASON)
    if patient_level == "23":
        body += _person_loop("23", request, patient_level, trn="2")
    if found:
        types = tuple(request.service_types)
        # DTP*307 (eligibility date): the date the answer applies to, i.e. the one asked about.
        body.append(_seg("DTP", "307", "D8", _d8(request.service_date)))
        if outcome == "inactive":
            body.append(_seg("EB", "6", "IND", types))
        else:
            # EB11 says explicitly whether these services need an authorization.
            auth = "Y" if outcome == "auth_required" else "N"
            body.append(_seg("EB", "1", "IND", types, "", "", "", "", "", "", "", auth))
            if outcome == "auth_required":
                body.append(_seg("MSG", _AUTH_MESSAGE))
    return _seal("271", body, envelope)


def _head(request: EligibilityRequest, kind: str, envelope: Envelope) -> list[str]:
    """BHT and the 2000A/2000B levels, which a 270 and its 271 share."""
    return [
        _seg("BHT", "0022", _BHT_PURPOSE[kind], f"{envelope.transaction_control:04d}",
             _d8(envelope.created_at), _hhmmss(envelope.created_at)),
        _seg("HL", "1", "", "20", "1"),
        _seg("NM1", "PR", "2", request.payer_name, "", "", "", "", "PI", request.payer_id),
        _seg("HL", "2", "1", "21", "1"),
        _seg("NM1", "1P", "2", request.provider_name, "", "", "", "", "XX", request.provider_npi),
    ]


def _person_loop(level: str, request: EligibilityRequest, patient_level: str, *, trn: str,
                 reject: str | None = None) -> list[str]:
    """HL, TRN (patient's loop only), NM1, AAA and DMG of 2000C/2100C or 2000D/2100D."""
    party = request.subscriber if level == "22" else request.dependent
    hl_id, parent = ("3", "2") if level == "22" else ("4", "3")
    lines = [_seg("HL", hl_id, parent, level, "1" if level != patient_level else "0")]
    if level == patient_level and request.trace_number:
        lines.append(_seg("TRN", trn, request.trace_number, _TRN_ORIGINATOR))
    entity = _LEVELS[level].entity
    qualifier = "MI" if party.member_id else ""
    lines.append(_seg("NM1", entity, "1", party.last_name, party.first_name, "", "", "",
                      qualifier, party.member_id))
    if reject:
        # AAA01 N (request not valid), AAA03 reject reason, AAA04 C (correct and resubmit).
        lines.append(_seg("AAA", "N", "", reject, "C"))
    lines.append(_seg("DMG", "D8", _d8(party.dob), party.gender))
    return lines


def _seal(kind: str, body: list[str], envelope: Envelope) -> str:
    """Wrap the transaction body in ST/SE, GS/GE and ISA/IEA, counting as the trailers need."""
    st02 = f"{envelope.transaction_control:04d}"
    at = envelope.created_at
    segments = [
        _isa(envelope),
        _seg("GS", _FUNCTIONAL_IDS[kind], envelope.sender_id, envelope.receiver_id, _d8(at),
             _hhmmss(at), str(envelope.group_control), "X", VERSION),
        _seg("ST", kind, st02, VERSION),
        *body,
    ]
    segments.append(_seg("SE", str(len(body) + 2), st02))  # ST to SE inclusive
    segments += [_seg("GE", "1", str(envelope.group_control)),
                 _seg("IEA", "1", f"{envelope.interchange_control:09d}")]
    return "".join(s + _TERMINATOR + "\n" for s in segments)


def _isa(envelope: Envelope) -> str:
    at = envelope.created_at
    return _ELEMENT.join((
        "ISA", "00", " " * 10, "00", " " * 10,
        "ZZ", envelope.sender_id.ljust(15), "ZZ", envelope.receiver_id.ljust(15),
        at.strftime("%y%m%d"), at.strftime("%H%M"), _REPETITION, "00501",
        f"{envelope.interchange_control:09d}", "0", envelope.usage, _COMPONENT,
    ))


def _seg(tag: str, *values: str | tuple[str, ...]) -> str:
    """One segment without its terminator; a tuple value is sent as repetitions.

    Trailing empty elements are dropped, as X12 requires.
    """
    elements = [tag]
    for n, value in enumerate(values, 1):
        parts = value if isinstance(value, tuple) else (value,)
        for part in parts:
            if not isinstance(part, str):
                raise X12Error(f"{tag}{n:02d}: {part!r} is not text")
            bad = sorted({c for c in part if c in _DELIMITERS})
            if bad:
                raise X12Error(f"{tag}{n:02d}: {part!r} contains the delimiter(s) {''.join(bad)!r}")
        elements.append(_REPETITION.join(parts))
    while elements[-1] == "":
        elements.pop()
    return _ELEMENT.join(elements)


def _check_request(request: EligibilityRequest) -> None:
    # Checked up front so a bad value is reported by its element, not by a rejecting payer.
    if not request.payer_name or not request.payer_id:
        raise X12Error("NM103: 2100A payer name and payer id (NM109) are both required")
    if not request.provider_name:
        raise X12Error("NM103: 2100B provider name is empty")
    if not _npi_ok(request.provider_npi):
        raise X12Error(f"NM109: 2100B NPI {request.provider_npi!r} is not 10 digits with a "
                       f"valid check digit")
    for party, loop in ((request.subscriber, "2100C"), (request.dependent, "2100D")):
        if party is None:
            continue
        # The payer searches by member id, or by name and birth date; a dependent has no id.
        if (loop == "2100D" or not party.member_id) and not (party.last_name and party.first_name):
            raise X12Error(f"NM103: {loop} needs last name (NM103) and first name (NM104)"
                           f"{'' if loop == '2100D' else ' when there is no member id (NM109)'}")
        if party.gender not in _GENDERS:
            raise X12Error(f"DMG03: {loop} gender {party.gender!r} is not one of "
                           f"{', '.join(_GENDERS)}")
        if not isinstance(party.dob, datetime.date):
            raise X12Error(f"DMG02: {loop} date of birth {party.dob!r} is not a date")
    types = request.service_types
    if not isinstance(types, tuple) or not 1 <= len(types) <= 99:
        raise X12Error("EQ01: service_types must be a tuple of 1 to 99 codes")
    for code in types:
        if not isinstance(code, str) or not _SERVICE_TYPE.fullmatch(code):
            raise X12Error(f"EQ01: service type {code!r} is not a 1-2 character code")
    if len(request.trace_number) > 50:
        raise X12Error(f"TRN02: trace number is {len(request.trace_number)} characters; "
                       f"at most 50")
    if not isinstance(request.service_date, datetime.date):
        raise X12Error(f"DTP03: service date {request.service_date!r} is not a date")


def _check_envelope(envelope: Envelope) -> None:
    for value, isa, gs in ((envelope.sender_id, "ISA06", "GS02"),
                           (envelope.receiver_id, "ISA08", "GS03")):
        # GS02/GS03 are 2-15 characters and ISA06/ISA08 are 15 once padded: 2..15 fits both.
        if not 2 <= len(value) <= 15 or value != value.strip():
            raise X12Error(f"{isa}: id {value!r} must be 2 to 15 characters without outer blanks")
    if not 1 <= envelope.interchange_control <= 999_999_999:
        raise X12Error(f"ISA13: interchange control {envelope.interchange_control} is not "
                       f"1..999999999")
    if not 1 <= envelope.group_control <= 999_999_999:
        raise X12Error(f"GS06: group control {envelope.group_control} is not 1..999999999")
    if not 1 <= envelope.transaction_control <= 999_999_999:
        raise X12Error(f"ST02: transaction control {envelope.transaction_control} is not "
                       f"1..999999999")
    if envelope.usage not in ("T", "P"):
        raise X12Error(f"ISA15: usage {envelope.usage!r} is not T or P")
    if envelope.created_at.tzinfo is not None:
        raise X12Error(f"GS04: {envelope.created_at.isoformat()} has a time zone; "
                       f"pass naive local time")


def _npi_ok(npi: str) -> bool:
    """NPI check digit: Luhn over the number prefixed with 80840 (the card issuer prefix)."""
    if not isinstance(npi, str) or len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for i, digit in enumerate(int(c) for c in reversed("80840" + npi)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _d8(value: datetime.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _hhmmss(value: datetime.datetime) -> str:
    return f"{value.hour:02d}{value.minute:02d}{value.second:02d}"


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class _Segment:
    elements: tuple[str, ...]  # elements[0] is the segment id, so get(1) is XX01

    @property
    def tag(self) -> str:
        return self.elements[0]

    def get(self, n: int) -> str:
        return self.elements[n] if n < len(self.elements) else ""


@dataclass(frozen=True)
class _Loop:
    hl: _Segment
    level: _Level
    segments: tuple[_Segment, ...]  # after the HL, up to the next HL
    leaf: bool  # no HL names this one as its parent: this is a patient's loop

    @property
    def id(self) -> str:
        return self.hl.get(1)

    def first(self, tag: str) -> _Segment | None:
        return next((s for s in self.segments if s.tag == tag), None)

    def all(self, tag: str) -> list[_Segment]:
        return [s for s in self.segments if s.tag == tag]


@dataclass(frozen=True)
class _Transaction:
    st: _Segment
    bht: _Segment
    loops: tuple[_Loop, ...]


@dataclass(frozen=True)
class _Group:
    gs: _Segment
    transactions: tuple[_Transaction, ...]


@dataclass(frozen=True)
class _Interchange:
    isa: tuple[str, ...]  # ISA, ISA01..ISA16
    repetition: str
    groups: tuple[_Group, ...]


def validate_structure(text: str, expected: str) -> None:
    """Check that ``text`` is a well-formed 005010X279A1 ``expected`` ("270" or "271").

    Separators are read from the ISA itself. Checked: the fixed-width 106-character ISA, ISA12
    and ISA13-ISA16; GS01 (HS/HB) and GS08; ST01, ST03, SE01 (segments from ST to SE inclusive)
    and SE02; GE01/GE02 and IEA01/IEA02; BHT01 0022 and BHT02 13 (270) or 11 (271); HL ids
    counting up from 1, levels 20/21/22[/23] with consistent parents and child codes; NM1*PR in
    2100A, NM1*1P in 2100B, NM1*IL in 2100C, NM1*03 in 2100D; in each patient's (innermost)
    loop an EQ for a 270 or an EB or AAA for a 271; real CCYYMMDD dates in DTP, DMG, BHT and GS.
    Raises :class:`X12Error` with a one-line reason naming the segment and element.
    """
    _read(text, expected)


def parse_270(text: str) -> tuple[EligibilityRequest, Envelope]:
    """Read a 270 with one transaction for one subscriber (and optionally one dependent).

    Runs the :func:`validate_structure` checks first. Service types are the EQ01 repetitions
    of every EQ in the patient's loop. The service date is DTP*291 there (the start of an RD8
    range); without one, the inquiry is for the day it was made (BHT04), as X279A1 provides.
    Raises :class:`X12Error`.
    """
    interchange = _read(text, "270")
    transaction = _single(interchange, "parse_270")
    source, receiver, subscriber_loop, *rest = transaction.loops
    patient_loop = transaction.loops[-1]
    payer = _name(source)
    provider = _name(receiver)
    if provider.get(8) != "XX":
        raise X12Error(f"NM108: 2100B qualifier {provider.get(8)!r}, expected XX (NPI)")
    if not _npi_ok(provider.get(9)):
        raise X12Error(f"NM109: 2100B NPI {provider.get(9)!r} is not 10 digits with a valid "
                       f"check digit")
    if not payer.get(9):
        raise X12Error("NM109: 2100A payer has no identifier")

    types: list[str] = []
    for eq in patient_loop.all("EQ"):
        types += [t for t in eq.get(1).split(interchange.repetition) if t]
    if not types:
        raise X12Error(f"EQ01: {patient_loop.level.loop} asks about no service type; only "
                       f"service-type inquiries are read")
    service_date = None
    for dtp in patient_loop.all("DTP"):
        if dtp.get(1) == "291":
            service_date = _date8(dtp.get(3)[:8], "DTP03")
            break
    if service_date is None:
        service_date = _date8(transaction.bht.get(4), "BHT04")

    request = EligibilityRequest(
        payer_name=payer.get(3),
        payer_id=payer.get(9),
        provider_name=provider.get(3),
        provider_npi=provider.get(9),
        subscriber=_party(subscriber_loop, required=True),
        dependent=_party(rest[0], required=True) if rest else None,
        service_types=tuple(types),
        service_date=service_date,
        trace_number=_trace(transaction, "1"),
    )
    group = interchange.groups[0]
    gs = group.gs
    envelope = Envelope(
        sender_id=interchange.isa[6].rstrip(),
        receiver_id=interchange.isa[8].rstrip(),
        interchange_control=int(interchange.isa[13]),
        group_control=int(gs.get(6)),
        transaction_control=int(transaction.st.get(2)),
        created_at=datetime.datetime.combine(_date8(gs.get(4), "GS04"),
                                             _time(gs.get(5), "GS05")),
        usage=interchange.isa[15],
    )
    return request, envelope


def parse_271(text: str) -> EligibilityResponse:
    """Read a 271 with one transaction for one subscriber (and optionally one dependent).

    Runs the :func:`validate_structure` checks first. Status, in this order:

    - ``not_found`` when any AAA in the transaction has AAA01 ``N``; ``reject_reason`` is the
      first such AAA03 (75 subscriber not found, 42 unable to respond, ...). The four statuses
      have no separate "rejected" state, so the code is kept for the RCM to tell them apart.
    - ``auth_required`` when the patient's loop has an active-coverage EB (EB01 1-5) and any
      EB there has EB11 ``Y``;
    - ``active`` when it has an active-coverage EB; ``inactive`` when it has EB01 6-8 only.

    Raises :class:`X12Error`, also for a 271 whose EBs state no coverage either way.
    """
    interchange = _read(text, "271")
    transaction = _single(interchange, "parse_271")
    patient_loop = transaction.loops[-1]

    benefits: list[Benefit] = []
    messages: list[list[str]] = []
    for segment in patient_loop.segments:
        if segment.tag == "EB":
            types = tuple(t for t in segment.get(3).split(interchange.repetition) if t)
            benefits.append(Benefit(info=segment.get(1), service_types=types,
                                    authorization_required=segment.get(11) == "Y"))
            messages.append([])
        elif segment.tag == "MSG" and benefits:
            messages[-1].append(segment.get(1))
    benefits = [Benefit(b.info, b.service_types, b.authorization_required, " ".join(m))
                for b, m in zip(benefits, messages)]

    rejects = [s.get(3) for loop in transaction.loops for s in loop.all("AAA") if s.get(1) == "N"]
    if rejects:
        status = "not_found"
    elif any(b.info in _ACTIVE for b in benefits):
        status = "auth_required" if any(b.authorization_required for b in benefits) else "active"
    elif any(b.info in _INACTIVE for b in benefits):
        status = "inactive"
    else:
        infos = ", ".join(b.info for b in benefits) or "none"
        raise X12Error(f"EB01: {patient_loop.level.loop} states no coverage (EB01 1-8); "
                       f"EB01 values: {infos}")
    return EligibilityResponse(
        status=status,
        benefits=tuple(benefits),
        reject_reason=rejects[0] if rejects else "",
        trace_number=_trace(transaction, "2"),
        subscriber=_party(transaction.loops[2], required=False),
    )


def _single(interchange: _Interchange, caller: str) -> _Transaction:
    """The one transaction of a single-patient exchange, with levels 20/21/22[/23]."""
    if len(interchange.groups) != 1:
        raise X12Error(f"IEA01: {len(interchange.groups)} functional groups; {caller} reads one")
    transactions = interchange.groups[0].transactions
    if len(transactions) != 1:
        raise X12Error(f"GE01: {len(transactions)} transaction sets; {caller} reads one")
    transaction = transactions[0]
    levels = tuple(loop.level.code for loop in transaction.loops)
    if levels not in (("20", "21", "22"), ("20", "21", "22", "23")):
        raise X12Error(f"HL03: levels {'/'.join(levels)}; {caller} reads one payer (20), one "
                       f"provider (21), one subscriber (22) and at most one dependent (23)")
    return transaction


def _name(loop: _Loop) -> _Segment:
    # _read made sure the loop has its NM1 with the right NM101.
    return next(s for s in loop.segments if s.tag == "NM1")


def _party(loop: _Loop, *, required: bool) -> Party | None:
    nm1 = _name(loop)
    where = loop.level.name_loop
    dmg = loop.first("DMG")
    if dmg is None or dmg.get(1) != "D8" or not dmg.get(2):
        if not required:
            return None
        raise X12Error(f"DMG02: {where} has no date of birth (DMG*D8)")
    gender = dmg.get(3) or "U"  # DMG03 is optional in X12; absent means unknown
    if gender not in _GENDERS:
        raise X12Error(f"DMG03: {where} gender {gender!r} is not one of {', '.join(_GENDERS)}")
    return Party(member_id=nm1.get(9), first_name=nm1.get(4), last_name=nm1.get(3),
                 dob=_date8(dmg.get(2), "DMG02"), gender=gender)


def _trace(transaction: _Transaction, kind: str) -> str:
    """TRN02 of the TRN with TRN01 ``kind`` in the patient's loop, else in the subscriber's."""
    for loop in reversed(transaction.loops[2:]):
        for trn in loop.all("TRN"):
            if trn.get(1) == kind:
                return trn.get(2)
    return ""


# --------------------------------------------------------------------------- structure

def _read(text: str, expected: str) -> _Interchange:
    if expected not in _FUNCTIONAL_IDS:
        raise X12Error(f"ST01: expected transaction set {expected!r} is not 270 or 271")
    isa, element, repetition, segments = _split(text)
    if not segments or segments[-1].tag != "IEA":
        found = segments[-1].tag if segments else "nothing"
        raise X12Error(f"IEA: the interchange must end with IEA, found {found}")
    end = len(segments) - 1
    groups: list[_Group] = []
    i = 0
    while i < end:
        gs = segments[i]
        if gs.tag != "GS":
            raise X12Error(f"GS: expected a functional group header, found {gs.tag}")
        _check_gs(gs)
        i += 1
        transactions = []
        while i < end and segments[i].tag == "ST":
            j = i + 1
            while j < end and segments[j].tag not in ("SE", "ST", "GE", "GS"):
                j += 1
            if segments[j].tag != "SE":
                raise X12Error(f"SE: transaction ST02 {segments[i].get(2)!r} has no trailer "
                               f"before {segments[j].tag}")
            transactions.append(_transaction(segments[i:j + 1], expected, repetition))
            i = j + 1
        if i >= end or segments[i].tag != "GE":
            found = segments[i].tag if i < end else "IEA"
            raise X12Error(f"GE: functional group GS06 {gs.get(6)!r} has no trailer; found {found}")
        # After the transactions, so a 271 sent where a 270 belongs is reported by its ST01.
        if gs.get(1) != _FUNCTIONAL_IDS[expected]:
            raise X12Error(f"GS01: functional id {gs.get(1)!r} does not fit a {expected} "
                           f"(expected {_FUNCTIONAL_IDS[expected]!r})")
        ge = segments[i]
        if not transactions:
            raise X12Error(f"ST: functional group GS06 {gs.get(6)!r} has no transaction set")
        _check_count(ge.get(1), len(transactions), "GE01", "transaction count")
        if ge.get(2) != gs.get(6):
            raise X12Error(f"GE02: group control {ge.get(2)!r} does not match GS06 {gs.get(6)!r}")
        groups.append(_Group(gs, tuple(transactions)))
        i += 1
    if not groups:
        raise X12Error("GS: the interchange has no functional group")
    iea = segments[-1]
    _check_count(iea.get(1), len(groups), "IEA01", "group count")
    if iea.get(2) != isa[13]:
        raise X12Error(f"IEA02: interchange control {iea.get(2)!r} does not match ISA13 "
                       f"{isa[13]!r}")
    return _Interchange(isa=isa, repetition=repetition, groups=tuple(groups))


def _split(text) -> tuple[tuple[str, ...], str, str, list[_Segment]]:
    """Read the ISA by its fixed layout, take the separators from it, split the rest."""
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
                       f"elements, an ISA is {_ISA_LENGTH} characters")
    for n, (value, width) in enumerate(zip(parts[1:16], _ISA_WIDTHS), 1):
        if len(value) != width:
            raise X12Error(f"ISA{n:02d}: {len(value)} characters where the fixed-width ISA "
                           f"needs {width}")
    component, terminator = parts[16][0], parts[16][1]
    isa = (*parts[:16], component)
    repetition = isa[11]
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
    if not (isa[9].isdigit() and _date8("20" + isa[9], "ISA09", quiet=True)):
        raise X12Error(f"ISA09: {isa[9]!r} is not a valid YYMMDD date")
    _time(isa[10], "ISA10")

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
        segments.append(_Segment(elements))
    return isa, element, repetition, segments


def _check_gs(gs: _Segment) -> None:
    if gs.get(8) != VERSION:
        raise X12Error(f"GS08: version {gs.get(8)!r}, expected {VERSION!r}")
    if gs.get(7) != "X":
        raise X12Error(f"GS07: responsible agency {gs.get(7)!r}, expected 'X'")
    if not gs.get(6).isdigit() or len(gs.get(6)) > 9:
        raise X12Error(f"GS06: group control {gs.get(6)!r} is not 1-9 digits")
    _date8(gs.get(4), "GS04")
    _time(gs.get(5), "GS05")


def _transaction(segments: list[_Segment], expected: str, repetition: str) -> _Transaction:
    st, se = segments[0], segments[-1]
    if st.get(1) != expected:
        raise X12Error(f"ST01: transaction set {st.get(1)!r}, expected {expected!r}")
    if not 4 <= len(st.get(2)) <= 9:
        raise X12Error(f"ST02: control number {st.get(2)!r} is not 4-9 characters")
    if st.get(3) != VERSION:
        raise X12Error(f"ST03: implementation {st.get(3)!r}, expected {VERSION!r}")
    _check_count(se.get(1), len(segments), "SE01", "segment count")
    if se.get(2) != st.get(2):
        raise X12Error(f"SE02: control number {se.get(2)!r} does not match ST02 {st.get(2)!r}")
    body = segments[1:-1]
    if not body or body[0].tag != "BHT":
        raise X12Error(f"BHT: missing; it must follow ST (found {body[0].tag if body else 'SE'})")
    bht = body[0]
    if bht.get(1) != "0022":
        raise X12Error(f"BHT01: hierarchical structure {bht.get(1)!r}, expected '0022'")
    if bht.get(2) != _BHT_PURPOSE[expected]:
        raise X12Error(f"BHT02: purpose {bht.get(2)!r}, expected {_BHT_PURPOSE[expected]!r} for "
                       f"a {expected}")
    _date8(bht.get(4), "BHT04")
    _time(bht.get(5), "BHT05")
    loops = _loops(body[1:])
    for loop in loops:
        _check_loop(loop, expected)
    return _Transaction(st=st, bht=bht, loops=loops)


def _loops(segments: list[_Segment]) -> tuple[_Loop, ...]:
    """Cut the detail into HL loops and check ids, levels, parents and child codes."""
    if not segments or segments[0].tag != "HL":
        found = segments[0].tag if segments else "SE"
        raise X12Error(f"HL: the detail must start with HL level 20 after BHT, found {found}")
    heads: list[tuple[_Segment, _Level, list[_Segment]]] = []
    levels: dict[str, str] = {}  # HL01 -> HL03
    for segment in segments:
        if segment.tag != "HL":
            heads[-1][2].append(segment)
            continue
        n = len(heads) + 1
        hl_id, parent, code, child = (segment.get(k) for k in (1, 2, 3, 4))
        if hl_id != str(n):
            raise X12Error(f"HL01: id {hl_id!r} where {n} is due (HL ids count up from 1)")
        level = _LEVELS.get(code)
        if level is None:
            raise X12Error(f"HL03: level {code!r} in HL {n} is not one of {', '.join(_LEVELS)}")
        if level.parent is None and parent:
            raise X12Error(f"HL02: HL {n} is the {level.what} (20) and cannot have parent "
                           f"{parent!r}")
        if level.parent is not None and levels.get(parent) != level.parent:
            raise X12Error(f"HL02: parent {parent!r} of HL {n} (level {code}) is not a level "
                           f"{level.parent} HL")
        if child not in ("0", "1"):
            raise X12Error(f"HL04: child code {child!r} in HL {n} is not 0 or 1")
        levels[hl_id] = code
        heads.append((segment, level, []))
    parents = {hl.get(2) for hl, _, _ in heads}
    loops = []
    for hl, level, body in heads:
        has_children = hl.get(1) in parents
        if hl.get(4) != ("1" if has_children else "0"):
            raise X12Error(f"HL04: child code {hl.get(4)!r} in HL {hl.get(1)}, but it "
                           f"{'has' if has_children else 'has no'} child levels")
        loops.append(_Loop(hl=hl, level=level, segments=tuple(body), leaf=not has_children))
    for code in ("20", "21", "22"):
        if code not in levels.values():
            raise X12Error(f"HL03: no {_LEVELS[code].what} level ({code}, loop "
                           f"{_LEVELS[code].loop})")
    return tuple(loops)


def _check_loop(loop: _Loop, expected: str) -> None:
    level = loop.level
    nm1 = loop.first("NM1")
    if nm1 is None or nm1.get(1) != level.entity:
        found = f"NM1*{nm1.get(1)}" if nm1 else "no NM1"
        raise X12Error(f"NM101: {level.name_loop} (HL {loop.id}) needs NM1*{level.entity} "
                       f"({level.what}), found {found}")
    for segment in loop.segments:
        if segment.tag == "DTP":
            _check_dtp(segment)
        elif segment.tag == "DMG" and segment.get(1) == "D8":
            _date8(segment.get(2), "DMG02")
    if not loop.leaf or level.code not in ("22", "23"):
        return
    if expected == "270":
        eqs = loop.all("EQ")
        if not eqs:
            raise X12Error(f"EQ: {level.loop} (HL {loop.id}) is the patient's loop and has no "
                           f"EQ (eligibility inquiry)")
        for eq in eqs:
            if not eq.get(1) and not eq.get(2):
                raise X12Error(f"EQ01: EQ in {level.loop} has neither a service type (EQ01) nor "
                               f"a procedure (EQ02)")
    elif not loop.first("EB") and not loop.first("AAA"):
        raise X12Error(f"EB: {level.loop} (HL {loop.id}) is the patient's loop and has neither "
                       f"EB (benefit) nor AAA (rejection)")


def _check_dtp(dtp: _Segment) -> None:
    fmt, value = dtp.get(2), dtp.get(3)
    if fmt == "D8":
        _date8(value, "DTP03")
    elif fmt == "RD8":
        start, dash, end = value.partition("-")
        if not dash:
            raise X12Error(f"DTP03: {value!r} is not an RD8 range CCYYMMDD-CCYYMMDD")
        if _date8(start, "DTP03") > _date8(end, "DTP03"):
            raise X12Error(f"DTP03: range {value!r} ends before it starts")
    else:
        raise X12Error(f"DTP02: date format {fmt!r} for DTP*{dtp.get(1)} is not D8 or RD8")


def _check_count(value: str, counted: int, where: str, what: str) -> None:
    if not value.isdigit():
        raise X12Error(f"{where}: {what} {value!r} is not a number")
    if int(value) != counted:
        raise X12Error(f"{where}: {what} {int(value)}, counted {counted}")


def _date8(value: str, where: str, *, quiet: bool = False) -> datetime.date | None:
    """CCYYMMDD to a date; ``quiet`` returns None instead of raising."""
    if len(value) == 8 and value.isdigit():
        try:
            return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass  # e.g. month 13: same answer as a malformed value
    if quiet:
        return None
    raise X12Error(f"{where}: {value!r} is not a valid CCYYMMDD date")


def _time(value: str, where: str) -> datetime.time:
    """X12 TM: HHMM, HHMMSS, or HHMMSS with 1-2 decimal seconds (dropped)."""
    if value.isdigit() and len(value) in (4, 6, 7, 8):
        try:
            return datetime.time(int(value[:2]), int(value[2:4]), int(value[4:6] or 0))
        except ValueError:
            pass
    raise X12Error(f"{where}: {value!r} is not a valid HHMM[SS] time")


def npi_valid(npi: str) -> bool:
    """10 digits and a Luhn check digit over 80840 + NPI: what pyx12 does not check."""
    return _npi_ok(npi)
