"""The models of what the EMR mirrors of the RCM (insurance, utilization reviews), of the edits
made only in the EMR, and of the EMR's own levels of care."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..common.schemas import Body, Date, Record, RequiredDate, Sex, choice, flag, integer, text
from .schemas import IdOrDigits, Pagination, Patient, PatientHead, Text, document

RELATIONSHIPS = ("Self", "Spouse", "Child", "Other")
PRIORITIES = ("Primary", "Secondary", "Tertiary")
RCM_STATUSES = ("Authorized", "Authorized - Not Required", "Denied", "Pending", "Required - Not Obtained",
                "Not Required")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

Relationship = choice(*RELATIONSHIPS)
Priority = choice(*PRIORITIES)


# -- the RCM's saves, as its integration posts them (plugins/rcm_to_emr.py) ----------------------

# Order and identity of the saves (mocks/emr/ordering.py); absent: applied as it comes.
Sequence = integer(minimum=1)
_SEQUENCE = (" (1, 2, 3... as it saves them): one older than the EMR last applied is answered 200 and not "
             "applied; the same one again is applied once; the same one with another body is a 409")

class RcmInsurance(Body):
    """One insurance of the episode's Insurance Set (INS-03..INS-13)."""

    rcm_insurance_id: integer(required=True) = Field(description="the insurance's id in the RCM")  # type: ignore[valid-type]
    insurance_company: text(100, required=True, example="Aetna")  # type: ignore[valid-type]
    policy_no: Text = None
    plan_name: Text = None
    effective_date: Date = None
    insurance_type: choice(*PRIORITIES, required=True)  # type: ignore[valid-type]
    insurance_phone: Text = None
    subscriber_first_name: Text = None
    subscriber_last_name: Text = None
    subscriber_relationship: choice(*RELATIONSHIPS, required=True) = Field(  # type: ignore[valid-type]
        description="Self: the EMR fills the subscriber's SSN and address from the patient (INS-11, INS-14)")
    subscriber_DOB: Date = None
    subscriber_gender: Sex = None


class RcmInsurances(Body):
    emr_patient_id: IdOrDigits = Field(description="the EMR patient (no such patient: 404)")
    insurances: list[RcmInsurance] = Field(description="the whole Insurance Set: the mirror becomes exactly this")
    sequence: Sequence = Field(None, description=f"the RCM's number for this patient's Insurance Set{_SEQUENCE}")


class RcmReview(Body):
    """One utilization review of the episode (AUTH-02..AUTH-12)."""

    rcm_review_id: integer(required=True) = Field(description="the review's id in the RCM")  # type: ignore[valid-type]
    start_date: RequiredDate
    end_date: RequiredDate
    number_of_days: integer(minimum=1) = None  # type: ignore[valid-type]
    authorization_date: Date = None
    authorization_number: Text = None
    status: Text = Field(None, description="as the EMR shows it (AUTH-07)")
    authorization_status: choice(*RCM_STATUSES, required=True) = Field(  # type: ignore[valid-type]
        description="the RCM's status: gives the EMR's Managed flag (AUTH-08)")
    level_of_care: Text = None
    next_review: Date = None
    insurance: Text = None
    # Kipu's U/R has these too; the mock RCM keeps none of them, so they arrive null (lcd false).
    frequency: Text = None
    lcd: flag() = Field(None, description="the review is for a last covered day (LCD)")  # type: ignore[valid-type]
    comment: text(500) = None  # type: ignore[valid-type]
    next_care_level: Text = None
    next_care_level_date: Date = None


class RcmReviews(Body):
    emr_patient_id: IdOrDigits = Field(description="the EMR patient (no such patient: 404)")
    utilization_reviews: list[RcmReview] = Field(description="all the episode's reviews: the mirror becomes exactly this")
    sequence: Sequence = Field(None, description=f"the RCM's number for this patient's U/R list{_SEQUENCE}")


class Received(BaseModel):
    received: int = Field(description="how many records the mirror now holds for the patient")


# -- edits made only in the EMR (INS-15) -----------------------------------------------------------

class InsuranceEditData(Body):
    insurance_company: Text = None
    insurance_phone: Text = None
    policy_no: Text = None
    plan_name: Text = None
    effective_date: Date = None
    insurance_type: Priority = None
    subscriber_first_name: Text = None
    subscriber_last_name: Text = None
    subscriber_relationship: Relationship = None
    subscriber_DOB: Date = None
    subscriber_gender: Sex = None


class ReviewEditData(Body):
    start_date: Date = None
    end_date: Date = None
    number_of_days: integer(minimum=1) = None  # type: ignore[valid-type]
    authorization_date: Date = None
    authorization_number: Text = None
    status: Text = None
    level_of_care: Text = None
    next_review: Date = None
    insurance: Text = None
    frequency: Text = None
    lcd: flag() = None  # type: ignore[valid-type]
    comment: text(500) = None  # type: ignore[valid-type]
    next_care_level: Text = None
    next_care_level_date: Date = None


InsuranceEdit = document(InsuranceEditData, "InsuranceEdit")
ReviewEdit = document(ReviewEditData, "ReviewEdit")


# -- the mirror as read ------------------------------------------------------------------------------

