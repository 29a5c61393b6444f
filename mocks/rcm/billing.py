"""The RCM's billing (WF-5.3, BAT, SET): configuration, the charge batch from the Billing Audit
Tool (matched, never imported beyond what travels) and the Attendance Calendar. The Work Center
that makes claims from it is in work_center.py; the models are in billing_schemas.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import jsonify
from pydantic import TypeAdapter, ValidationError

from kipu_harness.events import ChargeToMatch, Problem
from kipu_harness.wire.x12.npi import npi_valid

from ..common.base import ApiError, SystemContext, ctx, load, require_role
from ..common.routes import answers, blueprint, path_model
from ..common.schemas import text
from .billing_schemas import (Attendance, AttendanceQuery, BatchResults, BillingSettingsChange, BillingSettingsOut,
                              BillingUser, Charge, ChargeBatch, ChargeMatch, ClaimRuleIn, ClaimRuleOut, ProviderIn,
                              ProviderOut, ProvidersOut, Selection, ServiceChange, ServiceOut, ServicesOut, Submitted)

billing = blueprint("billing", __name__, "/rcm", "billing",
                    "Step 5 in the RCM: billing configuration, the charge batch and the Attendance Calendar "
                    "(WF-5.3, BAT, SET)")
ServicePath = path_model("service_id")
PLACE = TypeAdapter(text(100, required=True))  # a building's or program's name

AUTHORIZING = ("Authorized", "Authorized - Not Required", "Not Required")


# -- configuration (SET-01..SET-07) ---------------------------------------------------------------

@billing.get("/services", responses=answers(200, ServicesOut))
def services():
    """The RCM services, insurance and private pay, with codes, rate and profiles (SET-01)"""
    with ctx().store.read() as tx:
        return jsonify({"services": tx.all("rcm_service")})


@billing.patch("/services/<id:service_id>", responses=answers(200, ServiceOut))
def edit_service(path: ServicePath, body: ServiceChange):
    """Change an RCM service's name, codes, claim format, rate or authorization rule (SET-01)"""
    values = body.model_dump(exclude_unset=True)
    for key in ("revenue_code", "modifier"):  # blank: none
        if key in values and values[key] is None:
            values[key] = ""

    def change(tx):
        service = load(tx, "rcm_service", path.service_id)
        service.update(values)
        tx.put("rcm_service", service)
        return service

    service, _ = ctx().write(change, kind="rcm_service")
    return jsonify({"service": service})


@billing.get("/providers", responses=answers(200, ProvidersOut))
def providers():
    """The rendering providers of the RCM (SET-07)"""
    with ctx().store.read() as tx:
        return jsonify({"providers": tx.all("provider")})


@billing.post("/providers", responses=answers(201, ProviderOut, 409))
def add_provider(body: ProviderIn):
    """Add a rendering provider; its NPI must carry a valid check digit (SET-07)"""
    if not npi_valid(body.npi):
        raise ApiError(409, "invalid provider",
                       [Problem("npi", f"{body.npi!r} is not a valid NPI (10 digits, Luhn check over 80840 + NPI)")])
    record = {"name": body.name, "npi": body.npi, "credential": body.credential}
    provider, _ = ctx().write(lambda tx: tx.insert("provider", record), kind="provider")
    return {"provider": provider}, 201


@billing.get("/billing_settings", responses=answers(200, BillingSettingsOut))
def billing_settings():
    """The facility, the Konnector, Bill by Building and Bill by Program (SET-02..SET-04)"""
    with ctx().store.read() as tx:
        return jsonify({"billing_settings": tx.get("billing_setting", 1)})


@billing.patch("/billing_settings", responses=answers(200, BillingSettingsOut, 409))
def edit_billing_settings(body: BillingSettingsChange):
    """Set the Konnector's rendering provider, Bill by Building or Bill by Program (SET-02..SET-04)"""
    given = body.model_dump(exclude_unset=True)
    with ctx().store.read() as tx:
        npis = {p["npi"] for p in tx.all("provider")}
    problems = []
    for key in ("bill_by_building", "bill_by_program"):
        if key in given:
            try:
                given[key] = {PLACE.validate_python(name): npi for name, npi in given[key].items()}
            except ValidationError:
                problems.append(Problem(key, "names must be plain text of 1 to 100 characters"))
                continue
            if not set(given[key].values()) <= npis:
                problems.append(Problem(key, "must map names to the NPI of a provider of the RCM"))
    if "konnector_rendering_provider" in given and given["konnector_rendering_provider"] not in npis:
        problems.append(Problem("konnector_rendering_provider", "must be the NPI of a provider of the RCM"))
    if problems:
        raise ApiError(409, "invalid billing settings", problems)

    def change(tx):
        settings = tx.get("billing_setting", 1)
        if "konnector_rendering_provider" in given:
            settings["konnector"]["rendering_provider"] = given["konnector_rendering_provider"]
        for key in ("bill_by_building", "bill_by_program"):
            if key in given:
                settings[key] = given[key]
        tx.put("billing_setting", settings)
        return settings

    settings, _ = ctx().write(change, kind="billing_setting")
    return jsonify({"billing_settings": settings})


