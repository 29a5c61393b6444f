"""Building an HL7 v2.5.1 ADT message (A01, A03, A04, A08) from an
:class:`~kipu_harness.wire.hl7v2.message.AdtPatient`, as ER7 text.

hl7apy builds the message and checks it against the HL7 2.5.1 structures (strict validation)
before it is returned. Values are escaped here (hl7apy stores raw ER7), so delimiters inside
names and addresses travel as ``\\F\\``, ``\\S\\``, ... and come back whole.
"""

from __future__ import annotations

import datetime

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.validation import Validator

from .message import (
    ASSIGNING_AUTHORITY,
    CRM_AUTHORITY,
    HL7_VERSION,
    MAX_SEQUENCE,
    SEXES,
    STRUCTURES,
    TRIGGERS,
    AdtPatient,
    HL7Error,
    check_visit,
    dash,
    hl7apy_reason,
    one_line,
)

__all__ = ["build_adt", "esc", "put"]

# Order matters: the escape character itself must be escaped before the others add more.
# No \X0D\ for line breaks: hl7apy re-escapes the backslashes of hex escapes on output.
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def build_adt(trigger: str, patient: AdtPatient, *, control_id: str, sent_at: datetime.datetime,
              sending_facility: str = "KIPU_EMR", receiving_facility: str = "KIPU_RCM",
              sequence: int | None = None) -> str:
    """Build an ADT message for ``trigger`` and return ER7 text with ``\\r`` between segments.

    ``sequence``, if given, is the sender's number for this patient's message (MSH-13, 1..10^15-1).

    The message passes hl7apy strict validation before it is returned. Raises :class:`HL7Error`
    for an unknown trigger, a sex outside F/M/U, a missing patient id, an A01 without an admit
    time, an A03 without a discharge time, diagnosis ranks other than 1..n in order, or any field
    hl7apy refuses.
    """
    if sequence is not None and (type(sequence) is not int or not 1 <= sequence <= MAX_SEQUENCE):
        raise HL7Error(f"MSH-13: sequence {sequence!r} is not an integer from 1 to {MAX_SEQUENCE}")
    if trigger not in TRIGGERS:
        raise HL7Error(f"MSH-9: unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
    if patient.sex not in SEXES:
        raise HL7Error(f"PID-8: sex {patient.sex!r} is not one of {', '.join(SEXES)}")
    if not patient.patient_id:
        raise HL7Error("PID-3: patient_id is empty; the EMR Patient ID (type PI) is required")
    # Format timestamps first: that refuses aware datetimes before anything compares them.
    admit_at, discharge_at = _ts(patient.admit_at, "PV1-44"), _ts(patient.discharge_at, "PV1-45")
    check_visit(trigger, patient.admit_at, patient.discharge_at)
    ranks = [d.rank for d in patient.diagnoses]
    if ranks != list(range(1, len(ranks) + 1)):
        # DG1-1 is a set id, which HL7 numbers 1..n in segment order.
        raise HL7Error(f"DG1-1: diagnosis ranks must be 1..n in the given order, got {ranks}")

    msg = Message(STRUCTURES[trigger], version=HL7_VERSION, validation_level=VALIDATION_LEVEL.STRICT)
    put(msg.msh, "MSH_4", esc(sending_facility))
    put(msg.msh, "MSH_6", esc(receiving_facility))
    put(msg.msh, "MSH_7", _ts(sent_at, "MSH-7"))
    put(msg.msh, "MSH_9", f"ADT^{trigger}^{STRUCTURES[trigger]}")
    put(msg.msh, "MSH_10", esc(control_id))
    put(msg.msh, "MSH_11", "P")
    put(msg.msh, "MSH_13", "" if sequence is None else str(sequence))
    # Names with accents travel as raw UTF-8 (send_mllp encodes UTF-8), so say so.
    put(msg.msh, "MSH_18", "UNICODE UTF-8")
    put(msg.evn, "EVN_1", trigger)
    put(msg.evn, "EVN_2", _ts(sent_at, "EVN-2"))

    pid = msg.pid
    put(pid, "PID_1", "1")
    # Two PID-3 repetitions: the receiver picks each identifier by its type, not by position.
    put(pid, "PID_3", f"{esc(patient.patient_id)}^^^{ASSIGNING_AUTHORITY}^PI", repeat=True)
    if patient.mr_number:
        put(pid, "PID_3", f"{esc(patient.mr_number)}^^^{ASSIGNING_AUTHORITY}^MR", repeat=True)
    if patient.crm_prospect_id:
        put(pid, "PID_3", f"{esc(patient.crm_prospect_id)}^^^{CRM_AUTHORITY}^PI", repeat=True)
    put(pid, "PID_5", _join(patient.last_name, patient.first_name, patient.middle_name))
    put(pid, "PID_7", _date(patient.dob))
    put(pid, "PID_8", patient.sex)
    put(pid, "PID_11", _join(patient.address_street, "", patient.address_city,
                               patient.address_state, patient.address_zip))
    # XTN-2/3 (PRN, PH) let a 2.5.1 receiver know this is the home phone number.
    put(pid, "PID_13", _join(patient.phone, "PRN", "PH") if patient.phone else "")
    put(pid, "PID_19", esc(patient.ssn))

    pv1 = msg.pv1
    put(pv1, "PV1_1", "1")
    put(pv1, "PV1_2", "I" if patient.admit_at else "P")
    put(pv1, "PV1_44", admit_at)
    put(pv1, "PV1_45", discharge_at)

    for dx in patient.diagnoses:
        if not dx.code:
            raise HL7Error(f"DG1-3: missing diagnosis code for rank {dx.rank}")
        dg1 = msg.add_segment("DG1")
        put(dg1, "DG1_1", str(dx.rank))
        put(dg1, "DG1_3", _join(dx.code, dx.description, "I10"))
        put(dg1, "DG1_5", _date(dx.added_on))
        put(dg1, "DG1_6", "A" if dx.rank == 1 else "W")  # admitting vs working diagnosis
        put(dg1, "DG1_15", str(dx.rank))

    _validate(msg)
    return msg.to_er7()


def put(segment, name: str, er7: str, *, repeat: bool = False) -> None:
    """Set field ``name`` from ER7 text, skipping empty values so optional fields stay absent."""
    if not er7:
        return
    if "\r" in er7 or "\n" in er7:
        raise HL7Error(f"{dash(name)}: {er7!r} has a line break; HL7 text fields are one line")
    try:
        if repeat:
            segment.add_field(name).value = er7
        else:
            setattr(segment, name, er7)
    except Exception as exc:  # hl7apy raises assorted types (ValueError, MaxLengthReached, ...)
        raise HL7Error(f"{dash(name)}: {one_line(exc)}") from exc


def _validate(msg) -> None:
    try:
        Validator.validate(msg)
    except Exception as exc:
        raise HL7Error(hl7apy_reason(exc)) from exc


def esc(value: str) -> str:
    # hl7apy stores values as raw ER7, so delimiters inside data must be escaped here.
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value


def _join(*components: str) -> str:
    return "^".join(esc(c) for c in components).rstrip("^")


def _date(value: datetime.date | None) -> str:
    return "" if value is None else f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _ts(value: datetime.datetime | None, where: str) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        raise HL7Error(f"{where}: {value.isoformat()} has a time zone; pass naive local time")
    return _date(value) + f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
