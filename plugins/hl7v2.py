"""HL7 v2.5.1 ADT messages from the EMR to the RCM, and MLLP to carry them.

The EMR sends patient demographics and diagnoses to the RCM as ADT messages: A04 (register /
pre-admit), A01 (admit), A08 (update) and A03 (discharge). This module turns an
:class:`AdtPatient` into ER7 text (:func:`build_adt`), reads it back (:func:`parse_adt`),
acknowledges it (:func:`make_ack`, :func:`ack_code`) and moves it over a real MLLP socket
(:class:`MllpServer`, :func:`send_mllp`).

Field map (PID-3 carries two identifiers, told apart by their identifier type)::

    PID-3   patient_id^^^KIPUEMR^PI ~ mr_number^^^KIPUEMR^MR [~ crm_prospect_id^^^KIPUCRM^PI]
    PID-5   last^first^middle        (middle sent whole; the RCM keeps its initial)
    PID-7   dob                      PID-8   sex (F, M or U)
    PID-11  street^^city^state^zip   PID-13  phone    PID-19  ssn
    PV1-2   I when admit_at is set, else P (pre-admit)
    PV1-44  admit_at                 PV1-45  discharge_at
    DG1-1   rank   DG1-3 code^description^I10   DG1-5 added_on   DG1-6 A (rank 1) / W
    DG1-15  rank (priority)

Precision: dates are sent as YYYYMMDD and datetimes as YYYYMMDDHHMMSS, so a round trip keeps
datetimes to the second and drops microseconds. Datetimes are naive local times; an aware one is
refused when building, and a UTC offset on a received timestamp is ignored (wall time is kept).

Libraries: hl7apy builds messages and checks them against the HL7 2.5.1 structures (strict
validation); python-hl7 reads fields, because it unescapes values and tolerates the odd messages a
receiver must still acknowledge; python-hl7's asyncio MLLP streams do the framing.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import threading
import uuid
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable

import hl7
import hl7apy
from hl7.mllp import InvalidBlockError, open_hl7_connection, start_hl7_server
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.parser import parse_message
from hl7apy.validation import Validator

__all__ = [
    "AdtDiagnosis",
    "AdtMessage",
    "AdtPatient",
    "HL7Error",
    "MllpServer",
    "TRIGGERS",
    "ack_code",
    "build_adt",
    "make_ack",
    "parse_adt",
    "send_mllp",
]

# The integration is specified as v2.5.1; fall back to 2.5 only for an hl7apy without it.
HL7_VERSION = "2.5.1" if "2.5.1" in hl7apy.SUPPORTED_LIBRARIES else "2.5"
TRIGGERS = ("A01", "A03", "A04", "A08")
# Versions parse_adt accepts: the specified one and 2.5, whose ADT structures and fields match.
_VERSIONS = ("2.5", "2.5.1")
# A04 and A08 reuse the A01 structure in the standard; A03 has its own.
_STRUCTURES = MappingProxyType({"A01": "ADT_A01", "A03": "ADT_A03", "A04": "ADT_A01", "A08": "ADT_A01"})
_SEXES = ("F", "M", "U")
_ACK_CODES = ("AA", "AE", "AR")
# HL7 table 0396: I10 is what the EMR sends; I10C (ICD-10-CM, later tables) means the same here.
_ICD10_SYSTEMS = ("I10", "I10C")
_ASSIGNING_AUTHORITY = "KIPUEMR"
_CRM_AUTHORITY = "KIPUCRM"
# Order matters: the escape character itself must be escaped before the others add more.
# No \X0D\ for line breaks: hl7apy re-escapes the backslashes of hex escapes on output.
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))
_TS = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?"
                 r"(?:[+-]\d{4})?")
# MLLP frames above asyncio's 64 KiB default are legal; an ADT with many DG1 can get close.
_MLLP_LIMIT = 1 << 20


class HL7Error(ValueError):
    """A message that cannot be built or accepted; str() is a one-line reason naming the segment/field."""


@dataclass(frozen=True)
class AdtDiagnosis:
    code: str  # ICD-10-CM, dotted as entered, e.g. "F10.20"
    description: str
    added_on: datetime.date  # DG1-5: the date the code was added in the EMR (PAT-17)
    rank: int  # 1-based; DG1-1 and DG1-15 (priority); rank 1 is the principal diagnosis


@dataclass(frozen=True)
class AdtPatient:
    patient_id: str  # EMR Patient ID, PID-3 with identifier type PI
    mr_number: str | None  # PID-3 with identifier type MR
    last_name: str
    first_name: str
    middle_name: str
    dob: datetime.date | None
    sex: str  # birth sex: "F", "M" or "U"
    address_street: str
    address_city: str
    address_state: str
    address_zip: str
    phone: str
    ssn: str
    admit_at: datetime.datetime | None
    discharge_at: datetime.datetime | None
    diagnoses: tuple[AdtDiagnosis, ...] = ()
    # The CRM prospect the patient came from, so the RCM links both to one record (SYS-05).
    crm_prospect_id: str | None = None


@dataclass(frozen=True)
class AdtMessage:
    trigger: str  # "A01" | "A03" | "A04" | "A08"
    control_id: str  # MSH-10
    sent_at: datetime.datetime  # MSH-7
    patient: AdtPatient


# --------------------------------------------------------------------------- building

def build_adt(trigger: str, patient: AdtPatient, *, control_id: str, sent_at: datetime.datetime,
              sending_facility: str = "KIPU_EMR", receiving_facility: str = "KIPU_RCM") -> str:
    """Build an ADT message for ``trigger`` and return ER7 text with ``\\r`` between segments.

    The message passes hl7apy strict validation before it is returned. Raises :class:`HL7Error`
    for an unknown trigger, a sex outside F/M/U, a missing patient id, an A01 without an admit
    time, an A03 without a discharge time, diagnosis ranks other than 1..n in order, or any field
    hl7apy refuses.
    """
    if trigger not in TRIGGERS:
        raise HL7Error(f"MSH-9: unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
    if patient.sex not in _SEXES:
        raise HL7Error(f"PID-8: sex {patient.sex!r} is not one of {', '.join(_SEXES)}")
    if not patient.patient_id:
        raise HL7Error("PID-3: patient_id is empty; the EMR Patient ID (type PI) is required")
    # Format timestamps first: that refuses aware datetimes before anything compares them.
    admit_at, discharge_at = _ts(patient.admit_at, "PV1-44"), _ts(patient.discharge_at, "PV1-45")
    _check_visit(trigger, patient.admit_at, patient.discharge_at)
    ranks = [d.rank for d in patient.diagnoses]
    if ranks != list(range(1, len(ranks) + 1)):
        # DG1-1 is a set id, which HL7 numbers 1..n in segment order.
        raise HL7Error(f"DG1-1: diagnosis ranks must be 1..n in the given order, got {ranks}")

    msg = Message(_STRUCTURES[trigger], version=HL7_VERSION, validation_level=VALIDATION_LEVEL.STRICT)
    _put(msg.msh, "MSH_4", _esc(sending_facility))
    _put(msg.msh, "MSH_6", _esc(receiving_facility))
    _put(msg.msh, "MSH_7", _ts(sent_at, "MSH-7"))
    _put(msg.msh, "MSH_9", f"ADT^{trigger}^{_STRUCTURES[trigger]}")
    _put(msg.msh, "MSH_10", _esc(control_id))
    _put(msg.msh, "MSH_11", "P")
    # Names with accents travel as raw UTF-8 (send_mllp encodes UTF-8), so say so.
    _put(msg.msh, "MSH_18", "UNICODE UTF-8")
    _put(msg.evn, "EVN_1", trigger)
    _put(msg.evn, "EVN_2", _ts(sent_at, "EVN-2"))

    pid = msg.pid
    _put(pid, "PID_1", "1")
    # Two PID-3 repetitions: the receiver picks each identifier by its type, not by position.
    _put(pid, "PID_3", f"{_esc(patient.patient_id)}^^^{_ASSIGNING_AUTHORITY}^PI", repeat=True)
    if patient.mr_number:
        _put(pid, "PID_3", f"{_esc(patient.mr_number)}^^^{_ASSIGNING_AUTHORITY}^MR", repeat=True)
    if patient.crm_prospect_id:
        _put(pid, "PID_3", f"{_esc(patient.crm_prospect_id)}^^^{_CRM_AUTHORITY}^PI", repeat=True)
    _put(pid, "PID_5", _join(patient.last_name, patient.first_name, patient.middle_name))
    _put(pid, "PID_7", _date(patient.dob))
    _put(pid, "PID_8", patient.sex)
    _put(pid, "PID_11", _join(patient.address_street, "", patient.address_city,
                               patient.address_state, patient.address_zip))
    # XTN-2/3 (PRN, PH) let a 2.5.1 receiver know this is the home phone number.
    _put(pid, "PID_13", _join(patient.phone, "PRN", "PH") if patient.phone else "")
    _put(pid, "PID_19", _esc(patient.ssn))

    pv1 = msg.pv1
    _put(pv1, "PV1_1", "1")
    _put(pv1, "PV1_2", "I" if patient.admit_at else "P")
    _put(pv1, "PV1_44", admit_at)
    _put(pv1, "PV1_45", discharge_at)

    for dx in patient.diagnoses:
        if not dx.code:
            raise HL7Error(f"DG1-3: missing diagnosis code for rank {dx.rank}")
        dg1 = msg.add_segment("DG1")
        _put(dg1, "DG1_1", str(dx.rank))
        _put(dg1, "DG1_3", _join(dx.code, dx.description, "I10"))
        _put(dg1, "DG1_5", _date(dx.added_on))
        _put(dg1, "DG1_6", "A" if dx.rank == 1 else "W")  # admitting vs working diagnosis
        _put(dg1, "DG1_15", str(dx.rank))

    _validate(msg)
    return msg.to_er7()


def _put(segment, name: str, er7: str, *, repeat: bool = False) -> None:
    """Set field ``name`` from ER7 text, skipping empty values so optional fields stay absent."""
    if not er7:
        return
    if "\r" in er7 or "\n" in er7:
        raise HL7Error(f"{_dash(name)}: {er7!r} has a line break; HL7 text fields are one line")
    try:
        if repeat:
            segment.add_field(name).value = er7
        else:
            setattr(segment, name, er7)
    except Exception as exc:  # hl7apy raises assorted types (ValueError, MaxLengthReached, ...)
        raise HL7Error(f"{_dash(name)}: {_one_line(exc)}") from exc


def _validate(msg) -> None:
    try:
        Validator.validate(msg)
    except Exception as exc:
        raise HL7Error(_hl7apy_reason(exc)) from exc


def _check_visit(trigger: str, admit_at, discharge_at) -> None:
    # Shared by build and parse so the EMR side and the RCM side agree on what a visit needs.
    if trigger == "A01" and admit_at is None:
        raise HL7Error("PV1-44: an A01 (admit) needs the admit date/time")
    if trigger == "A03" and discharge_at is None:
        raise HL7Error("PV1-45: an A03 (discharge) needs the discharge date/time")
    if admit_at and discharge_at and discharge_at < admit_at:
        raise HL7Error(f"PV1-45: discharge {discharge_at} is before admit {admit_at}")


def _esc(value: str) -> str:
    # hl7apy stores values as raw ER7, so delimiters inside data must be escaped here.
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value


def _join(*components: str) -> str:
    return "^".join(_esc(c) for c in components).rstrip("^")


def _date(value: datetime.date | None) -> str:
    return "" if value is None else f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _ts(value: datetime.datetime | None, where: str) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        raise HL7Error(f"{where}: {value.isoformat()} has a time zone; pass naive local time")
    return _date(value) + f"{value.hour:02d}{value.minute:02d}{value.second:02d}"


# --------------------------------------------------------------------------- parsing

def parse_adt(text: str) -> AdtMessage:
    """Read an A01/A03/A04/A08 message (``\\r`` or ``\\n`` between segments).

    Raises :class:`HL7Error` with a one-line reason naming the segment or field, e.g.
    ``"MSH-9: message type ORU^R01 is not an ADT"`` or ``"PID-7: '1980AB01' is not a valid HL7
    date"``. The fields this module reads are checked first; then hl7apy checks the whole message
    against the HL7 structure for its version (required segments and fields, cardinality, order).
    """
    er7 = _normalize(text)
    message = _read(er7)
    msh = message.segment("MSH")
    kind, trigger, structure = (_val(msh, 9, comp=c) for c in (1, 2, 3))
    if kind != "ADT":
        raise HL7Error(f"MSH-9: message type {kind}^{trigger} is not an ADT")
    if trigger not in TRIGGERS:
        raise HL7Error(f"MSH-9: trigger {trigger!r} is not one of {', '.join(TRIGGERS)}")
    expected = _STRUCTURES[trigger]
    if structure and structure != expected:
        raise HL7Error(f"MSH-9: structure {structure} does not fit {trigger} (expected {expected})")
    if not structure:
        # Many senders omit MSH-9.3; hl7apy needs it to pick the structure to validate against.
        message.assign_field(expected, "MSH", 1, 9, 1, 3)
        er7 = str(message)
    version = _val(msh, 12)
    if version not in _VERSIONS:
        raise HL7Error(f"MSH-12: HL7 version {version!r} is not one of {', '.join(_VERSIONS)}")
    control_id = _val(msh, 10)
    if not control_id:
        raise HL7Error("MSH-10: missing message control id")
    sent_at = _parse_ts(_val(msh, 7), "MSH-7", "date/time")
    if sent_at is None:
        raise HL7Error("MSH-7: missing message date/time")
    evn = _segments(message, "EVN")
    if evn and _val(evn[0], 1) not in ("", trigger):
        raise HL7Error(f"EVN-1: event type {_val(evn[0], 1)} does not match MSH-9 trigger {trigger}")

    patient = _read_patient(message, trigger)

    try:
        Validator.validate(parse_message(er7, validation_level=VALIDATION_LEVEL.TOLERANT))
    except Exception as exc:  # hl7apy raises assorted types on malformed input
        raise HL7Error(_hl7apy_reason(exc)) from exc
    return AdtMessage(trigger=trigger, control_id=control_id, sent_at=sent_at, patient=patient)


def _read_patient(message, trigger: str) -> AdtPatient:
    pid = _one(message, "PID")
    pv1 = _one(message, "PV1")
    ids = {}  # identifier type -> first id of that type (the EMR's)
    crm_prospect_id = None
    for rep in range(1, _repetitions(pid, 3) + 1):
        id_type, value = _val(pid, 3, rep, 5), _val(pid, 3, rep, 1)
        if value and _val(pid, 3, rep, 4) == _CRM_AUTHORITY:
            crm_prospect_id = value
        elif value:
            ids.setdefault(id_type, value)
    if "PI" not in ids:
        raise HL7Error("PID-3: no patient identifier with type PI")
    sex = _val(pid, 8)
    if sex not in _SEXES:
        # Refuse rather than default to U: a missing or unmapped sex is an EMR defect to report.
        raise HL7Error(f"PID-8: sex {sex!r} is not one of {', '.join(_SEXES)}")
    admit_at = _parse_ts(_val(pv1, 44), "PV1-44", "date/time")
    discharge_at = _parse_ts(_val(pv1, 45), "PV1-45", "date/time")
    _check_visit(trigger, admit_at, discharge_at)
    dob = _parse_ts(_val(pid, 7), "PID-7", "date")
    return AdtPatient(
        patient_id=ids["PI"],
        mr_number=ids.get("MR"),
        last_name=_val(pid, 5, comp=1),
        first_name=_val(pid, 5, comp=2),
        middle_name=_val(pid, 5, comp=3),
        dob=dob.date() if dob else None,
        sex=sex,
        address_street=_val(pid, 11, comp=1),
        address_city=_val(pid, 11, comp=3),
        address_state=_val(pid, 11, comp=4),
        address_zip=_val(pid, 11, comp=5),
        phone=_val(pid, 13),
        ssn=_val(pid, 19),
        admit_at=admit_at,
        discharge_at=discharge_at,
        crm_prospect_id=crm_prospect_id,
        diagnoses=tuple(_read_diagnosis(dg1, n) for n, dg1 in enumerate(_segments(message, "DG1"), 1)),
    )


def _read_diagnosis(dg1, n: int) -> AdtDiagnosis:
    code = _val(dg1, 3, comp=1)
    if not code:
        raise HL7Error(f"DG1-3: missing diagnosis code in DG1 #{n}")
    system = _val(dg1, 3, comp=3)
    if system not in _ICD10_SYSTEMS:
        raise HL7Error(f"DG1-3: coding system {system!r} in DG1 #{n} is not ICD-10 (I10)")
    added_on = _parse_ts(_val(dg1, 5), "DG1-5", "date")
    if added_on is None:
        raise HL7Error(f"DG1-5: missing date the code was added in DG1 #{n}")
    # DG1-15 is the priority; DG1-1 (set id) stands in for senders that leave it empty.
    where, rank = ("DG1-15", _val(dg1, 15)) if _val(dg1, 15) else ("DG1-1", _val(dg1, 1))
    if not rank.isdigit() or int(rank) < 1:
        raise HL7Error(f"{where}: {rank!r} in DG1 #{n} is not a positive integer rank")
    return AdtDiagnosis(code=code, description=_val(dg1, 3, comp=2), added_on=added_on.date(),
                        rank=int(rank))


def _parse_ts(value: str, where: str, what: str) -> datetime.datetime | None:
    """HL7 DT/TS text to a naive datetime; at least YYYYMMDD, missing time parts are zero."""
    if not value:
        return None
    match = _TS.fullmatch(value)
    if match:
        year, month, day, hour, minute, second, fraction = match.groups()
        try:
            return datetime.datetime(int(year), int(month), int(day), int(hour or 0),
                                     int(minute or 0), int(second or 0),
                                     int((fraction or "0").ljust(6, "0")))
        except ValueError:
            pass  # e.g. month 13: same answer as a malformed value
    raise HL7Error(f"{where}: {value!r} is not a valid HL7 {what}")


def _normalize(text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str) or not text.strip():
        raise HL7Error("MSH: empty message")
    lines = [line for line in re.split(r"\r\n|\r|\n", text.strip()) if line.strip()]
    if not lines[0].startswith("MSH"):
        raise HL7Error(f"MSH: message does not start with an MSH segment (starts {lines[0][:20]!r})")
    if len(lines[0]) < 8:  # "MSH" + field separator + four encoding characters
        raise HL7Error(f"MSH-2: missing encoding characters in {lines[0]!r}")
    return "\r".join(lines)


def _read(er7: str):
    try:
        return hl7.parse(er7)
    except Exception as exc:  # python-hl7 raises ParseException, IndexError, ... on junk
        raise HL7Error(f"MSH: not a readable HL7 v2 message ({_one_line(exc)})") from exc


def _segments(message, name: str) -> list:
    return [seg for seg in message if str(seg[0]) == name]


def _one(message, name: str):
    found = _segments(message, name)
    if not found:
        raise HL7Error(f"{name}: missing segment")
    return found[0]


def _repetitions(segment, field: int) -> int:
    return len(segment(field)) if field < len(segment) else 0


def _val(segment, field: int, rep: int = 1, comp: int = 1) -> str:
    """Unescaped text of one component (first subcomponent); "" when absent."""
    try:
        return segment.extract_field(1, field, rep, comp)
    except IndexError:
        return ""


def _dash(name: str) -> str:
    return name.replace("_", "-")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _hl7apy_reason(exc: BaseException) -> str:
    """Turn an hl7apy error into our "SEG-n: reason" form."""
    text = _one_line(exc)
    missing = re.search(r"Missing required child \w+\.(\w+)", text)
    if missing:
        name = missing.group(1)
        return f"{_dash(name)}: missing required {'field' if '_' in name else 'segment'}"
    where = re.search(r"\.([A-Z][A-Z0-9]{2}(?:_\d+)?)\b", text)
    return f"{_dash(where.group(1)) if where else 'message'}: {text}"


# --------------------------------------------------------------------------- acknowledgements

def make_ack(text: str, code: str = "AA", reason: str = "") -> str:
    """Build an original-mode ACK for ``text``: MSA-1 ``code``, MSA-2 the original MSH-10.

    For AE/AR the reason goes in MSA-3 (cut to its 80-character HL7 length) and whole in ERR-8;
    for AA a reason, if given, goes in MSA-3 only.
    If ``text`` has no readable MSH-10 the ack is AR with MSA-2 ``UNKNOWN``, whatever ``code``
    was asked for. Never raises for bad ``text``; raises :class:`HL7Error` for an unknown code.
    """
    if code not in _ACK_CODES:
        raise HL7Error(f"MSA-1: acknowledgement code {code!r} is not one of {', '.join(_ACK_CODES)}")
    try:
        msh = _read(_normalize(text)).segment("MSH")
    except Exception:  # an ack for garbage is exactly what this function is for
        msh = None
    control_id = _val(msh, 10) if msh is not None else ""
    if not control_id:
        code, control_id = "AR", "UNKNOWN"
        reason = reason or "MSH: message could not be read (no MSH-10 control id)"
    elif code != "AA" and not reason:
        reason = "application error" if code == "AE" else "message rejected"
    reason = " ".join(reason.split())

    # Tolerant, not strict: odd values echoed from the original (say a 30-character facility)
    # must not stop us acknowledging it. The fixed layout below still validates strictly.
    ack = Message("ACK", version=HL7_VERSION, validation_level=VALIDATION_LEVEL.TOLERANT)
    if msh is not None:
        # Sender and receiver swap places in the reply.
        for ours, theirs in (("MSH_3", 5), ("MSH_4", 6), ("MSH_5", 3), ("MSH_6", 4)):
            _put(ack.msh, ours, _esc(" ".join(_val(msh, theirs).split())))
    trigger = "".join(_val(msh, 9, comp=2).split()) if msh is not None else ""
    _put(ack.msh, "MSH_9", f"ACK^{_esc(trigger)}^ACK")  # MSH-9.3 lets hl7apy pick the structure
    _put(ack.msh, "MSH_10", uuid.uuid4().hex[:20])  # MSH-10 is at most 20 characters in 2.5.1
    _put(ack.msh, "MSH_11", "P")
    _put(ack.msa, "MSA_1", code)
    _put(ack.msa, "MSA_2", _esc(" ".join(control_id.split())))
    # MSA-3 is deprecated in 2.5.1 in favour of ERR, but older receivers still read only it.
    _put(ack.msa, "MSA_3", _esc(reason[:80]))
    if code != "AA":
        err = ack.add_segment("ERR")
        _put(err, "ERR_3", "207^Application internal error^HL70357")
        _put(err, "ERR_4", "E")
        _put(err, "ERR_8", _esc(reason))
    return ack.to_er7()


def ack_code(ack_text: str) -> tuple[str, str]:
    """(MSA-1, reason) from an ACK; the reason is ERR-8 if present, else MSA-3, else ""."""
    message = _read(_normalize(ack_text))
    msa = _one(message, "MSA")
    code = _val(msa, 1)
    if not code:
        raise HL7Error("MSA-1: missing acknowledgement code")
    reasons = [_val(err, 8) for err in _segments(message, "ERR")] + [_val(msa, 3)]
    return code, next((r for r in reasons if r), "")


# --------------------------------------------------------------------------- MLLP

class MllpServer:
    """A real MLLP listener, for the mock RCM.

    It runs python-hl7's asyncio MLLP server on an event loop in a daemon thread. ``handler``
    gets each message's text and returns the ack text; it runs on that thread, one message at a
    time, so messages are handled in arrival order and the handler needs no locking. A handler
    that raises (or returns a non-string) yields an AR ack instead of stopping the server.
    """

    def __init__(self, handler: Callable[[str], str], host: str = "127.0.0.1", port: int = 0):
        self._handler = handler
        self._host = host
        self._port = port
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._startup_error: BaseException | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one after :meth:`start`, even when asked for port 0)."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self._host, self._port)

    def start(self) -> "MllpServer":
        """Start listening; returns once the socket is bound. Raises OSError if it cannot bind."""
        if self._thread is not None:
            raise RuntimeError("MllpServer.start() called twice")
        self._thread = threading.Thread(target=self._run, name=f"mllp-{self._host}:{self._port}",
                                        daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Stop listening, drop open connections and wait for the thread. Safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or not thread.is_alive() or loop is None:
            return
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:  # loop already closed by a concurrent stop()
            pass
        if thread is not threading.current_thread():  # a handler may stop its own server
            thread.join()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            server = loop.run_until_complete(
                start_hl7_server(self._serve_connection, self._host, self._port, limit=_MLLP_LIMIT))
        except BaseException as exc:  # e.g. port in use: hand it to start() instead of dying here
            self._startup_error = exc
            loop.close()
            self._ready.set()
            return
        self._port = server.sockets[0].getsockname()[1]
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            # Open connections outlive server.close() on 3.11; cancel their tasks so the
            # sockets close and stop() returns promptly.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:  # gather() of nothing would look for a current loop this thread lacks
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(server.wait_closed())
            loop.close()

    async def _serve_connection(self, reader, writer) -> None:
        # readblock(), not readmessage(): readmessage() parses with python-hl7 and would raise on
        # garbage before we could answer it with an AR.
        try:
            while True:
                try:
                    text = (await reader.readblock()).decode("utf-8", errors="replace")
                except asyncio.IncompleteReadError:
                    break  # the peer closed the connection
                except (InvalidBlockError, ValueError) as exc:  # no <VT>, or over the size limit
                    ack = make_ack("", "AR", f"MLLP: {_one_line(exc)}")
                else:
                    ack = self._ack_for(text)
                writer.writeblock(ack.encode("utf-8"))
                await writer.drain()
        except ConnectionError:
            pass  # the peer went away mid-reply; nothing to acknowledge to
        finally:
            writer.close()

    def _ack_for(self, text: str) -> str:
        try:
            ack = self._handler(text)
            if not isinstance(ack, str):
                raise TypeError(f"handler returned {type(ack).__name__}, not the ack text")
            return ack
        except Exception as exc:  # a broken handler must not take the listener down
            return make_ack(text, "AR", f"handler error: {type(exc).__name__}: {_one_line(exc)}")


def send_mllp(host: str, port: int, message: str, timeout: float = 5.0) -> str:
    """Send one message in an MLLP frame and return the ack text.

    Blocking; from async code call it through ``asyncio.to_thread``. Raises ConnectionError
    (ConnectionRefusedError when nothing listens) if the ack cannot be had, and TimeoutError if
    none arrives within ``timeout`` seconds.
    """
    # python-hl7's blocking MLLPClient is not used: its send() returns a single recv(4096), which
    # can cut an ack in half, and it has no timeout. The asyncio reader reads to the end block.
    async def exchange() -> str:
        reader, writer = await open_hl7_connection(host, port, limit=_MLLP_LIMIT)
        try:
            writer.writeblock(message.encode("utf-8"))
            await writer.drain()
            return (await reader.readblock()).decode("utf-8", errors="replace")
        finally:
            writer.close()

    try:
        return asyncio.run(asyncio.wait_for(exchange(), timeout))
    except asyncio.IncompleteReadError as exc:
        raise ConnectionError(f"MLLP {host}:{port}: connection closed before an ack arrived") from exc
    except asyncio.TimeoutError as exc:
        raise TimeoutError(f"MLLP {host}:{port}: no ack within {timeout} s") from exc
