"""The RCM as source of truth for insurance (SYS-03, SYS-04, WF-3, INS): payers, insurance sets
per treatment episode, verification, and electronic eligibility (X12 270/271)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify

from kipu_harness.events import Problem

from ..common.base import ApiError, SystemContext, ctx, json_body, load
from ..common.checks import Checker, SEXES

PRIORITIES = ("primary", "secondary", "tertiary")
RELATIONSHIPS = ("Self", "Spouse", "Child", "Other")
CLAIM_FORMATS = ("837P", "837I")
POLICY_HOLDER_FIELDS = ("insurance_id", "plan_name", "first_name", "last_name", "birthday", "gender", "relationship")

payers = Blueprint("payers", __name__, url_prefix="/rcm")
insurances = Blueprint("insurances", __name__, url_prefix="/rcm")


# -- payers (SYS-04: only here) ------------------------------------------------------------------

def _check_payer(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    c = Checker(body)
    c.unknown({"name", "phone", "payer_id", "claim_formats"})
    # A PATCH may leave name and payer_id out, but not blank them.
    values = {k: c.text(k, required=k != "phone") for k in ("name", "phone", "payer_id") if creating or k in body}
    if "phone" in values and values["phone"]:
        values["phone"] = c.phone("phone")
    if values.get("payer_id") and not re.fullmatch(r"[A-Za-z0-9]{2,15}", values["payer_id"]):
        c.problem("payer_id", "must be 2 to 15 letters or digits (the payer's X12 ID)")
    if creating or "claim_formats" in body:
        formats = body.get("claim_formats", list(CLAIM_FORMATS))
        if not isinstance(formats, list) or not formats or any(f not in CLAIM_FORMATS for f in formats):
            c.problem("claim_formats", f"must be a non-empty list of {', '.join(CLAIM_FORMATS)}")
        values["claim_formats"] = formats
    c.done("invalid payer")
    return values


@payers.get("/payers")
def list_payers():
    with ctx().store.read() as tx:
        return jsonify({"payers": tx.all("payer")})


@payers.post("/payers")
def create_payer():
    values = _check_payer(json_body(), creating=True)

    def change(tx):
        if tx.find("payer", name=values["name"]):
            raise ApiError(409, "payer already exists", [Problem("name", f"{values['name']!r} is already a payer")])
        return tx.insert("payer", values)

    payer, _ = ctx().write(change, "payer.created", kind="payer")
    return jsonify({"payer": payer}), 201


@payers.patch("/payers/<payer_id>")
def edit_payer(payer_id: str):
    values = _check_payer(json_body(), creating=False)

    def change(tx):
        payer = load(tx, "payer", payer_id)
        if any(p["id"] != payer["id"] for p in tx.find("payer", name=values.get("name"))):
            raise ApiError(409, "payer already exists", [Problem("name", f"{values['name']!r} is already a payer")])
        payer.update(values)
        tx.put("payer", payer)
        return payer

    payer, _ = ctx().write(change, "payer.edited", kind="payer")
    return jsonify({"payer": payer})


# -- insurance sets ------------------------------------------------------------------------------

def episode_of(patient: dict[str, Any], episode_id: Any) -> dict[str, Any]:
    episode_number(episode_id)
    for episode in patient["treatment_episodes"]:
        if str(episode["id"]) == str(episode_id):
            return episode
    raise ApiError(404, f"treatment episode {episode_id} not found",
                   [Problem("episode_id", f"patient {patient['id']} has no episode {episode_id}")])


def episode_number(episode_id: Any) -> int:
    """An episode id from a path, or a 404 naming it."""
    if not str(episode_id).isdigit():
        raise ApiError(404, f"treatment episode {episode_id} not found",
                       [Problem("episode_id", f"{episode_id!r} is not an episode id")])
    return int(episode_id)


def insurance_set(episode: dict[str, Any]) -> list[dict[str, Any]]:
    return episode["intake"]["insurance"]["insurance_set"]["insurances"]


def check_insurance(tx, body: dict[str, Any], *, existing: dict[str, Any] | None) -> dict[str, Any]:
    """An insurance as the RCM user enters it; every problem is named at once."""
    c = Checker(body)
    c.unknown({"priority", "payer", "effective_date", "policy_holder"})
    merged = {**(existing or {}), **{k: v for k, v in body.items() if k != "policy_holder"}}
    if existing and "payer" not in body:
        merged["payer"] = existing["payer"]["id"]  # stored as the payer itself; kept unless changed
    priority = merged.get("priority")
    if priority not in PRIORITIES:
        c.problem("priority", f"must be one of {', '.join(PRIORITIES)}")
    payer = None
    if not isinstance(merged.get("payer"), int) or isinstance(merged.get("payer"), bool):
        c.problem("payer", "the id of a payer of the RCM's payer list is required")
    else:
        payer = tx.get("payer", merged["payer"])
        if payer is None:
            c.problem("payer", f"no payer with id {merged['payer']}: add it to the RCM's payer list first")
    dates = Checker(merged)
    effective = dates.date("effective_date", required=True)
    c.problems += dates.problems
    holder_in = body.get("policy_holder", {})
    if not isinstance(holder_in, dict):
        c.problem("policy_holder", "must be an object")
        holder_in = {}
    holder = {**(existing or {}).get("policy_holder", {}), **holder_in}
    h = Checker(holder)
    h.unknown(set(POLICY_HOLDER_FIELDS) | {"ssn", "address"})
    relationship = h.choice("relationship", RELATIONSHIPS, required=True)
    h.text("insurance_id", required=True)
    h.text("plan_name")
    if relationship != "Self":
        h.text("first_name", required=True)
        h.text("last_name", required=True)
        h.date("birthday", required=True)
        h.choice("gender", SEXES, required=True)
    c.problems += [Problem(f"policy_holder.{p.field}", p.problem) for p in h.problems]
    c.done("invalid insurance")
    return {
        "priority": priority,
        "payer": payer,
        "effective_date": effective.isoformat(),
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
        raise ApiError(422, "invalid insurance set", problems)


def save_insurance(context: SystemContext, patient_id: Any, episode_id: Any, body: dict[str, Any],
                   insurance_id: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create or update one insurance of an episode's Insurance Set; the save is sent to the EMR."""
    from .patients import apply_self

    saved: dict[str, Any] = {}

    def change(tx):
        patient = load(tx, "patient", patient_id)
        entries = insurance_set(episode_of(patient, episode_id))
        existing = None
        if insurance_id is not None:
            existing = next((e for e in entries if str(e["id"]) == str(insurance_id)), None)
            if existing is None:
                raise ApiError(404, f"insurance {insurance_id} not found", [Problem("insurance_id", "not in this episode")])
        values = check_insurance(tx, body, existing=existing)
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

    event_data = {"episode_id": episode_number(episode_id)}
    patient, extra = context.write(change, "insurance.saved", event_data, kind="patient")
    entry = next(e for e in insurance_set(episode_of(patient, episode_id)) if e["id"] == saved["id"])
    return entry, extra


