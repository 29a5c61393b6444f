"""What the RCM answers: patients with their profile and treatment episodes, payers, insurance
entries with verification and eligibility, authorizations, and the two windows. Every field a
record always carries is required here, so a drifting answer fails its check in the tests."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..common.schemas import Record

Priority = Literal["primary", "secondary", "tertiary"]
Relationship = Literal["Self", "Spouse", "Child", "Other"]
AuthorizationStatus = Literal["Authorized", "Authorized - Not Required", "Denied", "Pending",
                              "Required - Not Obtained", "Not Required"]


# -- patients ---------------------------------------------------------------------------------

class Profile(Record):
    patient_id: str | None = Field(description="the EMR's patient id, once the EMR has sent the patient")
    first_name: str | None
    last_name: str | None
    middle_initial: str | None = Field(description="AMB-06: the middle name's first letter")
    birthday: str | None
    phone: str | None
    social_security_number: str | None


class PatientAddress(Record):
    medical_record_number: str | None
    address: str | None
    city: str | None
    state: str | None
    zip_code: str | None


class AdmitDischarge(Record):
    admit_date: str | None
    admit_time: str | None
    discharge_date: str | None
    discharge_time: str | None


class Diagnosis(Record):
    code: str = Field(examples=["F10.20"])
    description: str
    start_date: str
    rank: int = Field(description="1 is the principal diagnosis")


class BehavioralDiagnoses(Record):
    admitting_diagnosis: str | None
    principal_diagnosis: str | None
    diagnoses: list[Diagnosis]


class Payer(Record):
    id: int
    name: str
    payer_id: str = Field(description="the payer's X12 ID", examples=["60054"])
    phone: str | None = None
    claim_formats: list[Literal["837P", "837I"]]


class HolderAddress(Record):
    address: str | None
    city: str | None
    state: str | None
    zip_code: str | None


class PolicyHolder(Record):
    insurance_id: str | None
    plan_name: str | None
    first_name: str | None
    last_name: str | None
    birthday: str | None
    gender: str | None
    relationship: Relationship
    ssn: str | None = Field(description="the patient's own, for Self only (from the EMR)")
    address: HolderAddress | None = Field(description="the patient's own, for Self only (from the EMR)")


class Verified(Record):
    by: str
    at: str


class Benefit(Record):
    info: str = Field(description='EB01: "1" active coverage, "6" inactive, ...')
    service_types: list[str]
    authorization_required: bool
    message: str


class EligibilityReviewed(Record):
    by: str
    at: str
    note: str


class Eligibility(Record):
    status: Literal["active", "inactive", "auth_required", "not_found"]
    benefits: list[Benefit]
    reject_reason: str
    trace_number: str
    checked_at: str
    reviewed: EligibilityReviewed | None


class InsuranceEntry(Record):
    id: int
    priority: Priority
    payer: Payer = Field(description="the payer as it was when the insurance was saved")
    effective_date: str
    policy_holder: PolicyHolder
    verified: Verified | None
    eligibility: Eligibility | None
    saved_at: str


class SetHolder(Record):
    gender: str | None = Field(description="the patient's birth sex, from the EMR (PAT-09)")


class InsuranceSet(Record):
    policy_holder: SetHolder
    insurances: list[InsuranceEntry]


class IntakeInsurance(Record):
    insurance_set: InsuranceSet


class Intake(Record):
    patient_profile: PatientAddress
    admit_discharge: AdmitDischarge
    behavioral_diagnoses: BehavioralDiagnoses
    insurance: IntakeInsurance


class AuthorizationEntry(Record):
    id: int
    start_date: str
    end_date: str
    units: int
    authorization_number: str | None
    authorization_status: AuthorizationStatus
    service: str
    um_follow_up_date: str | None
    payer: Payer | None
    rendering_provider: str | None
    saved_at: str


class Scheduling(Record):
    utilization_reviews: list[AuthorizationEntry]
    standalone_authorizations: list[AuthorizationEntry]


class Episode(Record):
    id: int
    intake: Intake
    scheduling_and_utilization: Scheduling


class Patient(Record):
    id: int
    status: Literal["Prospective Patient", "Admitted"]
    emr_patient_id: str | None
    crm_prospect_id: int | None
    profile: Profile
    treatment_episodes: list[Episode]
    created_at: str
    updated_at: str


# -- envelopes --------------------------------------------------------------------------------

class PatientOut(BaseModel):
    patient: Patient


class PatientsOut(BaseModel):
    patients: list[Patient]


class PayerOut(BaseModel):
    payer: Payer


class PayersOut(BaseModel):
    payers: list[Payer]


class Sent(Record):
    sent: bool


class InsuranceOut(BaseModel):
    insurance: InsuranceEntry
    emr: Sent | None = Field(None, description="what the integration did: the Insurance Set sent to the EMR")


class AuthorizationOut(BaseModel):
    authorization: AuthorizationEntry
    emr: Sent | None = Field(None, description="what the integration did: the U/R sent to the EMR")


class EligibilityOut(BaseModel):
    eligibility: Eligibility


class InsuranceWindow(BaseModel):
    patient_id: int
    episode_id: int
    profile: Profile
    insurances: list[InsuranceEntry]


class ReviewWindow(BaseModel):
    patient_id: int
    episode_id: int
    profile: Profile
    utilization_reviews: list[AuthorizationEntry]
    standalone_authorizations: list[AuthorizationEntry]
