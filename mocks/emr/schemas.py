"""The EMR's shared request shapes and its patients' models, as Kipu's API v3 has them: `document`
envelopes, paged queries with string pagination, patient_master_id on every patient read, a patient
as written and as read. They validate, and they are the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, WithJsonSchema, \
    create_model, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..common.schemas import (DATE, MAX_ID, PLAIN, Body, Date, Email, Name, OptionalName, Phone, ProblemOut, Query, Record,
                              Sex, Ssn, State, Zip, choice, date, integer, ssn_digits, text)

# -- field types of the EMR ------------------------------------------------------------------

Text = text(100)
AdmitDate = date(with_time=True)
# Query and header parameters carry no examples in their schemas (OpenAPI wants them elsewhere).
Digits = text(6, pattern=r"^[0-9]{1,6}$", what="a whole number (digits only)")
_REAL_DATE = "a real date (YYYY-MM-DD)"
QueryDate = text(10, pattern=f"^{DATE}$", what=_REAL_DATE)
RequiredQueryDate = text(10, required=True, pattern=f"^{DATE}$", what=_REAL_DATE)
PhiLevel = choice("high", "medium", "low", required=True)
_TRUE, _FALSE = ("true", "True", "1"), ("false", "False", "0")
Npi = text(10, pattern=r"^[0-9]{10}$", what="an NPI (10 digits)", example="1987654328")
_ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
_AS_INTEGER = TypeAdapter(integer(required=True))
_AS_TEXT = TypeAdapter(text(100))
_AS_DIGITS = TypeAdapter(text(19, required=True, pattern=r"^[0-9]{1,19}$", what="an id (digits only)"))


def _no_default(schema: dict[str, Any]) -> None:
    """For a field that may be left out but, when given, not blank: its schema has no null default."""
    schema.pop("default", None)


def _recipient(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, type(None))):
        raise PydanticCustomError("recipient_type", "must be a string or an integer")
    if isinstance(value, (int, float)):
        return _AS_INTEGER.validate_python(value)
    return _AS_TEXT.validate_python(value)


def _id_or_digits(value: Any) -> Any:
    if isinstance(value, str):
        value = int(_AS_DIGITS.validate_python(value))
    return _AS_INTEGER.validate_python(value)


def _flag(value: Any) -> Any:
    """true or false as clients send it in a query: kipu-python sends Python's True and False."""
    if value is None or value == "" or isinstance(value, bool):
        return value if value != "" else None
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise PydanticCustomError("flag", f"{str(value)[:20]!r} is not true or false (true, True, 1, false, False, 0)")


QueryFlag = Annotated[bool | None, BeforeValidator(_flag), WithJsonSchema(
    {"anyOf": [{"type": "string", "enum": [*_TRUE, *_FALSE]}, {"type": "null"}, {"const": ""}]})]
PHI_HELP = ("how much PHI to show: high, everything; medium, no SSN; low, names, ids and dates of the stay only "
        "(docs/ambiguities.md AMB-09)")
RecipientId = Annotated[str | int | None, BeforeValidator(_recipient), WithJsonSchema(
    {"anyOf": [_ID_SCHEMA, {"type": "string", "maxLength": 100, "pattern": PLAIN}, {"type": "null"}],
     "description": "who the document is for (Kipu's recipient id)"})]
IdOrDigits = Annotated[int, BeforeValidator(_id_or_digits), WithJsonSchema(
    {"anyOf": [_ID_SCHEMA, {"type": "string", "pattern": "^[0-9]{1,19}$", "maxLength": 19}],
     "examples": ["1"]})]


def require(model: BaseModel, name: str, why: str) -> None:
    """A field required by another one's value (the document says so with if/then): 422 naming it."""
    if getattr(model, name) in (None, ""):
        raise ValidationError.from_exception_data(type(model).__name__, [InitErrorDetails(
            type=PydanticCustomError("required_by", "is required: {why}", {"why": why}), loc=(name,), input=None)])


# -- Kipu's `document` envelope ----------------------------------------------------------------

