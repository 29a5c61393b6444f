"""The reference integration between the mock CRM, EMR and RCM: who sends what, and when.

SYS-01..05, WF-1, WF-2 and PAT-01..17 of the requirement catalogue. The mocks raise domain
events; this plugin turns them into deliveries in the sender's outbox, inside the sender's
transaction, so a refused action leaves nothing behind and an accepted one is never lost.

Each ADT carries the patient's sequence number in MSH-13 (1, 2, 3... per EMR patient, counted in
the same transaction as it is queued) beside its time in MSH-7 and EVN-2, so the RCM applies a
patient's messages in the order the EMR made them, whatever order they arrive in.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from kipu_harness import hookimpl
from kipu_harness.events import EventContext, Problem, Refused, SystemEvent
from kipu_harness.wire import hl7v2

# PAT-02: the actions that make the initial connection; PAT-03: those that re-send.
CONNECTS = {"mr_number.generated", "send_to_rcm.clicked", "manage_insurance.clicked", "manage_review.clicked"}
RESENDS = {"diagnosis.added", "discharge.set", "send_to_rcm.clicked"}
SEX_CODES = {"Male": "M", "Female": "F"}


@hookimpl
def harness_system_event(event: SystemEvent, context: EventContext) -> None:
    if event.system == "crm":
        _crm_event(event, context)
    elif event.system == "emr":
        _emr_event(event, context)


# -- CRM -------------------------------------------------------------------------------------

def _crm_event(event: SystemEvent, context: EventContext) -> None:
    record = event.record
    if event.name == "prospect.created":
        # WF-1.2: the RCM gets a Prospective Patient for every new prospect.
        body = {
            "crm_prospect_id": record["id"],
            "first_name": record["first_name"],
            "middle_name": record.get("middle_name") or "",
            "last_name": record["last_name"],
            "birthday": record.get("dob"),
            "phone": record.get("phone"),
        }
        context.enqueue(destination="rcm", wire="json", path="/rcm/prospects", body=json.dumps(body),
                        key=f"crm-prospect-{record['id']}-created")
    elif event.name == "opportunity.pushed":
        # WF-1.4: the treatment opportunity goes to the EMR, where it waits to be accepted.
        prospect = {k: v for k, v in record["prospect"].items() if k not in ("insurance", "created_at")}
        opportunity = {k: record[k] for k in ("id", "level_of_care", "program", "expected_admission_date")}
        body = {"prospect": prospect, "opportunity": opportunity}
        # One delivery per push; the EMR keeps one record per prospect however often it is pushed.
        context.enqueue(destination="emr", wire="json", path="/api/integrations/crm/patients",
                        body=json.dumps(body), key=f"crm-opportunity-{record['id']}-push-{uuid.uuid4().hex[:8]}")
        context.response["emr"] = {"pushed": True}


# -- EMR -------------------------------------------------------------------------------------

def _emr_event(event: SystemEvent, context: EventContext) -> None:
    if event.name not in CONNECTS | RESENDS | {"patient.created"}:
        return  # not an event about the patient's demographics
    patient = event.record
    connected = patient["rcm"]["connected"]
    if event.name == "patient.created":
        # WF-1.5: a pre-admitted patient made in the EMR reaches the RCM as a Prospective Patient.
        _send(context, patient, "A04")
        return
    if event.name in CONNECTS and not connected:
        missing = admission_problems(patient, context.settings)
        if missing:
            if event.name == "send_to_rcm.clicked":
                raise Refused("the patient cannot be sent to the RCM: " + "; ".join(
                    f"{p.field} {p.problem}" for p in missing), missing)
            context.response["rcm"] = {"sent": False, "missing": [p.as_json() for p in missing]}
            return
        _send(context, patient, "A01", connect=True)
        return
    if event.name in RESENDS and connected:
        _send(context, patient, "A03" if event.name == "discharge.set" else "A08")


def admission_problems(patient: dict[str, Any], settings: Any) -> list[Problem]:
    """WF-2.2: what an admission still lacks, one Problem per missing item."""
    problems = []
    if not patient.get("admission_date"):
        problems.append(Problem("admission_date", "is required for admission"))
    if not patient.get("mr_number"):
        problems.append(Problem("mr_number", "is required for admission: generate the MR Number"))
    for name in settings.required_demographics:
        # Settings use the EMR's write names; the record keeps Kipu's read name `state`.
        if not patient.get("state" if name == "address_state" else name):
            problems.append(Problem(name, "is a required demographic field"))
    if not patient.get("diagnoses"):
        problems.append(Problem("diagnoses", "at least one diagnosis code is required"))
    return problems


def ordered_diagnoses(diagnoses: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    """AMB-02: principal first, then by date added (entry order breaks ties), or by date only."""
    by_added = sorted(diagnoses, key=lambda d: (d["added_on"], d["sequence"]))
    if order == "added":
        return by_added
    return sorted(by_added, key=lambda d: not d["principal"])


def _at(value: str | None, settings: Any) -> dt.datetime | None:
    """AMB-05: a date without a time gets the configured default time (facility local)."""
    if not value:
        return None
    if len(value) == 10:
        hh, mm = (int(x) for x in settings.default_time.split(":"))
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(hh, mm))
    return dt.datetime.fromisoformat(value)


def adt_patient(patient: dict[str, Any], settings: Any) -> tuple[hl7v2.AdtPatient, list[str]]:
    """The EMR patient as an ADT payload, and the diagnosis codes left out by the cap (PAT-16)."""
    ranked = ordered_diagnoses(patient["diagnoses"], settings.diagnosis_order)
    sent, left_out = ranked[: settings.max_diagnoses], ranked[settings.max_diagnoses :]
    adt = hl7v2.AdtPatient(
        patient_id=str(patient["id"]),
        mr_number=patient.get("mr_number"),
        last_name=patient["last_name"],
        first_name=patient["first_name"],
        middle_name=patient.get("middle_name") or "",
        dob=dt.date.fromisoformat(patient["dob"]) if patient.get("dob") else None,
        sex=SEX_CODES.get(patient.get("gender") or "", "U"),
        address_street=patient.get("address_street") or "",
        address_city=patient.get("address_city") or "",
        address_state=patient.get("state") or "",
        address_zip=patient.get("address_zip") or "",
        phone=patient.get("phone") or "",
        ssn=patient.get("ssn") or "",
        admit_at=_at(patient.get("admission_date"), settings),
        discharge_at=_at(patient.get("discharge_date"), settings),
        diagnoses=tuple(
            hl7v2.AdtDiagnosis(code=d["code"], description=d["description"],
                               added_on=dt.date.fromisoformat(d["added_on"]), rank=rank)
            for rank, d in enumerate(sent, start=1)
        ),
        crm_prospect_id=str(patient["crm_prospect_id"]) if patient.get("crm_prospect_id") else None,
    )
    return adt, [d["code"] for d in left_out]


def _send(context: EventContext, patient: dict[str, Any], trigger: str, *, connect: bool = False) -> None:
    adt, left_out = adt_patient(patient, context.settings)
    control_id = uuid.uuid4().hex[:20]
    text = hl7v2.build_adt(trigger, adt, control_id=control_id, sent_at=context.now,
                           sequence=context.next_sequence("adt", patient["id"]))
    context.enqueue(destination="rcm", wire="hl7v2", path="/rcm/hl7", body=text, key=control_id)
    if left_out:
        context.tx.journal(context.now.isoformat(), "integration",
                           f"ADT^{trigger} {control_id}: diagnoses not sent (over the cap of "
                           f"{context.settings.max_diagnoses}): {', '.join(left_out)}")
    if trigger != "A04":
        rcm = patient["rcm"]
        now = context.now.isoformat()
        rcm.update(last_sent_at=now, sends=rcm["sends"] + 1)
        if connect:
            rcm.update(connected=True, connected_at=now)
        context.tx.put("patient", patient)
    context.response["rcm"] = {"sent": True, "message": f"ADT^{trigger}", "control_id": control_id,
                               "diagnoses_not_sent": left_out}
