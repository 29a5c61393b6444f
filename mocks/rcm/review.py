"""The RCM as source of truth for authorizations (WF-4, AUTH): utilization reviews (U/R) of a
treatment episode, and standalone authorizations for ancillary services (AUTH-13)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_openapi3 import APIBlueprint
from pydantic import BaseModel

from kipu_harness.events import Problem

from ..common.base import ApiError, SystemContext, ctx, load
from ..common.routes import answers, blueprint, path_model
from .insurance import episode_of
from .schemas import AuthorizationChange, AuthorizationIn
from .schemas_records import AuthorizationOut

KINDS = {"utilization_reviews": "utilization_review.saved", "standalone_authorizations": "standalone_authorization.saved"}
SUMMARIES = {  # kind: (add, edit)
    "utilization_reviews": ("Add a U/R (sent to the EMR)", "Edit a U/R: the fields named change, the others stay"),
    "standalone_authorizations": ("Add a standalone authorization for ancillary services (AUTH-13)",
                                  "Edit a standalone authorization (AUTH-13)"),
}

reviews = blueprint("reviews", __name__, "/rcm", "authorizations",
                    "Utilization reviews (sent to the EMR) and standalone authorizations of an episode (WF-4, AUTH)")
EpisodePath = path_model("patient_id", "episode_id")
ReviewPath = path_model("patient_id", "episode_id", "review_id")


def merge_review(tx, changes: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """An authorization as saved: the fields a request names over the stored ones, checked against
    the RCM's rules (an end not before its start, a number when Authorized, a payer of its list)."""
    merged = {**(existing or {}), **changes}
    if existing and "payer" not in changes:
        merged["payer"] = existing["payer"]["id"] if existing.get("payer") else None
    problems = []
    if merged["end_date"] < merged["start_date"]:
        problems.append(Problem("end_date", f"{merged['end_date']} is before the start date {merged['start_date']}"))
    if merged["authorization_status"] == "Authorized" and not merged.get("authorization_number"):
        problems.append(Problem("authorization_number", "is required"))
    payer = None
    if merged.get("payer") is not None:
        payer = tx.get("payer", merged["payer"])
        if payer is None:
            problems.append(Problem("payer", f"no payer with id {merged['payer']!r} in the RCM's payer list"))
    if problems:
        raise ApiError(409, "invalid authorization", problems)
    return {
        "start_date": merged["start_date"], "end_date": merged["end_date"], "units": merged["units"],
        "authorization_number": merged.get("authorization_number"),
        "authorization_status": merged["authorization_status"], "service": merged["service"],
        "um_follow_up_date": merged.get("um_follow_up_date"),
        "payer": payer, "rendering_provider": merged.get("rendering_provider"),
    }


def save_review(context: SystemContext, kind: str, patient_id: int, episode_id: int, changes: dict[str, Any],
                review_id: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create or update one authorization of an episode; ``changes`` is a request body as given."""
    saved: dict[str, Any] = {}

    def change(tx):
        patient = load(tx, "patient", patient_id)
        entries = episode_of(patient, episode_id)["scheduling_and_utilization"][kind]
        existing = None
        if review_id is not None:
            existing = next((e for e in entries if e["id"] == review_id), None)
            if existing is None:
                raise ApiError(404, f"{kind[:-1].replace('_', ' ')} {review_id} not found",
                               [Problem("id", "not in this episode")])
        values = merge_review(tx, changes, existing)
        if existing is None:
            existing = {"id": max((e["id"] for e in entries), default=0) + 1}
            entries.append(existing)
        existing.update(values, saved_at=context.clock.now().isoformat())
        tx.put("patient", patient)
        saved.update(id=existing["id"])
        return patient

    patient, extra = context.write(change, KINDS[kind], {"episode_id": episode_id}, kind="patient")
    entries = episode_of(patient, episode_id)["scheduling_and_utilization"][kind]
    return next(e for e in entries if e["id"] == saved["id"]), extra


def declare(bp: APIBlueprint, rule: str, method: str, name: str, summary: str, status: int,
            view: Callable[..., Any], path: type[BaseModel], body: type[BaseModel], *refusals: int,
            query: type[BaseModel] | None = None) -> None:
    """One route of a kind of authorization: the same handler shape for U/R and standalone ones,
    in the RCM and through the Manage Review window."""
    view.__name__ = name
    view.__annotations__ = {"path": path, "body": body, **({"query": query} if query else {})}
    getattr(bp, method)(rule, summary=summary, responses=answers(status, AuthorizationOut, *refusals))(view)


def _routes(kind: str) -> None:
    base = f"/patients/<id:patient_id>/episodes/<id:episode_id>/{kind}"
    add_summary, edit_summary = SUMMARIES[kind]

    def add(path, body):
        entry, extra = save_review(ctx(), kind, path.patient_id, path.episode_id, body.model_dump(exclude_unset=True))
        return {"authorization": entry, **extra}, 201

    def edit(path, body):
        entry, extra = save_review(ctx(), kind, path.patient_id, path.episode_id, body.model_dump(exclude_unset=True),
                                   path.review_id)
        return {"authorization": entry, **extra}

    declare(reviews, base, "post", f"add_{kind}", add_summary, 201, add, EpisodePath, AuthorizationIn, 409)
    declare(reviews, f"{base}/<id:review_id>", "patch", f"edit_{kind}", edit_summary, 200, edit, ReviewPath,
            AuthorizationChange, 409)


for _kind in KINDS:
    _routes(_kind)
