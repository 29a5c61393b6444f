"""A realistic starting census for `kipu-harness mocks up --seed N`, made through the systems' own
APIs (so the integration runs as it would for a user): payers, levels of care, prospects, and
admitted patients with insurance and utilization reviews. Same seed, same census."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kipu_harness.clients import CrmClient, EmrClient, RcmClient
from kipu_harness.synthetic import PAYERS, demographics, faker_for
from kipu_harness.transport import FlaskTransport

LEVELS_OF_CARE = {  # name -> days of the week it runs
    "Detox": "sun mon tue wed thu fri sat",
    "Residential": "sun mon tue wed thu fri sat",
    "PHP": "mon tue wed thu fri",
    "IOP": "mon wed fri",
    "OP": "tue",
}
DIAGNOSES = ("F10.20", "F11.20", "F11.23", "F12.20", "F14.20", "F15.20", "F33.1", "F41.1", "F43.10", "F32.A")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def is_empty(suite: Any) -> bool:
    with suite.contexts["emr"].store.read() as tx:
        return not tx.all("patient")


def seed(suite: Any, seed: int, size: int = 12) -> dict[str, int]:
    """Fill empty mocks with ``size`` people: a third prospects, the rest admitted."""
    fake = faker_for(seed)
    crm = CrmClient(FlaskTransport(suite.apps["crm"]))
    emr = EmrClient(FlaskTransport(suite.apps["emr"], suite.emr_auth.signer))
    rcm = RcmClient(FlaskTransport(suite.apps["rcm"]))
    payers = [rcm.add_payer(name=n, payer_id=i, phone=p, claim_formats=["837P", "837I"]) for n, i, p in PAYERS]
    known = {c["care_level_name"] for c in emr.care_levels()}  # the default facility's, usually
    for name, days in LEVELS_OF_CARE.items():
        if name not in known:
            emr.add_care_level(name, {d: d in days.split() for d in DAYS})
    today = suite.clock.today()
    prospects = size // 3
    for _ in range(prospects):
        person = demographics(fake)
        prospect = crm.create_prospect(**{k: v for k, v in person.items() if k != "admission_date"})
        crm.create_opportunity(prospect.id, level_of_care=fake.random_element(tuple(LEVELS_OF_CARE)))
    for _ in range(size - prospects):
        _admit(fake, emr, rcm, payers, today)
    return {"payers": len(payers), "prospects": prospects, "admitted": size - prospects}


def _admit(fake: Any, emr: EmrClient, rcm: RcmClient, payers: list[dict[str, Any]], today: dt.date) -> None:
    admitted_on = today - dt.timedelta(days=fake.random_int(1, 40))
    patient = emr.create_patient(**demographics(fake, admission_date=admitted_on.isoformat()))
    for code in fake.random_elements(DIAGNOSES, length=fake.random_int(1, 3), unique=True):
        patient = emr.add_diagnosis(patient, code)
    patient = emr.action(patient, "mr_number")
    [rcm_patient] = rcm.find_patients(emr_patient_id=patient.id)
    episode = rcm_patient.episodes[-1].id
    relationships = ("Self", "Self", "Spouse", "Child")
    for priority in ("primary", "secondary")[: fake.random_int(1, 2)]:
        relationship = fake.random_element(relationships)
        holder = {"relationship": relationship, **{k: v for k, v in fake.policy().items() if k != "group_number"}}
        if relationship != "Self":
            holder.update(fake.subscriber(relationship, dt.date.fromisoformat(patient.raw["dob"])))
        rcm.save_insurance(rcm_patient.id, episode, priority=priority, payer=fake.random_element(payers)["id"],
                           effective_date=f"{today.year}-01-01", policy_holder=holder)
    level = fake.random_element(tuple(LEVELS_OF_CARE))
    status = fake.random_element(("Authorized", "Authorized", "Pending", "Authorized - Not Required"))
    rcm.save_authorization(
        rcm_patient.id, episode, service=level, start_date=admitted_on.isoformat(),
        end_date=(admitted_on + dt.timedelta(days=6)).isoformat(), units=7, authorization_status=status,
        authorization_number=fake.bothify("AUTH-######") if status == "Authorized" else None,
        um_follow_up_date=(admitted_on + dt.timedelta(days=5)).isoformat(),
    )
