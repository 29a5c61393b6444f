"""The RCM's billing (WF-5.3, WF-5.4, BAT, SET): configuration, the charge batch from the Billing
Audit Tool (matched, never imported beyond what travels), the Attendance Calendar, and the Work
Center that makes claims, sends them to the clearinghouse and follows their status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, jsonify, request

from kipu_harness.events import ChargeToMatch, Problem

from ..common.base import ApiError, SystemContext, ctx, json_body, load, require_role
from ..common.checks import Checker

billing = Blueprint("billing", __name__, url_prefix="/rcm")

AUTHORIZING = ("Authorized", "Authorized - Not Required", "Not Required")


# -- configuration (SET-01..SET-07) ---------------------------------------------------------------

@billing.get("/services")
def services():
    with ctx().store.read() as tx:
        return jsonify({"services": tx.all("rcm_service")})


@billing.patch("/services/<service_id>")
def edit_service(service_id: str):
    body = json_body()
    c = Checker(body)
    c.unknown({"name", "revenue_code", "procedure_code", "modifier", "claim_format", "rate", "requires_authorization",
               "place_of_service"})
    values = {k: c.text(k) if k != "requires_authorization" else body[k] for k in body}
    if "claim_format" in values and values["claim_format"] not in ("institutional", "professional"):
        c.problem("claim_format", "must be institutional or professional")
    c.done("invalid service")

    def change(tx):
        service = load(tx, "rcm_service", service_id)
        service.update(values)
        tx.put("rcm_service", service)
        return service

    service, _ = ctx().write(change, kind="rcm_service")
    return jsonify({"service": service})


@billing.get("/providers")
def providers():
    with ctx().store.read() as tx:
        return jsonify({"providers": tx.all("provider")})


@billing.post("/providers")
def add_provider():
    from kipu_harness.wire.x12.npi import npi_valid

    c = Checker(json_body())
    c.unknown({"name", "npi", "credential"})
    name, npi, credential = c.text("name", required=True), c.text("npi", required=True), c.text("credential")
    if npi and not npi_valid(npi):
        c.problem("npi", f"{npi!r} is not a valid NPI (10 digits, Luhn check over 80840 + NPI)")
    c.done("invalid provider")
    provider, _ = ctx().write(lambda tx: tx.insert("provider", {"name": name, "npi": npi, "credential": credential}),
                              kind="provider")
    return jsonify({"provider": provider}), 201


@billing.get("/billing_settings")
def billing_settings():
    with ctx().store.read() as tx:
        return jsonify({"billing_settings": tx.get("billing_setting", 1)})


@billing.patch("/billing_settings")
def edit_billing_settings():
    """The Konnector's rendering provider, Bill by Building and Bill by Program (SET-02..04)."""
    body = json_body()
    c = Checker(body)
    c.unknown({"konnector_rendering_provider", "bill_by_building", "bill_by_program"})
    with ctx().store.read() as tx:
        npis = {p["npi"] for p in tx.all("provider")}
    for key in ("bill_by_building", "bill_by_program"):
        if key in body and (not isinstance(body[key], dict) or not set(body[key].values()) <= npis):
            c.problem(key, "must map names to the NPI of a provider of the RCM")
    if "konnector_rendering_provider" in body and body["konnector_rendering_provider"] not in npis:
        c.problem("konnector_rendering_provider", "must be the NPI of a provider of the RCM")
    c.done("invalid billing settings")

    def change(tx):
        settings = tx.get("billing_setting", 1)
        if "konnector_rendering_provider" in body:
            settings["konnector"]["rendering_provider"] = body["konnector_rendering_provider"]
        for key in ("bill_by_building", "bill_by_program"):
            if key in body:
                settings[key] = body[key]
        tx.put("billing_setting", settings)
        return settings

    settings, _ = ctx().write(change, kind="billing_setting")
    return jsonify({"billing_settings": settings})


@billing.post("/claim_rules")
def add_claim_rule():
    """A claim rule adds a modifier to the lines of a procedure code (BAT-09: modifiers come from here)."""
    c = Checker(json_body())
    c.unknown({"name", "procedure_code", "add_modifier"})
    rule = {k: c.text(k, required=True) for k in ("name", "procedure_code", "add_modifier")}
    c.done("invalid claim rule")
    rule, _ = ctx().write(lambda tx: tx.insert("claim_rule", rule), kind="claim_rule")
    return jsonify({"claim_rule": rule}), 201


# -- the charge batch (BAT-01..BAT-16) ----------------------------------------------------------------

class ChargeRefused(Exception):
    def __init__(self, cause: str, fix: str, matching: list[dict[str, str]] | None = None):
        super().__init__(cause)
        self.cause, self.fix, self.matching = cause, fix, matching or []


@billing.post("/charges/batch")
def receive_batch():
    """Charges transmitted from the EMR's Billing Audit Tool. Each is matched and either lands on
    the Attendance Calendar or comes back as a batch transmission error naming the charge, the
    cause and the fix (PROC-06); one bad charge does not stop the others."""
    body = json_body()
    charges = body.get("charges")
    if not isinstance(charges, list) or not all(isinstance(ch, dict) for ch in charges):
        raise ApiError(422, "invalid batch", [Problem("charges", "a list of charge objects is required")])
    results: list[dict[str, Any]] = []

    def change(tx):
        found = tx.find("patient", emr_patient_id=str(body.get("emr_patient_id")))
        for charge in charges:
            try:
                entry = accept_charge(ctx(), tx, found[0] if found else None, charge)
            except ChargeRefused as refused:
                results.append({"emr_item_id": charge.get("emr_item_id"), "status": "error", "cause": refused.cause,
                                "fix": refused.fix, "matching": refused.matching})
            else:
                results.append({"emr_item_id": charge.get("emr_item_id"), "status": "accepted",
                                "attendance_id": entry["id"], "service": entry["service_name"]})
        return {"id": 0}

    ctx().write(change, "charges.received")
    return jsonify({"results": results})


