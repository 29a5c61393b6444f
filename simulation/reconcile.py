"""Reconciliation across the systems at the end of a simulation, read through the drivers (and the
outbox only where the target declares it): what the EMR admitted, discharged and billed is what the
RCM holds, once; what the RCM holds is what the EMR mirrors; no message is lost or applied twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from .results import FAILURES
from .state import Simulation

SHOWN = 3  # examples named in a failed check's detail


def _check(name: str, count: int, problems: list[str], ok: str) -> dict[str, Any]:
    detail = ok if not problems else f"{len(problems):,} of {count:,}: " + "; ".join(problems[:SHOWN]) + (
        f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else "")
    return {"name": name, "passed": not problems, "detail": detail, "count": count}


def _read(problems: list[str], what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except FAILURES as exc:
        problems.append(f"{what}: {exc}")
        return None


def reconcile(sim: Simulation) -> dict[str, Any]:
    """Deliver what is still pending (outbox capability), then every check; ``passed`` when all pass."""
    notes = []
    if sim.can("outbox"):
        for control in sim.target.controls.values():
            control.deliver()
    checks = [*_people(sim), *_billing(sim)]
    if sim.can("outbox"):
        checks.append(_outbox(sim))
    else:
        notes.append(f"outbox not checked: target {sim.target.name} does not declare capability 'outbox'")
    calls = sum(len(v) for v in sim.recorder.latency.values())
    failed = sim.recorder.failed
    refused = sum(e["count"] for e in failed.values())
    checks.append({"name": "every workflow operation was accepted by its system", "passed": not failed,
                   "count": calls, "detail": f"{calls:,} operations, none refused" if not failed else
                   f"{refused:,} of {calls:,} refused or missing: " + "; ".join(
                       f"{op} {e['count']}x (first: {e['first']})" for op, e in sorted(failed.items()))})
    return {"passed": all(c["passed"] for c in checks), "checks": checks, "notes": notes}


def _people(sim: Simulation) -> list[dict[str, Any]]:
    emr, rcm = sim.emr, sim.rcm
    admitted: list[str] = []
    duplicates: list[str] = []
    discharged: list[str] = []
    mirrored: list[str] = []
    census = {"EMR": 0, "RCM": 0, "simulation": 0}
    counts: Counter[str] = Counter()
    for stay in sim.stays:
        if stay.emr is None:
            continue
        patient = _read(admitted, f"EMR patient {stay.emr.id}", emr.get, stay.emr)
        if patient is None:
            continue
        found = _read(duplicates, f"RCM patients of EMR patient {patient.id}", rcm.find_patients,
                      emr_patient_id=patient.id) or []
        if len(found) > 1:
            duplicates.append(f"EMR patient {patient.id} has {len(found)} RCM patients")
        if stay.prospect_id is not None:
            counts["prospects"] += 1
            linked = _read(duplicates, f"RCM patients of prospect {stay.prospect_id}", rcm.find_patients,
                           crm_prospect_id=stay.prospect_id) or []
            if len(linked) > 1 or (found and linked and linked[0].id != found[0].id):
                duplicates.append(f"CRM prospect {stay.prospect_id} has RCM patients "
                                  f"{sorted({p.id for p in linked + found})}")
        admission = (patient.admission_date or "")[:10]
        if not (patient.mr_number and admission and patient.diagnoses):
            continue  # not an admission the EMR could send (PROC-01); pre-admitted or still incomplete
        counts["admissions"] += 1
        left = (patient.discharge_date or "")[:10]
        counts["discharges"] += bool(left)
        census["EMR"] += not left
        episodes = [e for p in found for e in p.episodes if e.admit_date == admission]
        if not found or found[0].status != "Admitted" or not episodes:
            admitted.append(f"EMR patient {patient.id} admitted {admission}: "
                            + (f"RCM patient is {found[0].status}, episodes admitted "
                               f"{[e.admit_date for e in found[0].episodes]}" if found else "no RCM patient"))
            if left:
                discharged.append(f"EMR patient {patient.id} discharged {left}: no RCM episode")
            continue
        if len(episodes) > 1:
            duplicates.append(f"EMR patient {patient.id}: {len(episodes)} episodes admitted {admission}")
        episode = episodes[-1]
        census["RCM"] += not episode.discharge_date
        if left and (episode.discharge_date or "")[:10] != left:
            discharged.append(f"EMR patient {patient.id} discharged {left}, the RCM episode says "
                              f"{episode.discharge_date}")
        counts["mirrored"] += 1
        _mirror(sim, stay, episode, mirrored)
    # In care, as the simulation sees it: admitted, not discharged, not still awaiting a late diagnosis.
    census["simulation"] = sum(1 for s in sim.in_care() if s.fix_on is None)
    numbers = ", ".join(f"{k} {v}" for k, v in census.items())
    return [
        _check("every EMR admission is an Admitted RCM patient with its treatment episode", counts["admissions"],
               admitted, f"{counts['admissions']:,} admissions, each in the RCM"),
        _check("no EMR patient or CRM prospect has two RCM patients, no stay two episodes",
               counts["admissions"] + counts["prospects"], duplicates, "none duplicated"),
        _check("every EMR discharge reached the RCM's episode", counts["discharges"], discharged,
               f"{counts['discharges']:,} discharges, each in the RCM"),
        {"name": "the census agrees: EMR, RCM and the simulation", "passed": len(set(census.values())) == 1,
         "count": census["simulation"], "detail": f"in care: {numbers}"},
        _check("the EMR mirrors each episode's insurance and U/R as the RCM holds them", counts["mirrored"],
               mirrored, f"{counts['mirrored']:,} patients, insurance and U/R alike"),
    ]


def _mirror(sim: Simulation, stay: Any, episode: Any, problems: list[str]) -> None:
    """The EMR's read copies of insurance and U/R name exactly the RCM's (RCM-to-EMR messages arrived)."""
    insurances = _read(problems, f"EMR insurances of {stay.emr.id}", sim.emr.insurances, stay.emr)
    reviews = _read(problems, f"EMR U/R of {stay.emr.id}", sim.emr.utilization_reviews, stay.emr)
    if insurances is None or reviews is None:
        return
    pairs = (("insurance", {i.get("rcm_insurance_id") for i in insurances}, {i["id"] for i in episode.insurances}),
             ("U/R", {r.get("rcm_review_id") for r in reviews}, {r["id"] for r in episode.utilization_reviews}))
    differ = [f"{what} {sorted(shown, key=str)} where the RCM holds {sorted(held)}"
              for what, shown, held in pairs if shown != held]
    if differ:
        problems.append(f"EMR patient {stay.emr.id} shows " + " and ".join(differ))


def _billing(sim: Simulation) -> list[dict[str, Any]]:
    """Every charge the simulation documented, as the EMR's report, the Attendance Calendar and the
    Work Center show it."""
    accounted: list[str] = []
    twice: list[str] = []
    items = {i["id"]: i for i in _read(accounted, "the Billing Audit Tool Report", sim.emr.billing_items) or ()}
    entries = {e["id"]: e for e in _read(accounted, "the Attendance Calendar", sim.rcm.attendance) or ()}
    on_claims: Counter[int] = Counter()
    claims = 0
    for stay in sim.stays:
        if stay.rcm_id is None:
            continue
        for claim in _read(twice, f"claims of RCM patient {stay.rcm_id}", sim.rcm.claims, stay.rcm_id) or ():
            claims += 1
            on_claims.update(claim.get("attendance_ids") or ())
            if claim.get("status") != "private pay statement" and not (
                    claim.get("status") in ("accepted", "rejected") and claim.get("ack_999") and claim.get("ack_277ca")):
                twice.append(f"claim {claim.get('claim_id') or claim.get('id')} is {claim.get('status')!r} "
                              "without its 999 and 277CA")
    twice += [f"treatment {entry} is on {n} claims" for entry, n in on_claims.items() if n > 1]
    for charge in sim.charges.values():
        item = items.get(charge.id)
        if item is None:
            accounted.append(f"charge {charge.id} is not on the Billing Audit Tool Report")
        elif item["status"] == "transmitted":
            entry = entries.get(charge.attendance_id)
            if entry is None:
                accounted.append(f"charge {charge.id} was transmitted; the Attendance Calendar lacks it")
            elif on_claims and charge.attendance_id not in on_claims or entry.get("status") != "claimed":
                accounted.append(f"charge {charge.id} (treatment {entry['id']}, {entry.get('status')}) is on no claim")
        elif item["status"] == "error":
            if not str((item.get("transmission") or {}).get("cause") or "").strip():
                accounted.append(f"charge {charge.id} was refused without a reason")
        elif not item.get("errors"):
            accounted.append(f"charge {charge.id} was never transmitted ({item['status']})")
    return [
        _check("every charge is on a claim, or was refused or blocked with a reason", len(sim.charges), accounted,
               f"{len(sim.charges):,} charges accounted for"),
        _check("no charge is on two claims; every payer claim has its 999 and 277CA", claims, twice,
               f"{claims:,} claims and statements"),
    ]


def _outbox(sim: Simulation) -> dict[str, Any]:
    """After a delivery pass, nothing is still to be delivered, failed or refused for good."""
    problems: list[str] = []
    for system, control in sim.target.controls.items():
        for status in ("pending", "failed", "rejected"):
            rows = _read(problems, f"{system} outbox", control.outbox, status) or []
            if rows:
                problems.append(f"{system}: {len(rows)} {status}")
    return _check("no message lost: every outbox delivered (none pending, failed or rejected)",
                  len(sim.target.controls), problems, "every system's outbox delivered")
