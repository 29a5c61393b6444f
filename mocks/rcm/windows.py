"""The RCM side of Manage Insurance and Manage Review (WF-3.1, WF-4.1): what an EMR user can do
through a window link, always on that patient's current treatment episode."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from kipu_harness.events import Problem

from ..common import windows
from ..common.base import ApiError, ctx, json_body
from .eligibility import run_check
from .insurance import insurance_set, save_insurance
from .review import save_review

window = Blueprint("window", __name__, url_prefix="/rcm/window/<emr_patient_id>")


def _open(emr_patient_id: str, scope: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The patient and current episode the link opens, or a 403 saying why the link is refused."""
    try:
        windows.verify(ctx().secret, request.args.get("token", ""), emr_patient_id=emr_patient_id, scope=scope,
                       now=ctx().clock.now())
    except windows.WindowRefused as refused:
        raise ApiError(403, str(refused), [Problem("token", str(refused))]) from None
    with ctx().store.read() as tx:
        found = tx.find("patient", emr_patient_id=str(emr_patient_id))
    if not found or not found[0]["treatment_episodes"]:
        raise ApiError(404, "the patient is not admitted in the RCM yet",
                       [Problem("emr_patient_id", "send the patient to the RCM first (initial connection)")])
    return found[0], found[0]["treatment_episodes"][-1]


@window.get("/insurance")
def show_insurance(emr_patient_id: str):
    patient, episode = _open(emr_patient_id, "insurance")
    return jsonify({"patient_id": patient["id"], "episode_id": episode["id"], "profile": patient["profile"],
                    "insurances": insurance_set(episode)})


@window.post("/insurance/insurances")
def add_insurance(emr_patient_id: str):
    patient, episode = _open(emr_patient_id, "insurance")
    entry, extra = save_insurance(ctx(), patient["id"], episode["id"], json_body())
    return jsonify({"insurance": entry, **extra}), 201


@window.patch("/insurance/insurances/<insurance_id>")
def edit_insurance(emr_patient_id: str, insurance_id: str):
    patient, episode = _open(emr_patient_id, "insurance")
    entry, extra = save_insurance(ctx(), patient["id"], episode["id"], json_body(), insurance_id)
    return jsonify({"insurance": entry, **extra})


@window.post("/insurance/insurances/<insurance_id>/eligibility")
def eligibility(emr_patient_id: str, insurance_id: str):
    """WF-3.4: the eligibility check is started from the EMR, through the window."""
    patient, episode = _open(emr_patient_id, "insurance")
    return jsonify({"eligibility": run_check(ctx(), patient["id"], episode["id"], insurance_id)})


@window.get("/review")
def show_reviews(emr_patient_id: str):
    patient, episode = _open(emr_patient_id, "review")
    return jsonify({"patient_id": patient["id"], "episode_id": episode["id"], "profile": patient["profile"],
                    **episode["scheduling_and_utilization"]})


def _review_routes(kind: str) -> None:
    def add(emr_patient_id: str):
        patient, episode = _open(emr_patient_id, "review")
        entry, extra = save_review(ctx(), kind, patient["id"], episode["id"], json_body())
        return jsonify({"authorization": entry, **extra}), 201

    def edit(emr_patient_id: str, review_id: str):
        patient, episode = _open(emr_patient_id, "review")
        entry, extra = save_review(ctx(), kind, patient["id"], episode["id"], json_body(), review_id)
        return jsonify({"authorization": entry, **extra})

    window.add_url_rule(f"/review/{kind}", f"add_{kind}", add, methods=["POST"])
    window.add_url_rule(f"/review/{kind}/<review_id>", f"edit_{kind}", edit, methods=["PATCH"])


for _kind in ("utilization_reviews", "standalone_authorizations"):
    _review_routes(_kind)
