"""A patient's ICD-10-CM diagnoses (PAT-03, PAT-15, PAT-16): only billable codes, each once,
stored dotted with their description and the day they were added."""

from __future__ import annotations

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx, load
from ..common.routes import answers, blueprint, path_model
from .icd10 import lookup
from .kipu import patient_block, present
from .schemas import DiagnosisHistoryOut, DiagnosisIn, MasterId, PatientOut

diagnoses = blueprint("emr_diagnoses", __name__, "/api", "diagnoses",
                      "A patient's ICD-10-CM diagnoses: billable codes only, each sent on to the RCM (PAT-03)")
PatientPath = path_model("patient_id")


def icd10_billable(code: str) -> tuple[str | None, str | None]:
    """(dotted code, description) for a billable ICD-10-CM code, or (None, reason). The codes are
    simple_icd_10_cm's, read from a table built once per library version (icd10.py)."""
    raw = code.strip().upper()
    found = lookup(raw)
    if found is None:
        return None, f"{code!r} is not an ICD-10-CM code"
    dotted, description = found
    if description is None:
        return None, f"{code!r} is a category, not a billable code: use a more specific code"
    return dotted, description


@diagnoses.post("/patients/<id:patient_id>/diagnoses", responses=answers(201, PatientOut, 409))
def add_diagnosis(path: PatientPath, body: DiagnosisIn):
    """Add an ICD-10-CM diagnosis (PAT-03); a code that is not billable, or already there, is a 409"""
    dotted, description = icd10_billable(body.code)
    if dotted is None:
        raise ApiError(409, "invalid diagnosis", [Problem("code", description)])

    def change(tx):
        patient = load(tx, "patient", path.patient_id)
        if any(d["code"] == dotted for d in patient["diagnoses"]):
            raise ApiError(409, "diagnosis already on the patient", [Problem("code", f"{dotted} is already present")])
        if body.principal:
            for d in patient["diagnoses"]:
                d["principal"] = False
        patient["diagnoses"].append({
            "code": dotted,
            "description": description,
            "added_on": ctx().clock.today().isoformat(),
            "principal": body.principal or not patient["diagnoses"],
            "sequence": len(patient["diagnoses"]) + 1,
        })
        patient["last_updated_at"] = ctx().clock.now().isoformat()
        tx.put("patient", patient)
        return patient

    patient, extra = ctx().write(change, "diagnosis.added", {"code": dotted}, kind="patient")
    return {"patient": present(patient), **extra}, 201


@diagnoses.get("/patients/<id:patient_id>/diagnosis_history", responses=answers(200, DiagnosisHistoryOut))
def diagnosis_history(path: PatientPath, query: MasterId):
    """Diagnoses with the date each was added (patient_master_id required)"""
    return patient_block(path.patient_id, query.patient_master_id, "diagnosis_history",
                         lambda tx, patient: patient["diagnoses"])