@billing.post("/claim_rules", responses=answers(201, ClaimRuleOut, 409))
def add_claim_rule(body: ClaimRuleIn):
    """Add a claim rule: a modifier on the lines of a procedure code, on one payer's claims or every payer's (BAT-09:
    modifiers come from here); a payer not on the payer list is a 409"""

    def change(tx):
        if body.payer is not None and tx.get("payer", body.payer) is None:
            raise ApiError(409, "invalid claim rule",
                           [Problem("payer", f"no payer with id {body.payer} in the RCM's payer list")])
        return tx.insert("claim_rule", body.model_dump())

    rule, _ = ctx().write(change, kind="claim_rule")
    return {"claim_rule": rule}, 201


# -- the charge batch (BAT-01..BAT-16) ----------------------------------------------------------------

class ChargeRefused(Exception):
    def __init__(self, cause: str, fix: str, matching: list[dict[str, Any]] | None = None):
        super().__init__(cause)
        self.cause, self.fix, self.matching = cause, fix, matching or []


@billing.post("/charges/batch", responses=answers(200, BatchResults, 409))
def receive_batch(body: ChargeBatch):
    """Charges from the EMR's Billing Audit Tool, each matched or refused on its own (WF-5.3, PROC-06)

    Each charge lands on the Attendance Calendar or comes back as a batch transmission error
    naming the charge, the cause and the fix; one bad charge does not stop the others.
    """
    results: list[dict[str, Any]] = []

    def change(tx):
        found = tx.find("patient", emr_patient_id=body.emr_patient_id)
        for charge in body.charges:
            try:
                entry = accept_charge(ctx(), tx, found[0] if found else None, charge)
            except ChargeRefused as refused:
                results.append({"emr_item_id": charge.emr_item_id, "status": "error", "cause": refused.cause,
                                "fix": refused.fix, "matching": refused.matching})
            else:
                results.append({"emr_item_id": charge.emr_item_id, "status": "accepted",
                                "attendance_id": entry["id"], "service": entry["service_name"]})
        return {"id": 0}

    ctx().write(change, "charges.received")
    return jsonify({"results": results})


def accept_charge(context: SystemContext, tx, patient: dict[str, Any] | None, charge: Charge) -> dict[str, Any]:
    item = f"charge {charge.emr_item_id}"
    day = charge.date_of_service
    try:
        dt.date.fromisoformat(day or "")
    except ValueError:
        raise ChargeRefused(f"{item}: date of service {day!r} is not a real date (YYYY-MM-DD)",
                            "correct the date of service on the Billing Audit Tool Report") from None
    if isinstance(charge.match, str):
        raise ChargeRefused(f"{item}: its matching data is not an object", "send match as an object of codes")
    if patient is None or patient["status"] != "Admitted" or not patient["treatment_episodes"]:
        raise ChargeRefused(f"{item}: the patient's profile is not in the RCM (no demographics travel with charges)",
                            "send the patient to the RCM (Send to Kipu RCM) before transmitting charges")
    episode = _episode(patient, charge, item)
    insurances = episode["intake"]["insurance"]["insurance_set"]["insurances"]
    private = charge.insurance in (None, "Private Pay")
    if not insurances and not private:
        raise ChargeRefused(f"{item}: the patient has no insurance in the RCM",
                            "add the insurance through Manage Insurance, or bill the charge as private pay")
    pay_types = ("insurance", "private") if insurances else ("private",)  # BAT-08, PROC-07
    service, matching = match(context, tx, charge.match, pay_types)
    matched_by = next((m["link"] for m in matching if m["service"]), None)
    if service is None:
        raise ChargeRefused(f"{item}: no RCM service matches it",
                            "name the EMR service exactly as the RCM service, or align revenue code, procedure "
                            "code, modifier and claim format", matching)
    authorization = _authorization(episode, service, day, item) if (
        service["requires_authorization"] and service["pay_type"] == "insurance") else None
    provider = _rendering_provider(tx, charge, authorization, item)
    facility = _facility(tx, charge)
    profile = charge.place_of_service if charge.place_of_service in service["profiles"] else service["profiles"][0]
    # Only what the Billing Audit Tool table says is transmitted is kept (BAT-01): the date of
    # service, one unit, the rendering provider. The rest only chose the episode and service.
    return tx.insert("attendance", {
        "patient_id": patient["id"], "episode_id": episode["id"], "emr_item_id": charge.emr_item_id,
        "date_of_service": day, "units": 1, "service_id": service["id"],
        "service_name": service["name"], "pay_type": service["pay_type"], "service_profile": profile,
        "rendering_provider": provider, "facility": facility, "status": "transmitted", "matched_by": matched_by,
        "matching_note": next((m["reason"] for m in matching if m["service"]), ""),
        "received_at": context.clock.now().isoformat(),
    })


