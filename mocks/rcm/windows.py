"""The RCM side of Manage Insurance and Manage Review (WF-3.1, WF-4.1): what an EMR user can do
through a window link, always on that patient's current treatment episode."""

from __future__ import annotations

from typing import Any

from kipu_harness.events import Problem

from ..common import windows
from ..common.base import ApiError, ctx
from ..common.routes import answers, blueprint, path_model
from .eligibility import run_check
from .insurance import insurance_set, save_insurance
from .review import KINDS, declare, save_review
from .schemas import AuthorizationChange, AuthorizationIn, InsuranceChange, InsuranceIn, WindowQuery
from .schemas_records import EligibilityOut, InsuranceOut, InsuranceWindow, ReviewWindow

window = blueprint("window", __name__, "/rcm/window", "windows",
                   "Manage Insurance and Manage Review: links from the EMR into the RCM (WF-3.1, WF-4.1)")
WindowPath = path_model("emr_patient_id")
InsurancePath = path_model("emr_patient_id", "insurance_id")
ReviewPath = path_model("emr_patient_id", "review_id")
REFUSED = (403,)  # a link refused: invalid, for another patient or scope, or expired


def _open(emr_patient_id: int, token: str | None, scope: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The patient and current episode the link opens, or a 403 saying why the link is refused."""
    try:
        windows.verify(ctx().secret, token or "", emr_patient_id=str(emr_patient_id), scope=scope,
                       now=ctx().clock.now())
    except windows.WindowRefused as refused:
        raise ApiError(403, str(refused), [Problem("token", str(refused))]) from None
    with ctx().store.read() as tx:
        found = tx.find("patient", emr_patient_id=str(emr_patient_id))
    if not found or not found[0]["treatment_episodes"]:
        raise ApiError(404, "the patient is not admitted in the RCM yet",
                       [Problem("emr_patient_id", "send the patient to the RCM first (initial connection)")])
    return found[0], found[0]["treatment_episodes"][-1]


@window.get("/<id:emr_patient_id>/insurance", responses=answers(200, InsuranceWindow, *REFUSED))
def show_insurance(path: WindowPath, query: WindowQuery):
    """Manage Insurance window (token from the EMR)"""
    patient, episode = _open(path.emr_patient_id, query.token, "insurance")
    return {"patient_id": patient["id"], "episode_id": episode["id"], "profile": patient["profile"],
            "insurances": insurance_set(episode)}


@window.post("/<id:emr_patient_id>/insurance/insurances", responses=answers(201, InsuranceOut, *REFUSED, 409))
def add_insurance(path: WindowPath, query: WindowQuery, body: InsuranceIn):
    """Add an insurance through the window"""
    patient, episode = _open(path.emr_patient_id, query.token, "insurance")
    entry, extra = save_insurance(ctx(), patient["id"], episode["id"], body.model_dump(exclude_unset=True))
    return {"insurance": entry, **extra}, 201


@window.patch("/<id:emr_patient_id>/insurance/insurances/<id:insurance_id>",
              responses=answers(200, InsuranceOut, *REFUSED, 409))
def edit_insurance(path: InsurancePath, query: WindowQuery, body: InsuranceChange):
    """Edit an insurance through the window"""
    patient, episode = _open(path.emr_patient_id, query.token, "insurance")
    entry, extra = save_insurance(ctx(), patient["id"], episode["id"], body.model_dump(exclude_unset=True),
                                  path.insurance_id)
    return {"insurance": entry, **extra}


@window.post("/<id:emr_patient_id>/insurance/insurances/<id:insurance_id>/eligibility",
             responses=answers(200, EligibilityOut, *REFUSED, 409, 502, 503))
def eligibility(path: InsurancePath, query: WindowQuery):
    """Check eligibility through the window (WF-3.4)"""
    patient, episode = _open(path.emr_patient_id, query.token, "insurance")
    return {"eligibility": run_check(ctx(), patient["id"], episode["id"], path.insurance_id)}


@window.get("/<id:emr_patient_id>/review", responses=answers(200, ReviewWindow, *REFUSED))
def show_reviews(path: WindowPath, query: WindowQuery):
    """Manage Review window (token from the EMR)"""
    patient, episode = _open(path.emr_patient_id, query.token, "review")
    return {"patient_id": patient["id"], "episode_id": episode["id"], "profile": patient["profile"],
            **episode["scheduling_and_utilization"]}


def _review_routes(kind: str) -> None:
    what = "a U/R" if kind == "utilization_reviews" else "a standalone authorization"

    def add(path, query, body):
        patient, episode = _open(path.emr_patient_id, query.token, "review")
        entry, extra = save_review(ctx(), kind, patient["id"], episode["id"], body.model_dump(exclude_unset=True))
        return {"authorization": entry, **extra}, 201

    def edit(path, query, body):
        patient, episode = _open(path.emr_patient_id, query.token, "review")
        entry, extra = save_review(ctx(), kind, patient["id"], episode["id"], body.model_dump(exclude_unset=True),
                                   path.review_id)
        return {"authorization": entry, **extra}

    rule = f"/<id:emr_patient_id>/review/{kind}"
    declare(window, rule, "post", f"add_{kind}", f"Add {what} through the window", 201, add, WindowPath,
            AuthorizationIn, *REFUSED, 409, query=WindowQuery)
    declare(window, f"{rule}/<id:review_id>", "patch", f"edit_{kind}", f"Edit {what} through the window", 200, edit,
            ReviewPath, AuthorizationChange, *REFUSED, 409, query=WindowQuery)


for _kind in KINDS:
    _review_routes(_kind)