class _Mirrored(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    patient_id: int
    edited_in_emr: list[str] = Field(description="fields edited only in the EMR since the last RCM save")
    updated_at: str = Field(description="when the RCM last saved it")


class MirroredInsurance(_Mirrored):
    rcm_insurance_id: int
    insurance_company: str | None = None
    policy_no: str | None = None
    plan_name: str | None = None
    effective_date: str | None = None
    insurance_type: str | None = None
    insurance_phone: str | None = None
    subscriber_first_name: str | None = None
    subscriber_last_name: str | None = None
    subscriber_relationship: str | None = None
    subscriber_DOB: str | None = None
    subscriber_gender: str | None = None
    subscriber_SSN: str | None = Field(None, description="the patient's for Self, N/A otherwise (INS-11); "
                                                       "left out below phi_level=high (AMB-09)")
    subscriber_address_street: str | None = Field(None, description="as subscriber_SSN; left out at phi_level=low")
    subscriber_address_city: str | None = None
    subscriber_address_state: str | None = None
    subscriber_address_zip: str | None = None


class MirroredReview(_Mirrored):
    rcm_review_id: int
    start_date: str | None = None
    end_date: str | None = None
    number_of_days: int | None = None
    authorization_date: str | None = None
    authorization_number: str | None = None
    status: str | None = None
    authorization_status: str
    level_of_care: str | None = None
    next_review: str | None = None
    insurance: str | None = None
    frequency: str | None = None
    lcd: bool = Field(False, description="a last covered day review; false when the RCM does not say")
    comment: str | None = None
    next_care_level: str | None = None
    next_care_level_date: str | None = None
    managed: str = Field(examples=["Managed", "Nonmanaged"], description="AUTH-08")
    days_of_week: dict[str, bool] | None = Field(None, description="from the EMR's level of care (AUTH-11)")


class ReviewPatient(Record):
    """The patient of a U/R in /api/utilization_reviews/latest."""

    casefile_id: str
    first_name: str
    middle_name: str | None = None
    last_name: str
    dob: str | None = None
    admission_date: str | None = None
    discharge_date: str | None = None
    mr_number: str | None = None


class LatestReview(MirroredReview):
    patient: ReviewPatient


class InsuranceOut(BaseModel):
    insurance: MirroredInsurance


class ReviewOut(BaseModel):
    utilization_review: MirroredReview


class PatientWithInsurances(Patient):
    insurances: list[MirroredInsurance]


class PatientRead(BaseModel):
    patient: PatientWithInsurances


class PatientReviews(PatientHead):
    utilization_reviews: list[MirroredReview]


class PatientReviewsOut(BaseModel):
    patient: PatientReviews


class InsurancesPage(BaseModel):
    pagination: Pagination
    insurances: list[MirroredInsurance]


class ReviewsPage(BaseModel):
    pagination: Pagination
    utilization_reviews: list[LatestReview]


# -- payors: the RCM's payer list, shown read-only (SYS-04, AMB-10) ----------------------------------

class RcmPayor(Body):
    rcm_payer_id: integer(required=True) = Field(description="the payer's id in the RCM: its id in the EMR too")  # type: ignore[valid-type]
    name: text(100, required=True, example="Aetna")  # type: ignore[valid-type]
    payer_id: Text = Field(None, description="the payer's X12 ID", examples=["60054"])
    phone: Text = None
    claim_formats: list[choice("837P", "837I", required=True)] = Field(  # type: ignore[valid-type]
        default_factory=list, description="the claims the payer takes")


class RcmPayors(Body):
    payors: list[RcmPayor] = Field(description="the RCM's whole payer list: the EMR's becomes exactly this")
    sequence: Sequence = Field(None, description=f"the RCM's number for this payer list{_SEQUENCE}")


# -- levels of care (AUTH-11) ------------------------------------------------------------------------

Day = Annotated[bool, Field(strict=True)]


class Week(Body):
    sun: Day
    mon: Day
    tue: Day
    wed: Day
    thu: Day
    fri: Day
    sat: Day


class CareLevelIn(Body):
    care_level_name: text(100, required=True, example="Sober Living")  # type: ignore[valid-type]
    days_of_the_week: Week = Field(description="true on each day the level of care runs")


class KipuCodes(BaseModel):
    """Kipu's four billing code slots; an empty string where none is set."""

    HCode: str = Field(description="HCPCS", examples=["H0018"])
    CCode: str = Field(description="CPT", examples=[""])
    RCode: str = Field(description="revenue code", examples=["1002"])
    Custom: str = Field(examples=[""])


class IdName(BaseModel):
    id: int
    name: str


class CareLevel(BaseModel):
    """Kipu's level of care; ``id`` and ``care_level_uid`` are the mock's own."""

    model_config = ConfigDict(extra="allow")
    id: int
    care_level_id: int
    care_level_name: str
    care_level_uid: str | None = Field(None, description="shared with the RCM's service (BAT-05)")
    hours: int | float | None = None
    billable: bool = Field(description="true when a billing code is set")
    consider_as: str | None = Field(None, examples=["Residential"])
    days_of_the_week: dict[str, bool]
    place_of_service: str | None = None
    selected_billing_code: KipuCodes
    claim_format: str | None = Field(None, examples=["institutional"])
    type_of_bill: str | None = None
    occurrence_code: str | None = None
    occurrence_span_code: str | None = None
    value_code: str | None = None
    locations: list[IdName] = Field(description="the locations it runs at (every location, in the mock)")


class CareLevelOut(BaseModel):
    care_level: CareLevel


class CareLevels(BaseModel):
    care_levels: list[CareLevel]
