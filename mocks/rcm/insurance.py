"""The RCM as source of truth for insurance (SYS-03, SYS-04, WF-3, INS): payers, insurance sets
per treatment episode, and verification. Electronic eligibility (X12 270/271) is in ``eligibility``."""

from __future__ import annotations

from typing import Any

from kipu_harness.events import Problem

from ..common.base import ApiError, SystemContext, ctx, load
from ..common.routes import answers, blueprint, path_model
from .patients import apply_self
from .schemas import (OTHERS, PRIORITIES, SUBSCRIBER_FIELDS, InsuranceChange, InsuranceIn, PayerChange, PayerIn,
                      VerificationIn)
from .schemas_records import InsuranceOut, PayerOut, PayersOut

POLICY_HOLDER_FIELDS = ("insurance_id", "plan_name", "first_name", "last_name", "birthday", "gender", "relationship")

payers = blueprint("payers", __name__, "/rcm", "payers", "The payer list (SYS-04: payers are managed only in the RCM)")
insurances = blueprint("insurances", __name__, "/rcm", "insurance",
                       "The Insurance Set of a treatment episode, sent to the EMR (WF-3, INS)")
PayerPath = path_model("payer_id")
EpisodePath = path_model("patient_id", "episode_id")
InsurancePath = path_model("patient_id", "episode_id", "insurance_id")


# -- payers (SYS-04: only here) ------------------------------------------------------------------

def _same_name(tx, values: dict[str, Any], payer_id: int | None = None) -> None:
    if "name" in values and any(p["id"] != payer_id for p in tx.find("payer", name=values["name"])):
        raise ApiError(409, "payer already exists", [Problem("name", f"{values['name']!r} is already a payer")])


@payers.get("/payers", responses=answers(200, PayersOut))
def list_payers():
    """The payer list (SYS-04: payers are managed only here)"""
    with ctx().store.read() as tx:
        return {"payers": tx.all("payer")}


@payers.post("/payers", responses=answers(201, PayerOut, 409))
def create_payer(body: PayerIn):
    """Add a payer"""
    values = body.model_dump()

    def change(tx):
        _same_name(tx, values)
        return tx.insert("payer", values)

    payer, _ = ctx().write(change, "payer.created", kind="payer")
    return {"payer": payer}, 201


@payers.patch("/payers/<id:payer_id>", responses=answers(200, PayerOut, 409))
def edit_payer(path: PayerPath, body: PayerChange):
    """Edit a payer"""
    values = body.model_dump(exclude_unset=True)

    def change(tx):
        payer = load(tx, "payer", path.payer_id)
        _same_name(tx, values, payer["id"])
        payer.update(values)
        tx.put("payer", payer)
        return payer

    payer, _ = ctx().write(change, "payer.edited", kind="payer")
    return {"payer": payer}


# -- insurance sets ------------------------------------------------------------------------------

def episode_of(patient: dict[str, Any], episode_id: Any) -> dict[str, Any]:
    for episode in patient["treatment_episodes"]:
        if str(episode["id"]) == str(episode_id):
            return episode
    raise ApiError(404, f"treatment episode {episode_id} not found",
                   [Problem("episode_id", f"patient {patient['id']} has no episode {episode_id}")])


def insurance_set(episode: dict[str, Any]) -> list[dict[str, Any]]:
    return episode["intake"]["insurance"]["insurance_set"]["insurances"]


