"""The models of the EMR's evaluations as Kipu's API v3 has them: evaluation templates (the EMR's
billable templates of kind evaluation), patient evaluations as listed and in detail, and the
`document` body that documents one (which bills it, WF-5.1)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..common.schemas import DATE, TIME, Body, Query, Record, choice, date, integer, text
from .billing_schemas import BillingItem, Minutes
from .directory_schemas import Flag, LocationRef, QueryNumber
from .mirror_schemas import KipuCodes
from .schemas import MasterId, Npi, Paged, Pagination, QueryDate, document

CONTENTS = ("standard", "notes", "treatment_plan")


# -- documenting one (POST /api/patients/{id}/patient_evaluations) -----------------------------------

class PatientEvaluationData(Body):
    """What a documented evaluation says: which evaluation, when, how long and by whom."""

    evaluation_id: integer(required=True) = Field(  # type: ignore[valid-type]
        description="an evaluation of GET /api/evaluations (unknown: 404; a group session template: 409)")
    start_time: date(required=True, with_time=True) = Field(  # type: ignore[valid-type]
        description="when it started: its day is the date of service; without a time, the integration's default_time")
    end_time: text(16, pattern=f"^{DATE}T{TIME}$", what="a date and time (YYYY-MM-DDTHH:MM)",  # type: ignore[valid-type]
                   example="2026-03-05T10:00") = Field(
        None, description="when it ended: not before start_time, which must then have a time (409)")
    duration: Minutes = Field(None, description="how long it lasted, in minutes; with end_time, the two must agree (409)")
    rendering_provider: Npi = Field(None, description="the NPI of the provider who rendered it")


PatientEvaluationIn = document(PatientEvaluationData, "PatientEvaluationIn")


# -- queries --------------------------------------------------------------------------------------------

class EvaluationFilters(Paged):
    evaluation_id: QueryNumber = Field(None, description="only evaluations of this template")
    completed_only: Flag = Field(None, description="true: only completed evaluations (every one, in the mock)")
    current_census_only: Flag = Field(None, description="true: only patients admitted and not discharged")
    start_date: QueryDate = Field(None, description="only evaluations created on or after this day")
    end_date: QueryDate = Field(None, description="only evaluations created on or before this day (not before "
                                                  "start_date: 409)")
    include_stranded: Flag = Field(None, description="include evaluations without a patient (there are none, in the mock)")
    patient_process_id: QueryNumber = Field(None, description="only evaluations of this patient process")
    evaluation_content: choice(*CONTENTS) = Field(None, description="only evaluations with this content")  # type: ignore[valid-type]


class PatientEvaluationFilters(MasterId, EvaluationFilters):
    """A patient's evaluations: Kipu reads them only with the patient's patient_master_id."""


class SettingsQuery(Query):
    include_settings: Flag = Field(None, description="true: adds the billing settings, rendering_provider, locked "
                                                     "and patient_evaluation_items")


# -- evaluation templates ---------------------------------------------------------------------------------

class EvaluationItem(Record):
    id: int
    name: str = Field(examples=["Time of service"])
    field_type: str = Field(examples=["start_end_time"])


class Evaluation(Record):
    id: int
    name: str = Field(examples=["Individual Therapy 60"])
    enabled: bool
    patient_process_id: int | None = None
    billable: bool
    billing_codes: KipuCodes
    billable_claim_format: str = Field(examples=["Professional"])
    place_of_service: str = Field(examples=["55"])
    ancillary: bool
    evaluation_type: str = Field(examples=["progress_note"])
    evaluation_content: str = Field(examples=list(CONTENTS))
    locations: list[LocationRef]
    evaluation_items: list[EvaluationItem]


class EvaluationsPage(BaseModel):
    pagination: Pagination
    evaluations: list[Evaluation]


class EvaluationOne(BaseModel):
    evaluation: Evaluation


# -- patient evaluations ---------------------------------------------------------------------------------

class PatientEvaluationItem(Record):
    id: int
    evaluation_item_id: int
    name: str
    field_type: str = Field(examples=["start_end_time"])
    start_time: str | None = Field(None, examples=["2026-03-05T09:00:00"])
    end_time: str | None = Field(None, examples=["2026-03-05T10:00:00"])
    duration: str | None = Field(None, description="minutes, as a string", examples=["60"])
    timestamp: str


class RenderingProviderRef(BaseModel):
    id: str | None = Field(None, description="the provider in GET /api/providers; null for an NPI the EMR lacks")
    name: str | None = None
    npi: str


class PatientEvaluation(Record):
    """A patient evaluation as Kipu lists it; ``billing_item_id`` is the mock's: its Billing Audit Tool item."""

    id: int
    name: str
    status: str = Field(examples=["Completed"])
    patient_casefile_id: str = Field(description="v3's name (v4: casefile_id)")
    evaluation_id: int
    patient_process_id: int | None = None
    created_at: str
    created_by: str | None = None
    updated_at: str
    updated_by: str | None = None
    evaluation_content: str
    billing_item_id: int | None = None


class PatientEvaluationDetail(PatientEvaluation):
    """With include_settings=true, also the evaluation's billing settings and its items."""

    billable: bool | None = None
    evaluation_type: str | None = None
    billing_codes: KipuCodes | None = None
    place_of_service: str | None = None
    billable_claim_format: str | None = None
    ancillary: bool | None = None
    rendering_provider: RenderingProviderRef | None = None
    locked: bool | None = None
    patient_evaluation_items: list[PatientEvaluationItem] | None = None


class PatientEvaluationsPage(BaseModel):
    pagination: Pagination
    patient_evaluations: list[PatientEvaluation]


class PatientEvaluationOne(BaseModel):
    patient_evaluation: PatientEvaluationDetail


class PatientEvaluationOut(BaseModel):
    patient_evaluation: PatientEvaluationDetail = Field(description="as GET ...?include_settings=true shows it")
    billing_item: BillingItem = Field(description="its item on the Billing Audit Tool Report (WF-5.1)")
