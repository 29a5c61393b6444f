"""Steps 1 to 4 of the overview for one person, through the drivers as the scenarios' steps drive them:
the prospect in the CRM (or a pre-admitted patient in the EMR), the push, the acceptance and the
admission with diagnoses and MR Number, the RCM's patient and treatment episode, insurance with its
eligibility check (270/271 through the payer), and the utilization review and authorizations."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from kipu_harness.waiting import eventually

from .facility import EVALUATION, Review, Stay, draw
from .state import INTAKE, Simulation

DAY = dt.timedelta(days=1)


def poisson(rng: Any, mean: float) -> int:
    """How many arrivals in a day with ``mean`` a day: exponential gaps until the day is over."""
    count, elapsed = 0, rng.expovariate(mean) if mean > 0 else math.inf
    while elapsed < 1:
        count += 1
        elapsed += rng.expovariate(mean)
    return count


def arrive(sim: Simulation) -> None:
    """The day's new prospects (Step 1): in the CRM with their insurance and a Treatment Opportunity,
    or as pre-admitted patients entered in the EMR."""
    rec = sim.recorder
    for _ in range(poisson(sim.stream("arrivals"), sim.workload.arrivals_per_day)):
        stay = draw(len(sim.stays) + 1, sim.today, sim.stream("people"), sim.fake, sim.workload, sim.facility)
        sim.stays.append(stay)
        rec.count("arrivals")
        if not stay.converts:
            rec.count("prospects_not_admitted")
        person = {k: v for k, v in stay.person.items() if k != "admission_date"}
        if stay.direct:
            stay.emr = sim.call("pre-admission", sim.emr.create_patient, **person)
            continue
        prospect = sim.call("prospect", sim.crm.create_prospect, **person)
        if prospect is None:
            continue
        stay.prospect_id = prospect.id
        if stay.insured:
            holder = stay.insurances[0]["policy_holder"]
            sim.call("prospect insurance", sim.crm.add_insurance, prospect.id, payer_name=stay.payer,
                     policy_number=holder["insurance_id"], relationship=holder["relationship"])
        opportunity = sim.call("opportunity", sim.crm.create_opportunity, prospect.id, level_of_care=stay.level,
                               expected_admission_date=stay.admit_on.isoformat())
        stay.opportunity_id = opportunity.id if opportunity else None


def open_census(sim: Simulation) -> None:
    """The patients already in treatment on the first day: entered and admitted in the EMR today,
    their admission dates back-dated into their stay."""
    for _ in range(sim.workload.opening_census):
        stay = draw(len(sim.stays) + 1, sim.today, sim.stream("people"), sim.fake, sim.workload, sim.facility,
                     opening=True)
        sim.stays.append(stay)
        into = sim.stream("people").randint(0, stay.length - 1)
        admitted = sim.today - dt.timedelta(days=into)
        stay.emr = sim.call("pre-admission", sim.emr.create_patient, **{**stay.person,
                                                                         "admission_date": admitted.isoformat()})
        admit(sim, stay, admitted)


def admit(sim: Simulation, stay: Stay, admitted: dt.date | None = None) -> bool:
    """Step 2: the record accepted (pushed from the CRM) and completed, diagnoses added and the MR
    Number generated, which sends the patient to the RCM (ADT A01); then Steps 3 and 4 there."""
    admitted = admitted or sim.today
    rec = sim.recorder
    patient = stay.emr
    if not stay.direct:
        if stay.opportunity_id is None or sim.call("push", sim.crm.push_to_emr, stay.opportunity_id) is None:
            return False
        patient = _arrived(sim, lambda: sim.emr.find_by_prospect(stay.prospect_id))
        if patient is None:
            rec.problem("push reached the EMR", f"prospect {stay.prospect_id}: no EMR patient after the push")
            return False
        patient = sim.call("accept", sim.emr.accept, patient)
    if patient is None:
        return False
    if not stay.opening:
        patient = sim.call("complete", sim.emr.update_patient, patient, admission_date=admitted.isoformat())
        if patient is None:
            return False
    if stay.late_diagnosis:
        rec.mistakes["late_diagnosis"] += 1
    else:
        for code in stay.diagnoses:
            patient = sim.call("diagnosis", sim.emr.add_diagnosis, patient, code) or patient
    patient = sim.call("admission", sim.emr.action, patient, "mr_number") or patient
    stay.emr, stay.admitted = patient, admitted
    stay.discharge_on = admitted + dt.timedelta(days=stay.length)
    if not stay.opening:
        rec.count("admissions")
        rec.count("admissions_direct", int(stay.direct))
    if stay.late_diagnosis:  # nothing reached the RCM: noticed, the diagnosis added and sent, days later
        stay.fix_on = sim.today + dt.timedelta(days=sim.workload.fix_after_days)
        return True
    connect(sim, stay)
    return True


def add_late_diagnosis(sim: Simulation, stay: Stay) -> None:
    """A late diagnosis noticed: the codes added, the patient sent to the RCM (Send to Kipu RCM)."""
    patient = stay.emr
    for code in stay.diagnoses:
        patient = sim.call("diagnosis", sim.emr.add_diagnosis, patient, code) or patient
    stay.emr = sim.call("send to RCM", sim.emr.action, patient, "send_to_rcm") or patient
    stay.fix_on = None
    connect(sim, stay)


def connect(sim: Simulation, stay: Stay) -> None:
    """The RCM's patient and the treatment episode of this admission (WF-2.5), then Steps 3 and 4."""
    admitted = stay.admitted.isoformat()

    def episode() -> Any:
        found = sim.rcm.find_patients(emr_patient_id=stay.emr.id)
        return next(((p, e) for p in found for e in p.episodes if e.admit_date == admitted), None)

    found = _arrived(sim, episode)
    if found is None:
        sim.recorder.problem("admission reached the RCM", f"EMR patient {stay.emr.id}: no RCM treatment episode "
                                                          f"admitted on {admitted}")
        return
    stay.rcm_id, stay.episode_id = found[0].id, found[1].id
    stay.connected = True
    if stay.insured:
        insure(sim, stay)
        authorize(sim, stay)
    stay.set_up = True


