"""The CRM's request and response models: they validate, and they are the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..common.schemas import Body, Date, Email, Name, OptionalName, Phone, Record, Sex, Ssn, State, Zip, text


class ProspectIn(Body):
    first_name: Name
    middle_name: OptionalName = None
    last_name: Name = Field(examples=["Lopez"])
    dob: Date = Field(None, description="date of birth; not in the future")
    gender: Sex = None
    phone: Phone = None
    email: Email = None
    address_street: text(100) = None  # type: ignore[valid-type]
    address_city: text(100) = None  # type: ignore[valid-type]
    address_state: State = None
    address_zip: Zip = None
    ssn: Ssn = None


class InsuranceIn(Body):
    payer_name: text(100, required=True, example="Aetna")  # type: ignore[valid-type]
    policy_number: text(50, required=True, example="W123456789")  # type: ignore[valid-type]
    group_number: text(50) = None  # type: ignore[valid-type]
    subscriber_name: text(100) = None  # type: ignore[valid-type]
    relationship: text(50) = None  # type: ignore[valid-type]


class OpportunityIn(Body):
    level_of_care: text(100, example="Residential") = None  # type: ignore[valid-type]
    program: text(100) = None  # type: ignore[valid-type]
    expected_admission_date: Date = None


class Insurance(Record):
    payer_name: str
    policy_number: str
    group_number: str | None = None
    subscriber_name: str | None = None
    relationship: str | None = None


class Opportunity(Record):
    id: int
    prospect_id: int
    status: str = Field(examples=["open", "pushed"])
    level_of_care: str | None = None
    program: str | None = None
    expected_admission_date: str | None = None
    emr_patient_id: int | None = None


class Prospect(Record):
    id: int
    first_name: str
    middle_name: str
    last_name: str
    dob: str | None = None
    gender: str | None = None
    phone: str | None = None
    email: str | None = None
    address_street: str | None = None
    address_city: str | None = None
    address_state: str | None = None
    address_zip: str | None = None
    ssn: str | None = Field(None, description="as entered, normalised to 123-45-6789")
    insurance: list[Insurance]
    created_at: str
    opportunities: list[Opportunity] | None = Field(None, description="on a single prospect's read")


class ProspectOut(BaseModel):
    prospect: Prospect


class ProspectsOut(BaseModel):
    prospects: list[Prospect]


class OpportunityOut(BaseModel):
    opportunity: Opportunity


class Pushed(Record):
    opportunity: Opportunity
    emr: dict | None = Field(None, description="what the integration did: the EMR received it")

