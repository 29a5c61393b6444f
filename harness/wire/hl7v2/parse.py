"""Reading an HL7 v2 ADT message (A01, A03, A04, A08) into an
:class:`~kipu_harness.wire.hl7v2.message.AdtMessage`, and validating it.

The fields are read with python-hl7's addressing and unescaping (:mod:`.er7`), which
tolerates the odd messages a receiver must still acknowledge; hl7apy then checks the whole message against the HL7
structure for its version (:func:`~.validate.check_structure`, remembered per message shape). The reading helpers here (:func:`normalize`, :func:`read`,
:func:`val`, ...) are also what the acknowledgements read with.
"""

from __future__ import annotations

import datetime
import re


from .message import (
    CRM_AUTHORITY,
    ICD10_SYSTEMS,
    MAX_SEQUENCE,
    SEXES,
    STRUCTURES,
    TRIGGERS,
    VERSIONS,
    AdtDiagnosis,
    AdtMessage,
    AdtPatient,
    HL7Error,
    check_visit,
    one_line,
)
from .er7 import Er7Message
from .validate import check_structure

__all__ = ["normalize", "one", "parse_adt", "read", "segments", "val"]

_TS = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?"
                 r"(?:[+-]\d{4})?")


def parse_adt(text: str) -> AdtMessage:
    """Read an A01/A03/A04/A08 message (``\\r`` or ``\\n`` between segments).

    Raises :class:`HL7Error` with a one-line reason naming the segment or field, e.g.
    ``"MSH-9: message type ORU^R01 is not an ADT"`` or ``"PID-7: '1980AB01' is not a valid HL7
    date"``. The fields this module reads are checked first; then hl7apy checks the whole message
    against the HL7 structure for its version (required segments and fields, cardinality, order).
    """
    er7 = normalize(text)
    message = read(er7)
    msh = message.segment("MSH")
    kind, trigger, structure = (val(msh, 9, comp=c) for c in (1, 2, 3))
    if kind != "ADT":
        raise HL7Error(f"MSH-9: message type {kind}^{trigger} is not an ADT")
    if trigger not in TRIGGERS:
        raise HL7Error(f"MSH-9: trigger {trigger!r} is not one of {', '.join(TRIGGERS)}")
    expected = STRUCTURES[trigger]
    if structure and structure != expected:
        raise HL7Error(f"MSH-9: structure {structure} does not fit {trigger} (expected {expected})")
    if not structure:
        # Many senders omit MSH-9.3; hl7apy needs it to pick the structure to validate against.
        er7 = _with_structure(er7, expected)
    version = val(msh, 12)
    if version not in VERSIONS:
        raise HL7Error(f"MSH-12: HL7 version {version!r} is not one of {', '.join(VERSIONS)}")
    control_id = val(msh, 10)
    if not control_id:
        raise HL7Error("MSH-10: missing message control id")
    sent_at = _parse_ts(val(msh, 7), "MSH-7", "date/time")
    if sent_at is None:
        raise HL7Error("MSH-7: missing message date/time")
    sequence = _sequence(val(msh, 13))
    evn = segments(message, "EVN")
    if evn and val(evn[0], 1) not in ("", trigger):
        raise HL7Error(f"EVN-1: event type {val(evn[0], 1)} does not match MSH-9 trigger {trigger}")

    patient = _read_patient(message, trigger)

    check_structure(er7)
    return AdtMessage(trigger=trigger, control_id=control_id, sent_at=sent_at, patient=patient, sequence=sequence)


def _sequence(value: str) -> int | None:
    """MSH-13, the sender's per-patient message number: absent, or an integer from 1."""
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_SEQUENCE:
        raise HL7Error(f"MSH-13: sequence number {value!r} is not an integer from 1 to {MAX_SEQUENCE}")
    return int(value)