def _arrived(sim: Simulation, probe: Any) -> Any:
    """``probe()`` once where delivery happens within the request (settle 0: the embedded mocks),
    else until it answers or the target's wait_timeout passes."""
    try:
        with sim.recorder.timed("find"):
            if sim.target.settle <= 0:
                return probe()
            return eventually(probe, timeout=sim.target.wait_timeout, what="delivery")
    except (TimeoutError, AssertionError, LookupError):
        return None
    except Exception as exc:  # a refusal while looking: counted, as any other
        sim.recorder.problem("find", str(exc))
        return None


def insure(sim: Simulation, stay: Stay) -> None:
    """Step 3: the Insurance Set in the RCM, verified; eligibility checked (X12 270 to the payer,
    271 back) and reviewed; an outdated policy or a mistyped member ID corrected and checked again."""
    rcm, ids = sim.rcm, (stay.rcm_id, stay.episode_id)
    for number, body in enumerate(stay.insurances):
        if sim.can("payer"):
            outcome = stay.outcome if number == 0 else "active"
            sim.call("payer member", sim.target.payer.set_member, body["policy_holder"]["insurance_id"], outcome)
        row = sim.call("insurance", rcm.save_insurance, *ids, **body)
        if row is None:
            return
        stay.insurance_ids.append(row["id"])
    primary = stay.insurance_ids[0]
    sim.call("verify insurance", rcm.verify_insurance, *ids, primary, INTAKE)
    result = sim.call("eligibility", rcm.check_eligibility, *ids, primary)
    if result is None:
        return
    status = result.get("status", "unknown")
    sim.recorder.eligibility[status] += 1
    if status in ("inactive", "not_found"):
        policy = sim.numbers.policy()
        holder = {"insurance_id": policy["insurance_id"]}
        if status == "inactive":
            holder["plan_name"] = policy["plan_name"]
        if sim.can("payer"):
            sim.call("payer member", sim.target.payer.set_member, policy["insurance_id"], "active")
        sim.call("insurance", rcm.save_insurance, *ids, insurance_id=primary, policy_holder=holder)
        result = sim.call("eligibility", rcm.check_eligibility, *ids, primary)
        sim.recorder.eligibility["checked_again"] += 1
    sim.call("eligibility review", rcm.review_eligibility, *ids, primary, INTAKE)


