"""Step 5 of the overview: services documented in the EMR (per-diem and Group Therapy sessions,
evaluations), charges transmitted through the Billing Audit Tool (refused ones fixed and sent again
where a biller can fix them), treatments submitted on the Attendance Calendar and claims created in
the Work Center, each answered with its 999 and 277CA."""

from __future__ import annotations

from typing import Any

from .facility import GROUP_DAYS, Stay
from .state import BILLER, Charge, Simulation

# Why the systems refused or blocked a charge, by words their answers use (the overview gives none).
REASONS = (
    ("provider_not_on_authorization", ("rendering provider",)),
    ("no_authorization", ("authoriz",)),
    ("patient_not_in_rcm", ("never sent to the rcm", "profile is not in the rcm")),
    ("no_matching_service", ("no rcm service matches",)),
    ("no_insurance", ("no insurance",)),
    ("no_episode", ("treatment episode",)),
)
LABELS = {"provider_not_on_authorization": "rendering provider not on the authorization",
          "no_authorization": "no authorization (U/R) for the day", "patient_not_in_rcm": "patient not in the RCM",
          "no_matching_service": "no matching RCM service", "no_insurance": "no insurance in the RCM",
          "no_episode": "no treatment episode for the admit date", "other": "other"}


def reason(text: str) -> str:
    lowered = text.lower()
    return next((key for key, words in REASONS if any(w in lowered for w in words)), "other")


# -- Step 5.1: documentation ------------------------------------------------------------------------

def document(sim: Simulation) -> None:
    """Today's per-diem sessions of each level of care running today, Group Therapy on its weekdays,
    and the evaluations: one billed item for each patient present."""
    facility, workload, weekday = sim.facility, sim.workload, sim.today.weekday()
    present = sim.in_care()
    for level, template in facility.per_diem.items():
        if weekday in facility.level_days[level]:
            _session(sim, "per_diem", template, [s for s in present if s.level == level])
    if weekday in GROUP_DAYS[workload.group_sessions_per_week]:
        _session(sim, "group", facility.group, present)
    for stay in present:
        if not sim.chance(workload.evaluations_per_week / 7, "care"):
            continue
        template = facility.unmatched if sim.mistake("charge_without_service") else facility.evaluation
        # Blank: the Konnector's rendering provider bills it, as on most claims; a provider chosen on
        # the report must be on the authorization, and this one is on none (BAT-12, BAT-13).
        wrong = sim.mistake("provider_not_on_authorization")
        fields = {"rendering_provider": facility.other_npi} if wrong else {}
        item = sim.call("evaluation", sim.emr.document_evaluation, stay.emr, template, sim.today.isoformat(),
                        minutes=60, **fields)
        if item is not None:
            _charge(sim, item, stay, "evaluation", wrong)


def _session(sim: Simulation, kind: str, template: int, roster: list[Stay]) -> None:
    if not roster:
        return
    by_patient = {s.emr.id: s for s in roster}
    attendance = [{"patient_id": s.emr.id, "present": sim.chance(sim.workload.attendance, "care"), "minutes": 60}
                  for s in roster]
    if not any(row["present"] for row in attendance):
        return
    items = sim.call("group session" if kind == "group" else "attendance", sim.emr.document_group_session,
                     template, sim.today.isoformat(), attendance)
    for item in items or ():
        _charge(sim, item, by_patient[item["patient_id"]], kind)


def _charge(sim: Simulation, item: dict[str, Any], stay: Stay, kind: str, wrong: bool = False) -> None:
    sim.charges[item["id"]] = Charge(item["id"], stay, sim.today, kind, wrong_provider=wrong)
    sim.recorder.count("charges_documented")


# -- Step 5.2: the Billing Audit Tool -----------------------------------------------------------------

def _covered(stay: Stay, charge: Charge) -> bool:
    """Whether the stay's U/Rs now authorize the charge's day (a per-diem charge needs one)."""
    return any(r.status == "Authorized" and r.start <= charge.day <= r.end for r in stay.reviews)


def _retry(charge: Charge) -> bool:
    """Whether the biller sends a charge (again): new, blocked or refused for a reason now fixed."""
    if charge.status == "open":
        return True
    if charge.written_off or charge.status not in ("refused", "blocked"):
        return False
    if charge.reason == "patient_not_in_rcm":
        return charge.stay.connected
    if charge.reason == "provider_not_on_authorization":
        return not charge.wrong_provider
    if charge.reason == "no_authorization":
        return charge.kind == "per_diem" and _covered(charge.stay, charge)
    return False


