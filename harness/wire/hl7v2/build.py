"""Building an HL7 v2.5.1 ADT message (A01, A03, A04, A08) from an
:class:`~kipu_harness.wire.hl7v2.message.AdtPatient`, as ER7 text.

The message is written directly as text in the one layout the EMR sends (MSH, EVN, PID, PV1,
DG1...), because building it through hl7apy's object tree cost about 10 ms a message, most of an
admission. What hl7apy's strict mode checked while building is checked here value by value (the
199-character ST and 20-character IS limits, one-line values), and the finished message still
passes hl7apy's structure validation (:func:`~.validate.check_structure`, remembered per message
shape). ``tests/test_hl7v2.py`` re-parses what this builds with hl7apy at strict level.

Values are escaped here, so delimiters inside names and addresses travel as ``\\F\\``, ``\\S\\``,
... and come back whole.
"""

from __future__ import annotations

import datetime

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
)
from .validate import check_structure

__all__ = ["build_adt", "esc", "text"]

# Order matters: the escape character itself must be escaped before the others add more.
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))
# hl7apy's limits for the base types the EMR fills with free text (ST) and codes (IS).
ST_MAX, IS_MAX = 199, 20
MAX_DIAGNOSES = 9999  # DG1-1 is an SI: at most four digits


def build_adt(trigger: str, patient: AdtPatient, *, control_id: str, sent_at: datetime.datetime,
              sending_facility: str = "KIPU_EMR", receiving_facility: str = "KIPU_RCM",
              sequence: int | None = None) -> str:
    """Build an ADT message for ``trigger`` and return ER7 text with ``\\r`` between segments.

    ``sequence``, if given, is the sender's number for this patient's message (MSH-13, 1..10^15-1).

    Raises :class:`HL7Error` for an unknown trigger, a sex outside F/M/U, a missing patient id,
    an A01 without an admit time, an A03 without a discharge time, diagnosis ranks other than 1..n
    in order, a value with a line break or longer than its HL7 type allows, or a message hl7apy's
    structure validation refuses (a required field left empty, say).
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
    if len(ranks) > MAX_DIAGNOSES:
        raise HL7Error(f"DG1-1: {len(ranks)} diagnoses; a set id has at most four digits")

    sent = _ts(sent_at, "MSH-7")
    structure = STRUCTURES[trigger]
    msh = ("MSH|^~\\&||" + text("MSH-4", sending_facility, IS_MAX) + "||"
           + text("MSH-6", receiving_facility, IS_MAX) + f"|{sent}||ADT^{trigger}^{structure}|"
           + text("MSH-10", control_id) + f"|P|{HL7_VERSION}|"
           + ("" if sequence is None else str(sequence))
           # Names with accents travel as raw UTF-8 (send_mllp encodes UTF-8), so say so.
           + "|||||UNICODE UTF-8")
    # Two PID-3 repetitions: the receiver picks each identifier by its type, not by position.
    ids = [f"{text('PID-3', patient.patient_id)}^^^{ASSIGNING_AUTHORITY}^PI"]
    if patient.mr_number:
        ids.append(f"{text('PID-3', patient.mr_number)}^^^{ASSIGNING_AUTHORITY}^MR")
    if patient.crm_prospect_id:
        ids.append(f"{text('PID-3', patient.crm_prospect_id)}^^^{CRM_AUTHORITY}^PI")
    pid = _segment(
        "PID", "1", "", "~".join(ids), "",
        _join("PID-5", patient.last_name, patient.first_name, patient.middle_name), "",
        _date(patient.dob), patient.sex, "", "",
        _join("PID-11", patient.address_street, "", patient.address_city, patient.address_state,
              patient.address_zip), "",
        # XTN-2/3 (PRN, PH) let a 2.5.1 receiver know this is the home phone number.
        _join("PID-13", patient.phone, "PRN", "PH") if patient.phone else "",
        "", "", "", "", "", text("PID-19", patient.ssn))
    pv1 = _segment("PV1", "1", "I" if patient.admit_at else "P", *[""] * 41, admit_at, discharge_at)
    segments = [msh, f"EVN|{trigger}|{sent}", pid, pv1]
    for dx in patient.diagnoses:
        if not dx.code:
            raise HL7Error(f"DG1-3: missing diagnosis code for rank {dx.rank}")
        segments.append(_segment(
            "DG1", str(dx.rank), "", _join("DG1-3", dx.code, dx.description, "I10"), "",
            _date(dx.added_on), "A" if dx.rank == 1 else "W",  # admitting vs working diagnosis
            *[""] * 8, str(dx.rank)))
    er7 = "\r".join(segments)
    check_structure(er7)
    return er7


def text(where: str, value: str, limit: int = ST_MAX) -> str:
    """``value`` escaped for ER7, refused if it has a line break or is longer than ``limit``."""
    if "\r" in value or "\n" in value:
        raise HL7Error(f"{where}: {value!r} has a line break; HL7 text fields are one line")
    escaped = esc(value)
    if len(escaped) > limit:
        raise HL7Error(f"{where}: a value of {len(escaped)} characters is longer than the "
                       f"{limit} its HL7 type allows")
    return escaped


def esc(value: str) -> str:
    for raw, escaped in _ESCAPES:
        if raw in value:
            value = value.replace(raw, escaped)
    return value


def _segment(name: str, *fields: str) -> str:
    # Trailing empty fields are left off, as HL7 encoders do.
    return "|".join((name, *fields)).rstrip("|")


def _join(where: str, *components: str) -> str:
    joined = "^".join(components)
    if "\r" in joined or "\n" in joined:
        raise HL7Error(f"{where}: {joined!r} has a line break; HL7 text fields are one line")
    return "^".join(text(where, c) for c in components).rstrip("^")


def _date(value: datetime.date | None) -> str:
    return "" if value is None else f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _ts(value: datetime.datetime | None, where: str) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        raise HL7Error(f"{where}: {value.isoformat()} has a time zone; pass naive local time")
    return _date(value) + f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