class _Envelope(BaseModel):
    """``{"document": {"recipient_id", "data": {...}}}``; the envelope's other keys are Kipu's, not ours."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _data_named(cls, value: Any) -> Any:
        # No document object at all: what is missing is its data, and the problem says so.
        if isinstance(value, dict) and not isinstance(value.get("document"), dict):
            return {**value, "document": {"data": None}}
        return value


class _Document(BaseModel):
    model_config = ConfigDict(extra="ignore")
    recipient_id: RecipientId = None


def document(data: type[BaseModel], name: str) -> type[BaseModel]:
    """The envelope model ``name`` around ``data``."""
    inner = create_model(f"{name}Document", __base__=_Document,
                         data=(data, Field(description="the fields; problems are named without document.data.")))
    return create_model(name, __base__=_Envelope, document=(inner, ...))


# -- queries -----------------------------------------------------------------------------------

class Paged(Query):
    page: Digits = Field(None, description="the page, from 1")
    per: Digits = Field(None, description="records per page (at most 100; 20 if not given)")

    def numbers(self) -> tuple[int, int]:
        return max(1, int(self.page or 1)), min(100, max(1, int(self.per or 20)))


class CensusQuery(Paged):
    phi_level: PhiLevel = Field(description=PHI_HELP)
    exclude_preadmission: QueryFlag = Field(None, description="true (or True, 1): only patients with an MR Number")


class Between(Paged):
    start_date: RequiredQueryDate = Field(description="from this day (YYYY-MM-DD)")
    end_date: RequiredQueryDate = Field(description="to this day, included; not before start_date (409)")


class AdmissionsQuery(Between):
    phi_level: PhiLevel = Field(description=PHI_HELP)


class MasterId(Query):
    """Kipu reads a patient only with its patient_master_id."""

    patient_master_id: text(100, required=True) = Field(  # type: ignore[valid-type]
        description="the patient's master id; without it the EMR answers 422, another patient's is a 404")


class PatientQuery(MasterId):
    phi_level: PhiLevel = Field(description=PHI_HELP)
    insurance_detail: text(20) = Field(None, description="Kipu's insurance detail version (accepted)")  # type: ignore[valid-type]


# -- a patient as written ----------------------------------------------------------------------

class PatientFields(Body):
    middle_name: OptionalName = None
    dob: Date = Field(None, description="date of birth; not in the future (409)")
    gender: Sex = None
    ssn: Ssn = None
    phone: Phone = None
    email: Email = None
    address_street: Text = None
    address_city: Text = None
    address_state: State = Field(None, description="read back as `state`")
    address_zip: Zip = None
    admission_date: AdmitDate = Field(None, description="not before the date of birth (409)")
    level_of_care: Text = None
    program: Text = None
    location_id: Text = Field(None, description="the Kipu location; its name is read back as location_name")
    building_name: Text = None
    room_name: Text = None
    bed_name: Text = None
    payment_method: Text = Field(None, examples=["Insurance", "Self Pay"])
    discharge_type: Text = Field(None, examples=["Completed Treatment", "Against Medical Advice"])

    def stored(self, only_named: bool = False) -> dict[str, Any]:
        """The values as the patient keeps them (``address_state`` under Kipu's read name ``state``)."""
        return as_stored(self.model_dump(include=self.model_fields_set if only_named else None))


def as_stored(values: dict[str, Any]) -> dict[str, Any]:
    """Patient fields as the EMR keeps them: ``address_state`` under Kipu's read name ``state``,
    an SSN as 123-45-6789."""
    if "address_state" in values:
        values["state"] = values.pop("address_state")
    if "ssn" in values:
        values["ssn"] = ssn_digits(values["ssn"])
    return values


class NewPatientData(PatientFields):
    first_name: Name
    last_name: Name = Field(examples=["Lee"])


class PatientChanges(PatientFields):
    """A PATCH changes what it names; it may leave the names out, but not blank them."""

    first_name: text(100, required=True) = Field(None, json_schema_extra=_no_default)  # type: ignore[valid-type]
    last_name: text(100, required=True) = Field(None, json_schema_extra=_no_default)  # type: ignore[valid-type]


NewPatient = document(NewPatientData, "NewPatient")
PatientUpdate = document(PatientChanges, "PatientUpdate")


class Discharge(Body):
    discharge_date: date(required=True, with_time=True) = Field(  # type: ignore[valid-type]
        description="the Discharge/Transition Date; not before the admission (409)")
    discharge_type: Text = Field(None, description="kept as it was when not given", examples=["Completed Treatment"])


class DiagnosisIn(Body):
    code: text(10, required=True, example="F10.20") = Field(  # type: ignore[valid-type]
        description="a billable ICD-10-CM code, dotted or not (anything else: 409)")
    principal: Annotated[bool, Field(strict=True)] = Field(False, description="make it the principal diagnosis")


class PushedProspect(BaseModel):
    """The prospect as the CRM holds it; what the EMR does not keep is ignored."""

    model_config = ConfigDict(extra="ignore")
    id: integer(required=True) = Field(description="the CRM's prospect id")  # type: ignore[valid-type]
    first_name: Name
    middle_name: OptionalName = None
    last_name: Name
    dob: Date = None
    gender: Sex = None
    ssn: Ssn = None
    phone: Phone = None
    email: Email = None
    address_street: Text = None
    address_city: Text = None
    address_state: State = None
    address_zip: Zip = None


class PushedOpportunity(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: integer(required=True) = Field(description="the CRM's treatment opportunity id")  # type: ignore[valid-type]
    level_of_care: Text = None
    program: Text = None
    expected_admission_date: Date = None


class CrmPush(Body):
    prospect: PushedProspect
    opportunity: PushedOpportunity


# -- a patient as read -------------------------------------------------------------------------

class Pagination(BaseModel):
    """Kipu's pagination: every number as a string."""

    current_page: str = Field(examples=["1"])
    total_pages: str = Field(examples=["1"])
    records_per_page: str = Field(examples=["20"])
    total_records: str = Field(examples=["0"])


class Diagnosis(Record):
    code: str = Field(examples=["F10.20"])
    description: str = Field(examples=["Alcohol dependence, uncomplicated"])
    added_on: str = Field(examples=["2024-03-01"])
    principal: bool
    sequence: int


class RcmConnection(Record):
    connected: bool
    connected_at: str | None = None
    last_sent_at: str | None = None
    sends: int


class Patient(Record):
    """A patient as read. Below phi_level=high some fields are left out (AMB-09): medium leaves out
    ssn; low also dob, phone, email and the address (address_*, state)."""

    id: int
    casefile_id: str = Field(description="`{id}:{patient_master_id}`")
    patient_master_id: str
    first_name: str
    middle_name: str | None = None
    last_name: str
    dob: str | None = None
    gender: str | None = None
    ssn: str | None = None
    phone: str | None = None
    email: str | None = None
    address_street: str | None = None
    address_city: str | None = None
    state: str | None = Field(None, description="Kipu's read name of the state")
    address_state: str | None = Field(None, description="the same state under its write name")
    address_zip: str | None = None
    admission_date: str | None = None
    discharge_date: str | None = None
    discharge_type: str | None = None
    level_of_care: str | None = None
    program: str | None = None
    location_id: str | None = None
    location_name: str | None = Field(None, description="the location's name; without a location_id, the facility's")
    building_name: str | None = None
    room_name: str | None = None
    bed_name: str | None = None
    payment_method: str | None = None
    insurance_company: str | None = Field(None, description="the payer of the primary insurance the RCM last sent")
    mr_number: str | None = None
    pre_admission_status: str = Field(examples=["pre-admission", "pending", "accepted"])
    record_source: str = Field(examples=["emr", "crm"])
    crm_prospect_id: int | None = None
    crm_opportunity_id: int | None = None
    diagnosis_codes: str = Field(examples=["F10.20, F33.1"])
    diagnoses: list[Diagnosis]
    rcm_connection: RcmConnection
    created_at: str
    last_updated_at: str = Field(description="the last change of the patient (GET /api/patients/latest)")


class RcmSend(Record):
    """What the integration did with the RCM on this action."""

    sent: bool
    message: str | None = Field(None, examples=["ADT^A01"])
    control_id: str | None = None
    diagnoses_not_sent: list[str] | None = Field(None, description="left out by the cap (PAT-16)")
    missing: list[ProblemOut] | None = Field(None, description="not sent: what the admission lacks (WF-2.2)")


class ManageWindow(BaseModel):
    """Manage Insurance / Manage Review: the scoped, expiring link into the RCM."""

    path: str = Field(examples=["/rcm/window/1/insurance"])
    token: str
    expires_at: str


class PatientOut(Record):
    patient: Patient
    rcm: RcmSend | None = None
    window: ManageWindow | None = None


class PatientsPage(BaseModel):
    pagination: Pagination
    patients: list[Patient]


class PatientHead(Record):
    """Kipu's head of a patient's sub-resource."""

    casefile_id: str
    first_name: str
    middle_name: str | None = None
    last_name: str
    dob: str | None = None


class DiagnosisHistory(PatientHead):
    diagnosis_history: list[Diagnosis]


class DiagnosisHistoryOut(BaseModel):
    patient: DiagnosisHistory
