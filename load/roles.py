"""The four roles of a load test: each one person's work on the deployment, done through the same
drivers as the conformance suite (``make_drivers``), every call reported by its business operation.

- **intake coordinator**: a prospect in the CRM with insurance and a Treatment Opportunity, pushed
  to the EMR; there the record is accepted, completed (admission date, diagnosis) and its MR Number
  generated, which admits the patient in the RCM.
- **clinician**: one day of care per task for a patient: a diagnosis on the first day, a group
  session and an evaluation, the Facesheet; the discharge after ``stay_days`` days.
- **utilization reviewer**: for an admitted patient, in the RCM: the insurance, its verification,
  an eligibility check (270/271) and its review, the U/R for the level of care and a standalone
  authorization; then the EMR's read copy of the U/R.
- **biller**: one day's charges per task for an insured, authorized patient: documented in the
  EMR, transmitted through the Billing Audit Tool, received on the RCM's Attendance Calendar,
  submitted for billing, claims created and read in the Work Center.

Patients pass from one role to the next inside one Locust process (:class:`Shared`): intake's
admitted patients go to the first clinician or reviewer who needs one, reviewers' authorized ones
to the billers. A role that finds none waiting makes its own with the same operations (an EMR
admission; for a biller, the reviewer's insurance and authorizations too), so every role works in
any mix and on every worker.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from kipu_harness.contract import Refusal
from kipu_harness.model import Patient
from kipu_harness.synthetic import demographics

from .operations import Operations, check, size
from .workload import Workload

ADMITTING_CODE, CODES = "F10.20", ("F11.20", "F32.9", "F41.1", "F43.10", "F12.20")
REVIEWER = "reviewer"
_numbers = itertools.count(1)

# What only one role does: what a load run's statistics must show for each role that ran.
ROLE_OPERATIONS = {
    "intake_coordinator": (("CRM", "create prospect"), ("CRM", "push Treatment Opportunity to the EMR"),
                           ("EMR", "accept"), ("wait", "EMR receives the pushed record")),
    "clinician": (("EMR", "read Facesheet"), ("EMR", "discharge")),
    "utilization_reviewer": (("RCM", "check eligibility"), ("RCM", "review eligibility"),
                             ("EMR", "read utilization reviews")),
    "biller": (("EMR", "transmit"), ("RCM", "submit for billing"), ("RCM", "create claims"), ("RCM", "claims")),
}


@dataclass
class Case:
    """An admitted patient as the roles hand it on: the EMR's record and the RCM's ids."""

    patient: Patient
    rcm_id: int
    episode_id: int
    days: int = 0  # days of care documented (clinician) or billed (biller) so far


class Shared:
    """What the users of one Locust process share: the patients handed on, and what the facility has
    (the payer's ID, the billable templates, the levels of care) that is looked up once."""

    def __init__(self, size: int = 500):
        self.admitted: deque[Case] = deque(maxlen=size)  # by intake coordinators
        self.authorized: deque[Case] = deque(maxlen=size)  # by utilization reviewers
        self.payer_id: int | None = None
        self.templates: dict[str, int] = {}
        self.levels: set[str] = set()  # the RCM's levels of care (its services with a level of care ID)
        self.lock = threading.Lock()  # a gevent lock under Locust's monkey-patching


class Role:
    name = ""

    def __init__(self, drivers: dict[str, Any], ops: Operations, workload: Workload, shared: Shared, fake: Any):
        self.crm, self.emr, self.rcm = drivers["crm"], drivers["emr"], drivers["rcm"]
        self.ops, self.workload, self.shared, self.fake = ops, workload, shared, fake
        self.case: Case | None = None

    def task(self) -> None:
        raise NotImplementedError

    # -- what several roles do ------------------------------------------------------------------
    def take(self, waiting: deque[Case]) -> Case:
        """The next patient another role handed on, else one this user admits itself."""
        return waiting.popleft() if waiting else self.admit_in_emr()

    def admit_in_emr(self) -> Case:
        """A patient entered in the EMR with everything an admission needs, sent to the RCM."""
        data = demographics(self.fake, admission_date=self.workload.admitted_on.isoformat())
        patient = self.ops("EMR", "create patient", self.emr.create_patient, **data)
        patient = self.ops("EMR", "add diagnosis", self.emr.add_diagnosis, patient, ADMITTING_CODE)
        return self.send_to_rcm(patient)

    def send_to_rcm(self, patient: Patient) -> Case:
        patient = self.ops("EMR", "generate MR Number", self.emr.action, patient, "mr_number")
        admitted = self.ops.wait("RCM admits the patient", lambda: self._admitted(patient))
        return Case(patient, admitted.id, admitted.episodes[-1].id)

    def _admitted(self, patient: Patient) -> Any:
        found = self.ops("RCM", "find patient", self.rcm.find_patients, emr_patient_id=patient.id)
        return next((p for p in found if p.status == "Admitted" and p.episodes), None)

    def insure(self, case: Case) -> int:
        policy = self.fake.policy()
        holder = {"relationship": "Self", "insurance_id": policy["insurance_id"], "plan_name": policy["plan_name"]}
        made = self.ops("RCM", "add insurance", self.rcm.save_insurance, case.rcm_id, case.episode_id,
                        priority="primary", payer=self.payer(),
                        effective_date=self.workload.insurance_effective_date.isoformat(), policy_holder=holder)
        return made["id"]

    def authorize(self, case: Case) -> None:
        ids, number, w = (case.rcm_id, case.episode_id), next(_numbers), self.workload
        period = {"start_date": w.admitted_on.isoformat(), "end_date": w.authorized_until.isoformat(),
                  "authorization_status": "Authorized"}
        self.ops("RCM", "add U/R", self.rcm.save_authorization, *ids, service=self.level_of_care(), units=30,
                 authorization_number=f"AUTH-L{number}", payer=self.payer(), **period)
        self.ops("RCM", "add standalone authorization", self.rcm.save_authorization, *ids,
                 kind="standalone_authorizations", service=w.therapy_template, units=30,
                 authorization_number=f"AUTH-S{number}", **period)

    def payer(self) -> int:
        """The workload's payer in the RCM's payer list; added once when it is missing."""
        with self.shared.lock:
            if self.shared.payer_id is None:
                self.shared.payer_id = self._find_payer() or self._add_payer()
        return self.shared.payer_id

    def _find_payer(self) -> int | None:
        listed = self.ops("RCM", "payers", self.rcm.payers)
        return next((p["id"] for p in listed if p["name"] == self.workload.payer), None)

    def _add_payer(self) -> int:
        w, started = self.workload, time.perf_counter()
        try:
            made = self.rcm.add_payer(name=w.payer, payer_id=w.payer_id, phone=w.payer_phone,
                                      claim_formats=["837P", "837I"])
        except Refusal:  # another worker added it a moment ago (a payer's name is unique): that one it is
            found = self._find_payer()
            if found is None:
                return self.ops("RCM", "add payer", self.rcm.add_payer, name=w.payer, payer_id=w.payer_id,
                                phone=w.payer_phone, claim_formats=["837P", "837I"])["id"]
            return found
        self.ops.report("RCM", "add payer", started, size(made), None)
        return made["id"]

    def template(self, key: str) -> int | None:
        """The id of the billable template the workload names under ``key`` (e.g. ``group_template``);
        None when the EMR's driver lists no templates (the roles then document nothing with it)."""
        name = getattr(self.workload, key)
        with self.shared.lock:
            if name not in self.shared.templates:
                found = self.ops("EMR", "billable templates", self._templates, name, key)
                if found is None:
                    return None
                self.shared.templates.update(found)
        return self.shared.templates[name]

    def _templates(self, needed: str, key: str) -> dict[str, int]:
        found = {t["name"]: t["id"] for t in self.emr.billable_templates()}
        check(needed in found, f"the EMR has no billable template {needed!r} (workload [load] {key}); "
                               f"it has: {_listed(found)}")
        return found

    def level_of_care(self) -> str:
        """The workload's level of care, checked once against the RCM's services: the RCM saves a U/R
        for any name, and one for a level it lacks authorizes nothing (every per-diem charge would be
        refused later, for a reason that does not name the workload's key)."""
        name = self.workload.level_of_care
        with self.shared.lock:
            if name not in self.shared.levels:
                found = self.ops("RCM", "services", self._levels, name)
                self.shared.levels.update(found or {name})  # None: the driver lists no services, none to check
        return name

    def _levels(self, needed: str) -> set[str]:
        # "Residential - Private Pay" is the private-pay service of the level Residential, as the RCM names it.
        found = {s["name"].split(" - ")[0] for s in self.rcm.services() if s.get("level_of_care_uid")}
        check(needed in found, f"the RCM has no level of care {needed!r} (workload [load] level_of_care); "
                               f"it has: {_listed(found)}")
        return found

    def day(self, case: Case) -> str:
        return (self.workload.admitted_on + dt.timedelta(days=case.days + 1)).isoformat()


class IntakeCoordinator(Role):
    name = "intake_coordinator"

    def task(self) -> None:
        crm, emr = self.crm, self.emr
        person = {k: v for k, v in demographics(self.fake).items() if k != "admission_date"}
        prospect = self.ops("CRM", "create prospect", crm.create_prospect, **person)
        self.ops("CRM", "add insurance", crm.add_insurance, prospect.id, payer_name=self.workload.payer,
                 policy_number=self.fake.policy()["insurance_id"])
        opportunity = self.ops("CRM", "create Treatment Opportunity", crm.create_opportunity, prospect.id,
                               level_of_care=self.level_of_care(), program="Adult")
        self.ops("CRM", "push Treatment Opportunity to the EMR", crm.push_to_emr, opportunity.id)
        patient = self.ops.wait("EMR receives the pushed record",
                                lambda: self.ops("EMR", "find pushed record", emr.find_by_prospect, prospect.id))
        patient = self.ops("EMR", "accept", emr.accept, patient)
        patient = self.ops("EMR", "complete admission data", emr.update_patient, patient,
                           admission_date=self.workload.admitted_on.isoformat())
        patient = self.ops("EMR", "add diagnosis", emr.add_diagnosis, patient, ADMITTING_CODE)
        self.shared.admitted.append(self.send_to_rcm(patient))


class Clinician(Role):
    name = "clinician"

    def task(self) -> None:
        emr = self.emr
        if self.case is None:
            self.case = self.take(self.shared.admitted)
            self.case.patient = self.ops("EMR", "add diagnosis", emr.add_diagnosis, self.case.patient,
                                         random.choice(CODES)) or self.case.patient
        case, day = self.case, self.day(self.case)
        attendance = [{"patient_id": case.patient.id, "present": True, "minutes": 60}]
        group, therapy = self.template("group_template"), self.template("therapy_template")
        if group is not None:
            self.ops("EMR", "document group session", emr.document_group_session, group, day, attendance)
        if therapy is not None:
            self.ops("EMR", "document evaluation", emr.document_evaluation, case.patient, therapy, day, minutes=60)
        self.ops("EMR", "read Facesheet", emr.get, case.patient)
        case.days += 1
        if case.days >= self.workload.stay_days:
            self.ops("EMR", "discharge", emr.discharge, case.patient, self.day(case))
            self.case = None


class UtilizationReviewer(Role):
    name = "utilization_reviewer"

    def task(self) -> None:
        case = self.take(self.shared.admitted)
        ids = (case.rcm_id, case.episode_id)
        insurance = self.insure(case)
        self.ops("RCM", "verify insurance", self.rcm.verify_insurance, *ids, insurance, by=REVIEWER)
        self.ops("RCM", "check eligibility", self.rcm.check_eligibility, *ids, insurance)
        self.ops("RCM", "review eligibility", self.rcm.review_eligibility, *ids, insurance, by=REVIEWER,
                 note="checked under load")
        self.authorize(case)
        self.ops("EMR", "read utilization reviews", self.emr.utilization_reviews, case.patient)
        self.shared.authorized.append(case)


class Biller(Role):
    name = "biller"

    def task(self) -> None:
        emr, rcm, user = self.emr, self.rcm, self.workload.billing_user
        if self.case is None:
            self.case = self.shared.authorized.popleft() if self.shared.authorized else self.prepare()
        case, day = self.case, self.day(self.case)
        attendance = [{"patient_id": case.patient.id, "present": True, "minutes": 60}]
        per_diem, evaluation = self.template("per_diem_template"), self.template("therapy_template")
        items = (self.ops("EMR", "document group session", emr.document_group_session, per_diem, day, attendance)
                 if per_diem is not None else None) or []
        therapy = (self.ops("EMR", "document evaluation", emr.document_evaluation, case.patient, evaluation, day,
                            minutes=60) if evaluation is not None else None)
        ids = [i["id"] for i in items if i.get("patient_id") == case.patient.id] + ([therapy["id"]] if therapy else [])
        if not ids:  # nothing documented (the EMR's driver lists no templates): nothing to bill today
            self._next_day(case)
            return
        self.ops("EMR", "Billing Audit Tool Report", emr.billing_items, case.patient)
        self.ops("EMR", "transmit", self._transmit, ids, user)
        entries = self.ops.wait("RCM receives the charges", lambda: self._on_calendar(case, day, len(ids)))
        self.ops("RCM", "submit for billing", rcm.submit_for_billing, [e["id"] for e in entries], user)
        self.ops("RCM", "create claims", rcm.create_claims, user, patient_id=case.rcm_id)
        self.ops("RCM", "claims", rcm.claims, case.rcm_id)
        self._next_day(case)

    def _next_day(self, case: Case) -> None:
        case.days += 1
        if case.days >= self.workload.stay_days:
            self.case = None

    def prepare(self) -> Case:
        """No reviewer has handed on a patient: admit one and insure and authorize it as a reviewer would."""
        case = self.admit_in_emr()
        self.insure(case)
        self.authorize(case)
        return case

    def _transmit(self, ids: list[int], user: str) -> list[dict[str, Any]]:
        results = self.emr.transmit(ids, user)
        refused = [r for r in results if r.get("status") != "accepted"]
        check(not refused, f"not every charge was accepted: {refused}")
        return results

    def _on_calendar(self, case: Case, day: str, count: int) -> list[dict[str, Any]] | None:
        entries = self.ops("RCM", "Attendance Calendar", self.rcm.attendance, case.rcm_id)
        mine = [e for e in entries if e["date_of_service"] == day and e["status"] == "transmitted"]
        return mine if len(mine) >= count else None


ROLES = {role.name: role for role in (IntakeCoordinator, Clinician, UtilizationReviewer, Biller)}


def _listed(names: Any, most: int = 8) -> str:
    shown = sorted(names)
    return ", ".join(shown[:most]) + (f", ... ({len(shown)} in all)" if len(shown) > most else "") or "none"