def merge_insurance(tx, changes: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """An insurance as saved: the fields a request names over the stored ones, checked against the
    RCM's rules (a payer of its list; a subscriber who is not the patient named in full)."""
    holder = {**(existing or {}).get("policy_holder", {}), **changes.get("policy_holder", {})}
    payer_id = changes["payer"] if "payer" in changes else existing["payer"]["id"] if existing else None
    payer = tx.get("payer", payer_id)
    problems = []
    if payer is None:
        problems.append(Problem("payer", f"no payer with id {payer_id}: add it to the RCM's payer list first"))
    if holder.get("relationship") in OTHERS:
        problems += [Problem(f"policy_holder.{k}", "is required") for k in SUBSCRIBER_FIELDS if not holder.get(k)]
    if problems:
        raise ApiError(409, "invalid insurance", problems)
    return {
        "priority": changes.get("priority") or existing["priority"],
        "payer": payer,
        "effective_date": changes.get("effective_date") or existing["effective_date"],
        "policy_holder": {k: holder.get(k) for k in POLICY_HOLDER_FIELDS} | {"ssn": None, "address": None},
    }


def check_priorities(entries: list[dict[str, Any]]) -> None:
    """PROC-02: primary, secondary, tertiary as needed, each at most once and in order."""
    held = [e["priority"] for e in entries]
    problems = [Problem("priority", f"the episode already has a {p} insurance") for p in PRIORITIES if held.count(p) > 1]
    for lower, higher in (("secondary", "primary"), ("tertiary", "secondary")):
        if lower in held and higher not in held:
            problems.append(Problem("priority", f"a {lower} insurance needs a {higher} one first"))
    if problems:
        raise ApiError(409, "invalid insurance set", problems)


def save_insurance(context: SystemContext, patient_id: int, episode_id: int, changes: dict[str, Any],
                   insurance_id: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create or update one insurance of an episode's Insurance Set; the save is sent to the EMR.
    ``changes`` is a request body as given (``model_dump(exclude_unset=True)``)."""
    saved: dict[str, Any] = {}

    def change(tx):
        patient = load(tx, "patient", patient_id)
        entries = insurance_set(episode_of(patient, episode_id))
        existing = None
        if insurance_id is not None:
            existing = next((e for e in entries if e["id"] == insurance_id), None)
            if existing is None:
                raise ApiError(404, f"insurance {insurance_id} not found", [Problem("insurance_id", "not in this episode")])
        values = merge_insurance(tx, changes, existing)
        if values["policy_holder"]["relationship"] == "Self":
            apply_self(values["policy_holder"], patient)
        if existing is None:
            existing = {"id": max((e["id"] for e in entries), default=0) + 1, "verified": None, "eligibility": None}
            entries.append(existing)
        existing.update(values, saved_at=context.clock.now().isoformat())
        check_priorities(entries)
        tx.put("patient", patient)
        saved.update(id=existing["id"])
        return patient

    patient, extra = context.write(change, "insurance.saved", {"episode_id": episode_id}, kind="patient")
    entry = next(e for e in insurance_set(episode_of(patient, episode_id)) if e["id"] == saved["id"])
    return entry, extra


@insurances.post("/patients/<id:patient_id>/episodes/<id:episode_id>/insurances",
                 responses=answers(201, InsuranceOut, 409))
def add_insurance(path: EpisodePath, body: InsuranceIn):
    """Add an insurance to the episode's Insurance Set (sent to the EMR, INS-02)"""
    entry, extra = save_insurance(ctx(), path.patient_id, path.episode_id, body.model_dump(exclude_unset=True))
    return {"insurance": entry, **extra}, 201


@insurances.patch("/patients/<id:patient_id>/episodes/<id:episode_id>/insurances/<id:insurance_id>",
                  responses=answers(200, InsuranceOut, 409))
def edit_insurance(path: InsurancePath, body: InsuranceChange):
    """Edit an insurance: the fields named change, the others stay (sent to the EMR)"""
    entry, extra = save_insurance(ctx(), path.patient_id, path.episode_id, body.model_dump(exclude_unset=True),
                                  path.insurance_id)
    return {"insurance": entry, **extra}


def insurance_entry(tx, patient_id: int, episode_id: int, insurance_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The patient and one insurance of an episode's Insurance Set, or a 404 naming it."""
    patient = load(tx, "patient", patient_id)
    for entry in insurance_set(episode_of(patient, episode_id)):
        if entry["id"] == insurance_id:
            return patient, entry
    raise ApiError(404, f"insurance {insurance_id} not found", [Problem("insurance_id", "not in this episode")])


@insurances.post("/patients/<id:patient_id>/episodes/<id:episode_id>/insurances/<id:insurance_id>/verify",
                 responses=answers(200, InsuranceOut, 409))
def verify(path: InsurancePath, body: VerificationIn):
    """Verify payer and policy holder details (WF-3.3)"""
    def change(tx):
        patient, entry = insurance_entry(tx, path.patient_id, path.episode_id, path.insurance_id)
        entry["verified"] = {"by": body.verified_by, "at": ctx().clock.now().isoformat()}
        tx.put("patient", patient)
        return patient

    ctx().write(change, "insurance.verified", kind="patient")
    with ctx().store.read() as tx:
        return {"insurance": insurance_entry(tx, path.patient_id, path.episode_id, path.insurance_id)[1]}
