"""What an HL7 v2.5.1 ADT message from the EMR to the RCM carries, as dataclasses, and what
building and parsing share: triggers, structures, codes, the visit rule, and error wording.

The EMR sends patient demographics and diagnoses to the RCM as ADT messages: A04 (register /
pre-admit), A01 (admit), A08 (update) and A03 (discharge). Field map (PID-3 carries two
identifiers, told apart by their identifier type)::

    PID-3   patient_id^^^KIPUEMR^PI ~ mr_number^^^KIPUEMR^MR [~ crm_prospect_id^^^KIPUCRM^PI]
    PID-5   last^first^middle        (middle sent whole; the RCM keeps its initial)
    PID-7   dob                      PID-8   sex (F, M or U)
    PID-11  street^^city^state^zip   PID-13  phone    PID-19  ssn
    MSH-7   sent_at (EVN-2 too)      MSH-13  sequence: the sender's per-patient message number
    PV1-2   I when admit_at is set, else P (pre-admit)
    PV1-44  admit_at                 PV1-45  discharge_at
    DG1-1   rank   DG1-3 code^description^I10   DG1-5 added_on   DG1-6 A (rank 1) / W
    DG1-15  rank (priority)

MSH-13 is HL7's "Sequence Number" field, used here per patient rather than per link (the
harness does not use HL7's sequence-number protocol): the EMR numbers each patient's messages
1, 2, 3... as it queues them, so the RCM applies them in the order they were made whatever order
they arrive in (mocks/rcm/ordering.py). It is optional: a message without it is ordered by MSH-7.

Precision: dates are sent as YYYYMMDD and datetimes as YYYYMMDDHHMMSS, so a round trip keeps
datetimes to the second and drops microseconds. Datetimes are naive local times; an aware one is
refused when building, and a UTC offset on a received timestamp is ignored (wall time is kept).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from types import MappingProxyType

import hl7apy

__all__ = ["AdtDiagnosis", "AdtMessage", "AdtPatient", "HL7Error", "HL7_VERSION", "TRIGGERS"]

# The integration is specified as v2.5.1; fall back to 2.5 only for an hl7apy without it.
HL7_VERSION = "2.5.1" if "2.5.1" in hl7apy.SUPPORTED_LIBRARIES else "2.5"
TRIGGERS = ("A01", "A03", "A04", "A08")
# Versions parse_adt accepts: the specified one and 2.5, whose ADT structures and fields match.
VERSIONS = ("2.5", "2.5.1")
# A04 and A08 reuse the A01 structure in the standard; A03 has its own.
STRUCTURES = MappingProxyType({"A01": "ADT_A01", "A03": "ADT_A03", "A04": "ADT_A01", "A08": "ADT_A01"})
SEXES = ("F", "M", "U")
ACK_CODES = ("AA", "AE", "AR")
# HL7 table 0357, the ERR-3 codes the RCM answers with: 206 is the agreed "try later" (the sender
# holds the message and retries it), 205 a control id already used by another message.
ERROR_CODES = MappingProxyType({"205": "Duplicate key identifier", "206": "Application record locked",
                                "207": "Application internal error"})
MAX_SEQUENCE = 10**15 - 1  # MSH-13 is an NM of at most 15 characters
# HL7 table 0396: I10 is what the EMR sends; I10C (ICD-10-CM, later tables) means the same here.
ICD10_SYSTEMS = ("I10", "I10C")
ASSIGNING_AUTHORITY = "KIPUEMR"
CRM_AUTHORITY = "KIPUCRM"


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
    sequence: int | None = None  # MSH-13: the sender's number for this patient's message (1, 2, ...)


def check_visit(trigger: str, admit_at, discharge_at) -> None:
    # Shared by build and parse so the EMR side and the RCM side agree on what a visit needs.
    if trigger == "A01" and admit_at is None:
        raise HL7Error("PV1-44: an A01 (admit) needs the admit date/time")
    if trigger == "A03" and discharge_at is None:
        raise HL7Error("PV1-45: an A03 (discharge) needs the discharge date/time")
    if admit_at and discharge_at and discharge_at < admit_at:
        raise HL7Error(f"PV1-45: discharge {discharge_at} is before admit {admit_at}")


def dash(name: str) -> str:
    return name.replace("_", "-")


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def hl7apy_reason(exc: BaseException) -> str:
    """Turn an hl7apy error into our "SEG-n: reason" form."""
    text = one_line(exc)
    missing = re.search(r"Missing required child \w+\.(\w+)", text)
    if missing:
        name = missing.group(1)
        return f"{dash(name)}: missing required {'field' if '_' in name else 'segment'}"
    where = re.search(r"\.([A-Z][A-Z0-9]{2}(?:_\d+)?)\b", text)
    return f"{dash(where.group(1)) if where else 'message'}: {text}"