def accept_charge(context: SystemContext, tx, patient: dict[str, Any] | None, charge: dict[str, Any]) -> dict[str, Any]:
    item = f"charge {charge.get('emr_item_id')}"
    day = charge.get("date_of_service")
    try:
        dt.date.fromisoformat(day)
    except (TypeError, ValueError):
        raise ChargeRefused(f"{item}: date of service {day!r} is not a real date (YYYY-MM-DD)",
                            "correct the date of service on the Billing Audit Tool Report") from None
    if not isinstance(charge.get("match", {}), dict):
        raise ChargeRefused(f"{item}: its matching data is not an object", "send match as an object of codes")
    if patient is None or patient["status"] != "Admitted" or not patient["treatment_episodes"]:
        raise ChargeRefused(f"{item}: the patient's profile is not in the RCM (no demographics travel with charges)",
                            "send the patient to the RCM (Send to Kipu RCM) before transmitting charges")
    episode = _episode(patient, charge, item)
    insurances = episode["intake"]["insurance"]["insurance_set"]["insurances"]
    private = charge.get("insurance") in (None, "", "Private Pay")
    if not insurances and not private:
        raise ChargeRefused(f"{item}: the patient has no insurance in the RCM",
                            "add the insurance through Manage Insurance, or bill the charge as private pay")
    pay_types = ("insurance", "private") if insurances else ("private",)  # BAT-08, PROC-07
    service, matching = match(context, tx, charge, pay_types)
    matched_by = next((m["link"] for m in matching if m["service"]), None)
    if service is None:
        raise ChargeRefused(f"{item}: no RCM service matches it",
                            "name the EMR service exactly as the RCM service, or align revenue code, procedure "
                            "code, modifier and claim format", matching)
    authorization = _authorization(episode, service, charge["date_of_service"], item) if (
        service["requires_authorization"] and service["pay_type"] == "insurance") else None
    provider = _rendering_provider(tx, patient, charge, authorization, item)
    profile = charge.get("place_of_service") if charge.get("place_of_service") in service["profiles"] else \
        service["profiles"][0]
    # Only what the Billing Audit Tool table says is transmitted is kept (BAT-01): the date of
    # service, one unit, the rendering provider. The rest only chose the episode and service.
    return tx.insert("attendance", {
        "patient_id": patient["id"], "episode_id": episode["id"], "emr_item_id": charge.get("emr_item_id"),
        "date_of_service": charge["date_of_service"], "units": 1, "service_id": service["id"],
        "service_name": service["name"], "pay_type": service["pay_type"], "service_profile": profile,
        "rendering_provider": provider, "status": "transmitted", "matched_by": matched_by,
        "matching_note": next((m["reason"] for m in matching if m["service"]), ""),
        "received_at": context.clock.now().isoformat(),
    })


def _episode(patient: dict[str, Any], charge: dict[str, Any], item: str) -> dict[str, Any]:
    """BAT-04: the admit date (with location, insurance and program) selects the treatment episode."""
    admit = (charge.get("admit_date") or "")[:10]
    for episode in reversed(patient["treatment_episodes"]):
        if episode["intake"]["admit_discharge"].get("admit_date") == admit:
            return episode
    raise ChargeRefused(f"{item}: no treatment episode in the RCM was admitted on {admit or '(no date)'}",
                        "send the patient to the RCM with this Admission Date before transmitting the charge")


def match(context: SystemContext, tx, charge: dict[str, Any], pay_types: tuple[str, ...]):
    wanted = ChargeToMatch(**{k: str(charge.get("match", {}).get(k) or "") for k in ChargeToMatch.__dataclass_fields__})
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


def _rendering_provider(tx, patient, charge, authorization, item) -> str:
    """BAT-12/BAT-13 (AMB-07): blank gets the routed provider; another one must be on the authorization."""
    chosen = charge.get("rendering_provider") or ""
    if chosen:
        if not authorization or authorization.get("rendering_provider") != chosen:
            raise ChargeRefused(
                f"{item}: rendering provider {chosen} is not on the authorization for this service",
                "add the provider as rendering provider on the U/R (or standalone authorization) in the RCM, or "
                "leave the field blank to bill the Konnector's provider")
        return chosen
    settings = tx.get("billing_setting", 1)
    routes = {"program": settings["bill_by_program"].get(charge.get("program") or ""),
              "building": settings["bill_by_building"].get(charge.get("location") or ""),
              "konnector": settings["konnector"]["rendering_provider"]}
    order = ctx().settings.billing_route_precedence
    return next(routes[r] for r in order if routes.get(r))


# -- Attendance Calendar (WF-5.3) ----------------------------------------------------------------

@billing.get("/attendance")
def attendance():
    with ctx().store.read() as tx:
        entries = tx.all("attendance")
    if "patient_id" in request.args:
        entries = [e for e in entries if str(e["patient_id"]) == request.args["patient_id"]]
    calendar: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        calendar.setdefault(entry["date_of_service"], []).append(entry)
    return jsonify({"calendar": dict(sorted(calendar.items())), "entries": entries})


@billing.post("/attendance/submit")
def submit():
    """Selected treatments are submitted for billing."""
    body = json_body()
    ids = body.get("entry_ids")
    if not isinstance(ids, list) or not ids:
        raise ApiError(422, "nothing selected", [Problem("entry_ids", "a non-empty list of attendance ids")])

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

