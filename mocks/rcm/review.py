"""The RCM as source of truth for authorizations (WF-4, AUTH): utilization reviews (U/R) of a
treatment episode, and standalone authorizations for ancillary services (AUTH-13)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from kipu_harness.events import Problem

from ..common.base import ApiError, SystemContext, ctx, json_body, load
from .insurance import episode_number, episode_of
from ..common.checks import Checker

STATUSES = ("Authorized", "Authorized - Not Required", "Denied", "Pending", "Required - Not Obtained", "Not Required")
REVIEW_FIELDS = ("start_date", "end_date", "units", "authorization_number", "authorization_status", "service",
                 "um_follow_up_date", "payer", "rendering_provider")
KINDS = {"utilization_reviews": "utilization_review.saved", "standalone_authorizations": "standalone_authorization.saved"}

reviews = Blueprint("reviews", __name__, url_prefix="/rcm")


def check_review(tx, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**(existing or {}), **body}
    if existing and existing.get("payer") and "payer" not in body:
        merged["payer"] = existing["payer"]["id"]  # stored as the payer itself; kept unless changed
    c = Checker(merged)
    c.problems += _unknown(body)
    start, end = c.date("start_date", required=True), c.date("end_date", required=True)
    if start and end and end < start:
        c.problem("end_date", f"{end} is before the start date {start}")
    units = merged.get("units")
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        c.problem("units", "a whole number of at least 1 is required")
    status = c.choice("authorization_status", STATUSES, required=True)
    needs_number = status in ("Authorized",)
    number = c.text("authorization_number", required=needs_number)
    service = c.text("service", required=True)
    follow_up = c.date("um_follow_up_date")
    provider = c.text("rendering_provider")
    payer = None
    if merged.get("payer") is not None:
        is_id = isinstance(merged["payer"], int) and not isinstance(merged["payer"], bool)
        payer = tx.get("payer", merged["payer"]) if is_id else None
        if payer is None:
            c.problem("payer", f"no payer with id {merged['payer']!r} in the RCM's payer list")
    c.done("invalid authorization")
    return {
        "start_date": start.isoformat(), "end_date": end.isoformat(), "units": units,
        "authorization_number": number or None, "authorization_status": status, "service": service,
        "um_follow_up_date": follow_up.isoformat() if follow_up else None,
        "payer": payer, "rendering_provider": provider or None,
    }


def _unknown(body: dict[str, Any]) -> list[Problem]:
    return [Problem(k, "is not a field of this resource") for k in sorted(set(body) - set(REVIEW_FIELDS))]


def save_review(context: SystemContext, kind: str, patient_id: Any, episode_id: Any, body: dict[str, Any],
                review_id: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    saved: dict[str, Any] = {}

    def change(tx):
        patient = load(tx, "patient", patient_id)
        entries = episode_of(patient, episode_id)["scheduling_and_utilization"][kind]
        existing = None
        if review_id is not None:
            existing = next((e for e in entries if str(e["id"]) == str(review_id)), None)
            if existing is None:
                raise ApiError(404, f"{kind[:-1].replace('_', ' ')} {review_id} not found",
                               [Problem("id", "not in this episode")])
        values = check_review(tx, body, existing)
        if existing is None:
            existing = {"id": max((e["id"] for e in entries), default=0) + 1}
            entries.append(existing)
        existing.update(values, saved_at=context.clock.now().isoformat())
        tx.put("patient", patient)
        saved.update(id=existing["id"])
        return patient

    patient, extra = context.write(change, KINDS[kind], {"episode_id": episode_number(episode_id)}, kind="patient")
    entries = episode_of(patient, episode_id)["scheduling_and_utilization"][kind]
    return next(e for e in entries if e["id"] == saved["id"]), extra


def _routes(kind: str) -> None:
    base = f"/patients/<patient_id>/episodes/<episode_id>/{kind}"

    def add(patient_id: str, episode_id: str):
        entry, extra = save_review(ctx(), kind, patient_id, episode_id, json_body())
        return jsonify({"authorization": entry, **extra}), 201

    def edit(patient_id: str, episode_id: str, review_id: str):
        entry, extra = save_review(ctx(), kind, patient_id, episode_id, json_body(), review_id)
        return jsonify({"authorization": entry, **extra})

    reviews.add_url_rule(base, f"add_{kind}", add, methods=["POST"])
    reviews.add_url_rule(f"{base}/<review_id>", f"edit_{kind}", edit, methods=["PATCH"])


for _kind in KINDS:
    _routes(_kind)