def transmit(sim: Simulation) -> None:
    """The biller's pass over the Billing Audit Tool Report: a wrong rendering provider cleared (the
    Konnector's bills), then every charge to send transmitted in one selection."""
    rec = sim.recorder
    for charge in sim.charges.values():
        if charge.status == "refused" and charge.reason == "provider_not_on_authorization" and charge.wrong_provider:
            if sim.call("edit charge", sim.emr.edit_billing_item, charge.id, BILLER, rendering_provider="") is not None:
                charge.wrong_provider = False
    selected = [c for c in sim.charges.values() if _retry(c)]
    if not selected:
        return
    answers = sim.call("transmit", sim.emr.transmit, [c.id for c in selected], BILLER)
    for answer in answers or ():
        charge = sim.charges.get(answer.get("item_id", answer.get("id")))
        if charge is None:
            continue
        status = answer.get("status")
        if status == "accepted":
            if charge.status != "open":
                rec.count("charges_resent")
            charge.status, charge.reason, charge.attendance_id = "accepted", "", answer.get("attendance_id")
            rec.count("charges_transmitted")
        elif status in ("error", "blocked"):
            why = answer.get("cause") or "; ".join(answer.get("errors") or ()) or str(answer)
            charge.status, charge.reason = ("refused" if status == "error" else "blocked"), reason(why)
            rec.refused[charge.reason] += 1
            rec.count("charges_refused")
            if charge.reason in ("no_matching_service", "other", "no_insurance", "no_episode"):
                charge.written_off = True  # nothing a biller can fix here
        elif status != "already transmitted":
            rec.problem("transmit", f"charge {charge.id}: {answer}")


# -- Steps 5.3 and 5.4: the Attendance Calendar and the Work Center ------------------------------------

def bill(sim: Simulation) -> None:
    """Every treatment transmitted and not yet billed submitted, then claims created in one Work
    Center run for the patients with something submitted (which sends them to the clearinghouse
    in one file); each claim's outcome counted by the patient's primary payer."""
    rec = sim.recorder
    due = [c for c in sim.charges.values() if c.status == "accepted" and not c.claimed and c.attendance_id]
    if not due:
        return
    if sim.call("submit", sim.rcm.submit_for_billing, [c.attendance_id for c in due], BILLER) is None:
        return
    by_stay: dict[int, list[Charge]] = {}
    for charge in due:
        by_stay.setdefault(charge.stay.key, []).append(charge)
    stays = {charges[0].stay.rcm_id: charges[0].stay for charges in by_stay.values()}
    made = sim.call("claim", sim.rcm.create_claims, BILLER, patient_ids=list(stays))
    if made is None:
        return
    on_claims: dict[int, set[int]] = {}
    for claim in made:
        on_claims.setdefault(claim.get("patient_id"), set()).update(claim.get("attendance_ids") or ())
    for charges in by_stay.values():
        stay = charges[0].stay
        if stay.rcm_id not in on_claims:
            continue
        stay.first_claim = stay.first_claim or sim.today
        for charge in charges:
            charge.claimed = charge.attendance_id in on_claims[stay.rcm_id] if on_claims[stay.rcm_id] else True
    for claim in made:
        stay = stays.get(claim.get("patient_id"))
        if stay is None:
            rec.problem("claim answered", f"claim {claim.get('id')} is for a patient this biller did not bill")
            continue
        _claim_made(sim, stay, claim)
    rec.count("billing_runs")


def _claim_made(sim: Simulation, stay: Stay, claim: dict[str, Any]) -> None:
    rec, status = sim.recorder, claim.get("status")
    if status == "private pay statement":
        rec.count("statements")
        return
    rec.count("claims_submitted")
    if status in ("accepted", "rejected"):
        rec.count(f"claims_{status}")
        rec.claims_by_payer[stay.payer][status] += 1
    else:
        rec.problem("claim answered", f"claim {claim.get('claim_id') or claim.get('id')}: {status}")


def close(sim: Simulation) -> None:
    """The end of the period: everything outstanding transmitted and billed, and what stays refused
    written off, by reason."""
    transmit(sim)
    bill(sim)
    for charge in sim.charges.values():
        if charge.status in ("refused", "blocked"):
            sim.recorder.written_off[charge.reason] += 1