@insurances.post("/patients/<patient_id>/episodes/<episode_id>/insurances")
def add_insurance(patient_id: str, episode_id: str):
    entry, extra = save_insurance(ctx(), patient_id, episode_id, json_body())
    return jsonify({"insurance": entry, **extra}), 201


@insurances.patch("/patients/<patient_id>/episodes/<episode_id>/insurances/<insurance_id>")
def edit_insurance(patient_id: str, episode_id: str, insurance_id: str):
    entry, extra = save_insurance(ctx(), patient_id, episode_id, json_body(), insurance_id)
    return jsonify({"insurance": entry, **extra})


def insurance_entry(tx, patient_id, episode_id, insurance_id) -> tuple[dict[str, Any], dict[str, Any]]:
    """The patient and one insurance of an episode's Insurance Set, or a 404 naming it."""
    patient = load(tx, "patient", patient_id)
    for entry in insurance_set(episode_of(patient, episode_id)):
        if str(entry["id"]) == str(insurance_id):
            return patient, entry
    raise ApiError(404, f"insurance {insurance_id} not found", [Problem("insurance_id", "not in this episode")])


@insurances.post("/patients/<patient_id>/episodes/<episode_id>/insurances/<insurance_id>/verify")
def verify(patient_id: str, episode_id: str, insurance_id: str):
    """WF-3.3: an RCM user confirms the payer and policy holder details."""
    c = Checker(json_body())
    c.unknown({"verified_by"})
    who = c.text("verified_by", required=True)
    c.done("invalid verification")

    def change(tx):
        patient, entry = insurance_entry(tx, patient_id, episode_id, insurance_id)
        entry["verified"] = {"by": who, "at": ctx().clock.now().isoformat()}
        tx.put("patient", patient)
        return patient

    patient, _ = ctx().write(change, "insurance.verified", kind="patient")
    with ctx().store.read() as tx:
        return jsonify({"insurance": insurance_entry(tx, patient_id, episode_id, insurance_id)[1]})
