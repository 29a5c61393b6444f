"""The EMR's group sessions: documented with the mock's own body (each patient present gets a
billing item, WF-5.1) and read as Kipu's API v3 shows them, with attendance and billing codes.

Choices where Kipu is silent (docs/ambiguities.md): v3's attendance list is ``patients[]``, one
row per patient on the roster ({patient_id, casefile_id, present, minutes, note}); a patient's
own routes show only that patient's row; the session type is the session's billable template;
``selected_billing_code`` names the slot of ``billing_codes`` the session bills; a session's start
is its date at ``start_time`` (the integration's default_time if not given); the list is in order
of start, then id; ``group_session_topic`` matches the whole topic, letter case aside.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, load
from ..common.routes import answers, blueprint, path_model
from .billing import _item, _template, kipu_billing
from .directory import full_name, people
from .directory_schemas import on
from .group_session_schemas import (GroupSessionFilters, GroupSessionIn, GroupSessionOne, GroupSessionOut,
                                    GroupSessionsPage, PatientGroupSessionFilters)
from .kipu import page, require_master_id
from .schemas import MasterId

group_sessions = blueprint("emr_group_sessions", __name__, "/api", "group sessions",
                           "Group sessions: documented (each patient present is billed, WF-5.1) and read as Kipu's "
                           "API v3 shows them")
SessionPath = path_model("group_session_id")
PatientPath = path_model("patient_id")
PatientSessionPath = path_model("patient_id", "group_session_id")


def _refused(status: int, field: str, problem: str) -> ApiError:
    return ApiError(status, f"invalid group session: {field}", [Problem(field, problem)])


# -- documenting ----------------------------------------------------------------------------------

def _leader(tx, body: GroupSessionIn) -> tuple[str | None, str | None]:
    if body.group_leader_id is None:
        return None, body.leader
    found = [p for p in people(tx) if p["id"] == body.group_leader_id]
    if not found:
        raise _refused(404, "group_leader_id", f"no user or provider with id {body.group_leader_id}")
    return found[0]["id"], full_name(found[0])


def _location(tx, location_id: int | None) -> int:
    places = [p["location_id"] for p in tx.all("location")]
    if location_id is None:
        return places[0] if places else 1
    if location_id not in places:
        raise _refused(404, "location_id", f"no location with id {location_id}")
    return location_id


@group_sessions.post("/group_sessions", responses=answers(201, GroupSessionOut, 404, 409))
def document_group_session(body: GroupSessionIn):
    """Document a group session: each patient present gets a billing item (WF-5.1)"""
    attendance = [row.model_dump() for row in body.attendance]
    start = body.start_time or ctx().settings.default_time
    if body.end_time and body.end_time < start:
        raise _refused(409, "end_time", f"{body.end_time} is before the start time {start}")
    items: list[dict[str, Any]] = []

    def change(tx):
        template = _template(tx, body.template_id, "group_session")
        leader_id, leader = _leader(tx, body)
        session = tx.insert("group_session", {
            "template_id": template["id"], "date": body.date, "leader": leader, "attendance": attendance,
            "start_time": start, "end_time": body.end_time, "location_id": _location(tx, body.location_id),
            "group_session_topic": body.group_session_topic, "group_leader_id": leader_id})
        for row in attendance:
            patient = load(tx, "patient", row["patient_id"])
            if row["present"]:
                items.append(_item(tx, patient, template, body.date, row["minutes"], f"group session {session['id']}"))
        return session

    session, _ = ctx().write(change, "group_session.documented", kind="group_session")
    with ctx().store.read() as tx:
        return {"group_session": _shown(tx, session), "billing_items": items}, 201


# -- Kipu's view ----------------------------------------------------------------------------------

def _times(session: dict[str, Any]) -> tuple[str, str | None]:
    start = dt.datetime.fromisoformat(f"{session['date']}T{session.get('start_time') or '00:00'}")
    if session.get("end_time"):
        end = dt.datetime.fromisoformat(f"{session['date']}T{session['end_time']}")
    else:
        minutes = [row["minutes"] for row in session["attendance"] if row.get("minutes") is not None]
        end = start + dt.timedelta(minutes=max(minutes)) if minutes else None
    return start.isoformat(), end.isoformat() if end else None


def _shown(tx, session: dict[str, Any], patient_id: int | None = None) -> dict[str, Any]:
    """A session as Kipu shows it; with ``patient_id``, only that patient's row of the roster."""
    template = tx.get("billable_template", session["template_id"])
    start, end = _times(session)
    roster = []
    for row in session["attendance"]:
        if patient_id is not None and row["patient_id"] != patient_id:
            continue
        patient = tx.get("patient", row["patient_id"])
        roster.append({"patient_id": row["patient_id"], "casefile_id": f"{patient['id']}:{patient['patient_master_id']}",
                       "present": row["present"], "minutes": row.get("minutes"), "note": row.get("note")})
    return {
        "id": session["id"], "session_start_time": start, "session_end_time": end,
        "group_session_title": template["name"], "group_session_topic": session.get("group_session_topic"),
        "group_leader_id": session.get("group_leader_id"), "group_leader_full_name": session.get("leader"),
        "status": "Completed", "session_type": template["name"], "session_type_id": template["id"],
        **kipu_billing(template), "location_id": session.get("location_id") or 1, "patients": roster,
    }