def _episode(patient: dict[str, Any], charge: Charge, item: str) -> dict[str, Any]:
    """BAT-04: the admit date (with location, insurance and program) selects the treatment episode."""
    admit = (charge.admit_date or "")[:10]
    for episode in reversed(patient["treatment_episodes"]):
        if episode["intake"]["admit_discharge"].get("admit_date") == admit:
            return episode
    raise ChargeRefused(f"{item}: no treatment episode in the RCM was admitted on {admit or '(no date)'}",
                        "send the patient to the RCM with this Admission Date before transmitting the charge")


def match(context: SystemContext, tx, codes: ChargeMatch | None, pay_types: tuple[str, ...]):
    """The matching chain (BAT-05..BAT-08): each link a plugin, insurance-pay services first."""
    given = codes.model_dump() if codes is not None else {}
    wanted = ChargeToMatch(**{k: given.get(k) or "" for k in ChargeToMatch.__dataclass_fields__})
    trace = []
    for pay_type in pay_types:
        services = [s for s in tx.all("rcm_service") if s["pay_type"] == pay_type]
        for step in context.hooks.harness_match_charge(charge=wanted, services=services, pay_type=pay_type):
            trace.append({"link": step.link, "pay_type": pay_type, "reason": step.reason,
                          "service": step.service["name"] if step.service else None})
            if step.service is not None:
                return step.service, trace
    return None, trace


def _authorization(episode: dict[str, Any], service: dict[str, Any], day: str, item: str) -> dict[str, Any]:
    """BAT-02/PROC-03: a U/R for a level of care, a standalone authorization for an ancillary service."""
    level = service["level_of_care_uid"]
    kind = "utilization_reviews" if level else "standalone_authorizations"
    for auth in episode["scheduling_and_utilization"][kind]:
        names = (service["name"],) if not level else (service["name"].split(" - ")[0],)
        if auth["service"] in names and auth["start_date"] <= day <= auth["end_date"] \
                and auth["authorization_status"] in AUTHORIZING:
            return auth
    what = "U/R" if level else "standalone authorization"
    raise ChargeRefused(f"{item}: no {what} in the RCM authorizes {service['name']} on {day}",
                        f"add or update the {what} in the RCM (Manage Review) before transmitting")


def _rendering_provider(tx, charge: Charge, authorization, item) -> str:
    """BAT-12/BAT-13 (AMB-07): blank gets the routed provider; another one must be on the authorization."""
    chosen = charge.rendering_provider or ""
    if chosen:
        if not authorization or authorization.get("rendering_provider") != chosen:
            raise ChargeRefused(
                f"{item}: rendering provider {chosen} is not on the authorization for this service",
                "add the provider as rendering provider on the U/R (or standalone authorization) in the RCM, or "
                "leave the field blank to bill the Konnector's provider")
        return chosen
    settings = tx.get("billing_setting", 1)
    routes = {"program": settings["bill_by_program"].get(charge.program or ""),
              "building": settings["bill_by_building"].get(charge.location or ""),
              "konnector": settings["konnector"]["rendering_provider"]}
    order = ctx().settings.billing_route_precedence
    return next(routes[r] for r in order if routes.get(r))


def _facility(tx, charge: Charge) -> str:
    """SET-02..SET-04: the RCM facility a charge bills under, by the same precedence as its provider."""
    settings = tx.get("billing_setting", 1)
    routes = {"program": settings.get("facility_by_program", {}).get(charge.program or ""),
              "building": settings.get("facility_by_building", {}).get(charge.location or ""),
              "konnector": settings["konnector"]["facility"]}
    return next(routes[r] for r in ctx().settings.billing_route_precedence if routes.get(r))


# -- Attendance Calendar (WF-5.3) ----------------------------------------------------------------

@billing.get("/attendance", responses=answers(200, Attendance))
def attendance(query: AttendanceQuery):
    """The Attendance Calendar: the treatments transmitted, by date of service (WF-5.3)"""
    with ctx().store.read() as tx:
        # One patient's through the patient_id index (the same entries, in the same order).
        entries = tx.all("attendance") if query.patient_id is None else tx.find("attendance", patient_id=query.patient_id)
    calendar: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        calendar.setdefault(entry["date_of_service"], []).append(entry)
    return jsonify({"calendar": dict(sorted(calendar.items())), "entries": entries})


@billing.post("/attendance/submit", responses=answers(200, Submitted, 403, 404, 409))
def submit(header: BillingUser, body: Selection):
    """Submit selected treatments for billing; needs the billing role (WF-5.3, SET-05)"""
    ids = body.entry_ids

    def change(tx):
        require_role(tx)
        for entry_id in ids:
            entry = load(tx, "attendance", entry_id)
            if entry["status"] != "transmitted":
                raise ApiError(409, "already submitted", [Problem("entry_ids", f"{entry_id} is {entry['status']}")])
            entry["status"] = "submitted"
            tx.put("attendance", entry)
        return {"id": 0}

    ctx().write(change, "attendance.submitted")
    return jsonify({"submitted": ids})