def _read_patient(message, trigger: str) -> AdtPatient:
    pid = one(message, "PID")
    pv1 = one(message, "PV1")
    ids = {}  # identifier type -> first id of that type (the EMR's)
    crm_prospect_id = None
    for rep in range(1, pid.repetitions(3) + 1):
        id_type, value = val(pid, 3, rep, 5), val(pid, 3, rep, 1)
        if value and val(pid, 3, rep, 4) == CRM_AUTHORITY:
            crm_prospect_id = value
        elif value:
            ids.setdefault(id_type, value)
    if "PI" not in ids:
        raise HL7Error("PID-3: no patient identifier with type PI")
    sex = val(pid, 8)
    if sex not in SEXES:
        # Refuse rather than default to U: a missing or unmapped sex is an EMR defect to report.
        raise HL7Error(f"PID-8: sex {sex!r} is not one of {', '.join(SEXES)}")
    admit_at = _parse_ts(val(pv1, 44), "PV1-44", "date/time")
    discharge_at = _parse_ts(val(pv1, 45), "PV1-45", "date/time")
    check_visit(trigger, admit_at, discharge_at)
    dob = _parse_ts(val(pid, 7), "PID-7", "date")
    return AdtPatient(
        patient_id=ids["PI"],
        mr_number=ids.get("MR"),
        last_name=val(pid, 5, comp=1),
        first_name=val(pid, 5, comp=2),
        middle_name=val(pid, 5, comp=3),
        dob=dob.date() if dob else None,
        sex=sex,
        address_street=val(pid, 11, comp=1),
        address_city=val(pid, 11, comp=3),
        address_state=val(pid, 11, comp=4),
        address_zip=val(pid, 11, comp=5),
        phone=val(pid, 13),
        ssn=val(pid, 19),
        admit_at=admit_at,
        discharge_at=discharge_at,
        crm_prospect_id=crm_prospect_id,
        diagnoses=tuple(_read_diagnosis(dg1, n) for n, dg1 in enumerate(segments(message, "DG1"), 1)),
    )


def _read_diagnosis(dg1, n: int) -> AdtDiagnosis:
    code = val(dg1, 3, comp=1)
    if not code:
        raise HL7Error(f"DG1-3: missing diagnosis code in DG1 #{n}")
    system = val(dg1, 3, comp=3)
    if system not in ICD10_SYSTEMS:
        raise HL7Error(f"DG1-3: coding system {system!r} in DG1 #{n} is not ICD-10 (I10)")
    added_on = _parse_ts(val(dg1, 5), "DG1-5", "date")
    if added_on is None:
        raise HL7Error(f"DG1-5: missing date the code was added in DG1 #{n}")
    # DG1-15 is the priority; DG1-1 (set id) stands in for senders that leave it empty.
    where, rank = ("DG1-15", val(dg1, 15)) if val(dg1, 15) else ("DG1-1", val(dg1, 1))
    if not rank.isdigit() or int(rank) < 1:
        raise HL7Error(f"{where}: {rank!r} in DG1 #{n} is not a positive integer rank")
    return AdtDiagnosis(code=code, description=val(dg1, 3, comp=2), added_on=added_on.date(),
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


def normalize(text) -> str:
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


def read(er7: str) -> Er7Message:
    try:
        return Er7Message(er7)
    except ValueError as exc:
        raise HL7Error(f"MSH: not a readable HL7 v2 message ({one_line(exc)})") from exc


def _with_structure(er7: str, structure: str) -> str:
    """``er7`` with MSH-9.3 (the message structure) set to ``structure``."""
    field, component, repetition = er7[3], er7[4], er7[5]
    msh, _, rest = er7.partition("\r")
    fields = msh.split(field)
    fields += [""] * (9 - len(fields))
    reps = fields[8].split(repetition)
    components = reps[0].split(component)
    components += [""] * (3 - len(components))
    components[2] = structure
    reps[0] = component.join(components)
    fields[8] = repetition.join(reps)
    return field.join(fields) + ("\r" + rest if rest else "")


def segments(message, name: str) -> list:
    return [seg for seg in message if seg.name == name]


def one(message, name: str):
    found = segments(message, name)
    if not found:
        raise HL7Error(f"{name}: missing segment")
    return found[0]


def val(segment, field: int, rep: int = 1, comp: int = 1) -> str:
    """Unescaped text of one component (first subcomponent); "" when absent."""
    try:
        return segment.extract_field(1, field, rep, comp)
    except IndexError:
        return ""
