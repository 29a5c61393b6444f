"""What the EMR mirrors of the RCM (INS, AUTH, SYS-04): insurance, utilization reviews and the payer
list as the RCM last saved them, the fields the EMR fills itself, and the EMR's own level-of-care
configuration."""

from __future__ import annotations

from typing import Any

from kipu_harness.events import Problem

from ..common import facility
from ..common.base import ApiError, ctx, load
from ..common.routes import answers, blueprint, path_model, refusal
from .kipu import check_range, page, patient_block, present
from .mirror_schemas import (CareLevelIn, CareLevelOut, CareLevels, InsuranceEdit, InsuranceOut, InsurancesPage,
                             PatientReviewsOut, RcmInsurances, RcmPayors, RcmReviews, Received, ReviewEdit, ReviewOut,
                             ReviewsPage)
from .ordering import write_in_order
from .placement import locations
from .schemas import Between, MasterId

webhooks = blueprint("emr_rcm_webhooks", __name__, "/api/integrations/rcm", "RCM saves",
                     "What the RCM's integration posts on every save: the episode's whole Insurance Set or U/R "
                     "list, or the whole payer list")
mirror = blueprint("emr_mirror", __name__, "/api", "insurance and U/R",
                   "Insurance and utilization reviews as the RCM last saved them; edits made only in the EMR (INS-15)")
care_levels_api = blueprint("emr_care_levels", __name__, "/api", "levels of care",
                            "The EMR's levels of care and the days of the week each runs (AUTH-11)")
InsurancePath = path_model("patient_id", "insurance_id")
ReviewPath = path_model("patient_id", "review_id")
PatientPath = path_model("patient_id")

# AUTH-08: the EMR's Managed flag from the RCM's authorization status.
MANAGED = {"Authorized": "Managed", "Denied": "Managed", "Pending": "Managed",
           "Required - Not Obtained": "Managed", "Not Required": "Nonmanaged"}
SELF_ONLY = ("subscriber_SSN", "subscriber_address_street", "subscriber_address_city",
             "subscriber_address_state", "subscriber_address_zip")


def managed(rcm_status: str, settings: Any) -> str:
    if rcm_status == "Authorized - Not Required":  # AMB-01: the overview lists it under neither
        return settings.auth_not_required_managed.capitalize()
    return MANAGED[rcm_status]


def self_fields(patient: dict[str, Any], relationship: str) -> dict[str, str]:
    """INS-11/INS-14 (AMB-04): the EMR's own data for Self, N/A for anyone else."""
    if relationship != "Self":
        return {name: "N/A" for name in SELF_ONLY}
    return {
        "subscriber_SSN": patient.get("ssn") or "",
        "subscriber_address_street": patient.get("address_street") or "",
        "subscriber_address_city": patient.get("address_city") or "",
        "subscriber_address_state": patient.get("state") or "",
        "subscriber_address_zip": patient.get("address_zip") or "",
    }


def as_shown(patient: dict[str, Any], insurance: dict[str, Any]) -> dict[str, Any]:
    """An insurance as the EMR shows it: its own fields filled from the patient as the patient is
    now (INS-11/INS-14: the EMR is their source), whatever the RCM last sent."""
    return {**insurance, **self_fields(patient, insurance.get("subscriber_relationship") or "")}


def days_of_week(tx, level_of_care: str | None) -> dict[str, bool] | None:
    """AUTH-11: from the EMR's own level-of-care configuration, never from the RCM."""
    found = [c for c in tx.all("care_level") if c["care_level_name"] == level_of_care]
    return found[0]["days_of_the_week"] if found else None


def _patient(tx, patient_id: int) -> dict[str, Any]:
    patient = tx.get("patient", patient_id)
    if patient is None:
        raise ApiError(404, f"EMR patient {patient_id} not found", [Problem("emr_patient_id", "no such patient")])
    return patient


def primary_company(tx, patient: dict[str, Any]) -> None:
    """The patient's insurance_company: the payer of its primary mirrored insurance, else null."""
    primary = [i for i in tx.find("insurance", patient_id=patient["id"]) if i.get("insurance_type") == "Primary"]
    patient["insurance_company"] = primary[0]["insurance_company"] if primary else None
    tx.put("patient", patient)