def authorize(sim: Simulation, stay: Stay) -> None:
    """Step 4: the first U/R (unless it is forgotten: added back to the admission when noticed), and
    a standalone authorization for the evaluations (Individual Therapy needs one)."""
    workload, facility = sim.workload, sim.facility
    if stay.missing_ur:
        sim.recorder.mistakes["missing_ur"] += 1
        stay.next_review = max(stay.admitted, sim.today) + dt.timedelta(days=workload.fix_after_days)
    else:
        stay.next_review = sim.today
    # From the admission; for a patient already in treatment, the U/R period in force today.
    periods = (sim.today - stay.admitted).days // workload.review_days if stay.opening else 0
    stay.review_from = stay.admitted + dt.timedelta(days=periods * workload.review_days)
    if not stay.missing_ur:
        review_due(sim, stay)
    visits = math.ceil(stay.length / 7 * workload.evaluations_per_week) + 2
    sim.call("authorization", sim.rcm.save_authorization, stay.rcm_id, stay.episode_id,
             kind="standalone_authorizations", service=EVALUATION, start_date=stay.admitted.isoformat(),
             end_date=stay.discharge_on.isoformat(), units=visits, authorization_status="Authorized",
             authorization_number=sim.numbers.bothify("AUTH-######"), payer=facility.payer_ids[stay.payer])


def review_due(sim: Simulation, stay: Stay) -> None:
    """The U/Rs due by today: the first, or the concurrent review on the last day of the current one
    (which the reviewer may miss: the authorization expires until it is noticed)."""
    workload = sim.workload
    while stay.next_review is not None and stay.next_review <= sim.today:
        if stay.review_from >= stay.discharge_on:
            stay.next_review = None
            return
        if stay.reviews and stay.review_from > sim.today and sim.mistake("expired_authorization"):
            lapse = dt.timedelta(days=workload.fix_after_days)
            stay.next_review, stay.review_from = sim.today + lapse, sim.today + lapse
            return
        start = stay.review_from
        end = start + dt.timedelta(days=workload.review_days - 1)
        pending = sim.chance(workload.review_pending, "reviews")
        status = "Pending" if pending else "Authorized"
        row = sim.call("review", sim.rcm.save_authorization, stay.rcm_id, stay.episode_id, service=stay.level,
                       start_date=start.isoformat(), end_date=end.isoformat(), units=workload.review_days,
                       authorization_status=status,
                       authorization_number=None if pending else sim.numbers.bothify("AUTH-######"),
                       um_follow_up_date=end.isoformat(), payer=sim.facility.payer_ids[stay.payer])
        if row is None:
            stay.next_review = None
            return
        sim.recorder.count("reviews_pending" if pending else "reviews_authorized")
        stay.reviews.append(Review(row["id"], start, end, status,
                                   sim.today + dt.timedelta(days=workload.review_pending_days) if pending else None,
                                   pending and sim.chance(workload.review_denied, "reviews")))
        stay.next_review, stay.review_from = end, end + DAY


def decide_reviews(sim: Simulation, stay: Stay) -> None:
    """The payer's decision on a Pending U/R: Authorized, or Denied (the patient leaves the next day)."""
    for review in stay.reviews:
        if review.status != "Pending" or review.decide_on is None or review.decide_on > sim.today:
            continue
        review.status = "Denied" if review.denied else "Authorized"
        number = None if review.denied else sim.numbers.bothify("AUTH-######")
        sim.call("review decision", sim.rcm.save_authorization, stay.rcm_id, stay.episode_id, review_id=review.id,
                 authorization_status=review.status, authorization_number=number)
        sim.recorder.count("reviews_denied" if review.denied else "reviews_authorized_after_pending")
        if review.denied:
            stay.discharge_on = min(stay.discharge_on, sim.today + DAY)