def _check_dates(query: GroupSessionFilters) -> None:
    if query.session_start_date and query.session_end_date and query.session_end_date < query.session_start_date:
        raise ApiError(409, "invalid query", [Problem(
            "session_end_date", f"{query.session_end_date} is before the start date {query.session_start_date}")])


def _wanted(view: dict[str, Any], query: GroupSessionFilters) -> bool:
    day = view["session_start_time"][:10]
    topic = (view["group_session_topic"] or "").casefold()
    return ((query.location_id is None or view["location_id"] == query.location_id)
            and (query.group_leader_id is None or view["group_leader_id"] == query.group_leader_id)
            and (query.group_session_topic is None or topic == query.group_session_topic.casefold())
            and (query.billable is None or view["billable"] == on(query.billable))
            and (query.session_type_id is None or view["session_type_id"] == query.session_type_id)
            and (query.session_start_date is None or day >= query.session_start_date)
            and (query.session_end_date is None or day <= query.session_end_date))


def _listed(query: GroupSessionFilters, patient_id: int | None = None) -> list[dict[str, Any]]:
    _check_dates(query)
    with ctx().store.read() as tx:
        sessions = [s for s in tx.all("group_session")
                    if patient_id is None or any(r["patient_id"] == patient_id for r in s["attendance"])]
        views = [_shown(tx, s, patient_id) for s in sessions]
    return sorted((v for v in views if _wanted(v, query)), key=lambda v: (v["session_start_time"], v["id"]))


def _patient(patient_id: int, master_id: str | None) -> dict[str, Any]:
    with ctx().store.read() as tx:
        patient = load(tx, "patient", patient_id)
    require_master_id(patient, master_id)
    return patient


@group_sessions.get("/group_sessions", responses=answers(200, GroupSessionsPage, 409))
def list_group_sessions(query: GroupSessionFilters):
    """Group sessions with their attendance and billing codes (paged; filters as Kipu's)"""
    return page(_listed(query), "group_sessions", query)


@group_sessions.get("/group_sessions/<id:group_session_id>", responses=answers(200, GroupSessionOne, 404))
def group_session(path: SessionPath):
    """One group session with its whole roster"""
    with ctx().store.read() as tx:
        return {"group_session": _shown(tx, load(tx, "group_session", path.group_session_id))}


@group_sessions.get("/patients/<id:patient_id>/group_sessions", responses=answers(200, GroupSessionsPage, 400, 404, 409))
def patient_group_sessions(path: PatientPath, query: PatientGroupSessionFilters):
    """The group sessions a patient is on the roster of, with only that patient's row (patient_master_id required; paged)"""
    patient = _patient(path.patient_id, query.patient_master_id)
    return page(_listed(query, patient["id"]), "group_sessions", query)


@group_sessions.get("/patients/<id:patient_id>/group_sessions/<id:group_session_id>",
                    responses=answers(200, GroupSessionOne, 400, 404))
def patient_group_session(path: PatientSessionPath, query: MasterId):
    """One group session of a patient, with only that patient's row (patient_master_id required)"""
    patient = _patient(path.patient_id, query.patient_master_id)
    with ctx().store.read() as tx:
        session = load(tx, "group_session", path.group_session_id)
        if not any(r["patient_id"] == patient["id"] for r in session["attendance"]):
            raise ApiError(404, f"group_session {session['id']} not found", [Problem(
                "id", f"group session {session['id']} does not list patient {patient['id']}")])
        return {"group_session": _shown(tx, session, patient["id"])}