def _replace(tx, kind: str, patient_id: int, key: str, incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make the patient's mirror equal to what the RCM sent: upsert by the RCM's id, drop the rest."""
    current = {r[key]: r for r in tx.find(kind, patient_id=patient_id)}
    now = ctx().clock.now().isoformat()
    kept = []
    for values in incoming:
        record = current.pop(values[key], None) or tx.insert(kind, {"patient_id": patient_id})
        # The RCM's save wins over any local edit (INS-15): the record is rebuilt from the message.
        record = {"id": record["id"], "patient_id": patient_id, **values, "edited_in_emr": [], "updated_at": now}
        tx.put(kind, record)
        kept.append(record)
    for stale in current.values():
        tx.delete(kind, stale["id"])
    return kept


# -- the RCM's saves ---------------------------------------------------------------------------------

@webhooks.post("/insurances", responses=answers(200, Received, 404, 409))
def receive_insurances(body: RcmInsurances):
    """Webhook: the RCM's Insurance Set for a patient, which the mirror becomes (INS-01..INS-14)"""
    def change(tx):
        patient = _patient(tx, body.emr_patient_id)
        incoming = [{**i.model_dump(), **self_fields(patient, i.subscriber_relationship)} for i in body.insurances]
        _replace(tx, "insurance", patient["id"], "rcm_insurance_id", incoming)
        primary_company(tx, patient)
        return patient

    held = write_in_order("insurances", body.emr_patient_id, body, change, "insurance.received",
                          lambda tx: len(tx.find("insurance", patient_id=body.emr_patient_id)))
    return {"received": len(body.insurances) if held is None else held}


@webhooks.post("/utilization_reviews", responses=answers(200, Received, 404, 409))
def receive_reviews(body: RcmReviews):
    """Webhook: the RCM's utilization reviews for a patient, which the mirror becomes (AUTH-01..AUTH-12)"""
    def change(tx):
        patient = _patient(tx, body.emr_patient_id)
        incoming = [{**r.model_dump(), "lcd": bool(r.lcd), "managed": managed(r.authorization_status, ctx().settings),
                     "days_of_week": days_of_week(tx, r.level_of_care)}
                    for r in body.utilization_reviews]
        _replace(tx, "utilization_review", patient["id"], "rcm_review_id", incoming)
        return patient

    held = write_in_order("utilization_reviews", body.emr_patient_id, body, change, "utilization_review.received",
                          lambda tx: len(tx.find("utilization_review", patient_id=body.emr_patient_id)))
    return {"received": len(body.utilization_reviews) if held is None else held}


@webhooks.post("/payors", responses=answers(200, Received, 409))
def receive_payors(body: RcmPayors):
    """Webhook: the RCM's whole payer list, which /api/settings/payors becomes (SYS-04, AMB-10)"""
    now = ctx().clock.now().isoformat()

    def change(tx):
        for stale in tx.all("payor"):
            tx.delete("payor", stale["id"])
        for payor in body.payors:
            tx.put("payor", {"id": payor.rcm_payer_id, "name": payor.name, "code": payor.payer_id,
                             "phone": payor.phone, "claim_formats": payor.claim_formats, "updated_at": now})
        return {}

    held = write_in_order("payors", 1, body, change, None, lambda tx: len(tx.all("payor")))
    return {"received": len(body.payors) if held is None else held}


# -- edits made only in the EMR (INS-15) -----------------------------------------------------------

def _local_edit(kind: str, patient_id: int, record_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """An edit made only in the EMR: kept here, never sent to the RCM, until the next RCM save."""
    def change(tx):
        record = load(tx, kind, record_id)
        if record["patient_id"] != patient_id:
            raise ApiError(404, f"{kind} {record_id} not found", [Problem("id", f"not a record of patient {patient_id}")])
        record.update(values)
        record["edited_in_emr"] = sorted(set(record.get("edited_in_emr", [])) | set(values))
        tx.put(kind, record)
        if kind == "insurance":
            primary_company(tx, load(tx, "patient", patient_id))
        return record

    record, _ = ctx().write(change, f"{kind}.edited_in_emr", kind=kind)
    return record


@mirror.patch("/patients/<id:patient_id>/insurances/<id:insurance_id>", responses=answers(200, InsuranceOut, 409))
def edit_insurance(path: InsurancePath, body: InsuranceEdit):
    """Edit an insurance in the EMR only (INS-15: overwritten by the next RCM save)"""
    data = body.document.data
    values = data.model_dump(include=data.model_fields_set)
    return {"insurance": _local_edit("insurance", path.patient_id, path.insurance_id, values)}


@mirror.patch("/patients/<id:patient_id>/ur/<id:review_id>", responses=answers(200, ReviewOut, 409))
def edit_review(path: ReviewPath, body: ReviewEdit):
    """Edit a U/R in the EMR only (overwritten by the next RCM save)"""
    data = body.document.data
    values = data.model_dump(include=data.model_fields_set)
    if "lcd" in values:
        values["lcd"] = bool(values["lcd"])  # null: not a last covered day review, as the RCM's null is
    return {"utilization_review": _local_edit("utilization_review", path.patient_id, path.review_id, values)}


# What the RCM owns (SYS-03): the EMR shows insurance and U/R, and refuses to write them.
def _insurance() -> None:
    raise ApiError(403, "insurance is owned by the RCM", [Problem("insurance", "is entered in the RCM: use Manage Insurance")])


def _review() -> None:
    raise ApiError(403, "utilization review is owned by the RCM",
                   [Problem("utilization_review", "is entered in the RCM: use Manage Review")])


_INSURANCE = "Refused with 403: insurance is entered in the RCM (SYS-03)"
_REVIEW = "Refused with 403: utilization review is entered in the RCM (SYS-03)"
refusal(mirror, ("post",), "/patients/<id:patient_id>/insurances", PatientPath, _INSURANCE, _insurance)
refusal(mirror, ("put", "delete"), "/patients/<id:patient_id>/insurances/<id:insurance_id>", InsurancePath,
        _INSURANCE, _insurance)
refusal(mirror, ("post",), "/patients/<id:patient_id>/ur", PatientPath, _REVIEW, _review)
refusal(mirror, ("put", "delete"), "/patients/<id:patient_id>/ur/<id:review_id>", ReviewPath, _REVIEW, _review)


def _eligibility() -> None:
    raise ApiError(403, "eligibility is owned by the RCM",
                   [Problem("eligibility", "is checked and reviewed in the RCM: use Manage Insurance")])


def _claim() -> None:
    raise ApiError(403, "claims are made in the RCM",
                   [Problem("claim", "is created in the RCM's Work Center from transmitted charges")])


refusal(mirror, ("post",), "/patients/<id:patient_id>/eligibility", PatientPath,
        "Refused with 403: eligibility is checked in the RCM (SYS-03)", _eligibility)
refusal(mirror, ("post",), "/patients/<id:patient_id>/claims", PatientPath,
        "Refused with 403: claims are made in the RCM's Work Center (SYS-03, WF-5.4)", _claim)


# -- reads -----------------------------------------------------------------------------------------

@mirror.get("/patients/<id:patient_id>/ur", responses=answers(200, PatientReviewsOut, 400))
def patient_reviews(path: PatientPath, query: MasterId):
    """Utilization reviews mirrored from the RCM (patient_master_id required)"""
    return patient_block(path.patient_id, query.patient_master_id, "utilization_reviews",
                         lambda tx, patient: tx.find("utilization_review", patient_id=patient["id"]))


REVIEW_PATIENT = ("casefile_id", "first_name", "middle_name", "last_name", "dob", "admission_date",
                  "discharge_date", "mr_number")


def _latest(kind: str, key: str, query: Between) -> dict[str, Any]:
    check_range(query)
    with ctx().store.read() as tx:
        rows = [r for r in tx.all(kind) if query.start_date <= r["updated_at"][:10] <= query.end_date]
        if kind == "insurance":
            rows = [as_shown(tx.get("patient", r["patient_id"]) or {}, r) for r in rows]
        else:  # Kipu's U/R list names each review's patient
            patients, places = [tx.get("patient", i) for i in {r["patient_id"] for r in rows}], locations(tx)
            views = {p["id"]: present(p, places) for p in patients if p}
            rows = [{**r, "patient": {k: views[r["patient_id"]][k] for k in REVIEW_PATIENT}}
                    for r in rows if r["patient_id"] in views]
    return page(rows, key, query)


@mirror.get("/insurances/latest", responses=answers(200, InsurancesPage, 409))
def insurances_latest(query: Between):
    """Insurances updated between start_date and end_date (paged)"""
    return _latest("insurance", "insurances", query)


@mirror.get("/utilization_reviews/latest", responses=answers(200, ReviewsPage, 409))
def reviews_latest(query: Between):
    """Utilization reviews updated between start_date and end_date (paged)"""
    return _latest("utilization_review", "utilization_reviews", query)


# -- levels of care (AUTH-11) ------------------------------------------------------------------------

def shown_care_level(tx, record: dict[str, Any]) -> dict[str, Any]:
    """A level of care as Kipu's GET /api/care_levels shows it: every level runs at every location."""
    return {**record, "locations": [{"id": place["id"], "name": place["location_name"]} for place in tx.all("location")]}


@care_levels_api.get("/care_levels", responses=answers(200, CareLevels))
def care_levels():
    """Levels of care (Kipu's fields, not paged) with their days of the week (AUTH-11)"""
    with ctx().store.read() as tx:
        return {"care_levels": [shown_care_level(tx, c) for c in tx.all("care_level")]}


@care_levels_api.post("/care_levels", responses=answers(201, CareLevelOut, 409))
def create_care_level(body: CareLevelIn):
    """Configure a level of care and the days of the week it runs (AUTH-11)"""
    name, days = body.care_level_name, body.days_of_the_week.model_dump()

    def change(tx):
        if any(lc["care_level_name"] == name for lc in tx.all("care_level")):
            raise ApiError(409, "level of care exists", [Problem("care_level_name", f"{name!r} already exists")])
        record = tx.insert("care_level", facility.care_level(name, days))
        record["care_level_id"] = record["id"]
        tx.put("care_level", record)
        return record

    record, _ = ctx().write(change, "care_level.created", kind="care_level")
    with ctx().store.read() as tx:
        return {"care_level": shown_care_level(tx, record)}, 201
