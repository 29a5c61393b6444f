"""The RCM's billing models (WF-5.3, WF-5.4, BAT, SET): configuration, the charge batch from the
EMR's Billing Audit Tool, the Attendance Calendar and the Work Center's claims. They validate the
requests and are the OpenAPI document; what they cannot say (an NPI's check digit, a provider the
RCM has, a record's state) the handlers refuse with 409."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, Tag
from pydantic_core import PydanticCustomError

from ..common.schemas import Body, Query, QueryId, QueryIds, Record, choice, integer, text

CLAIM_FORMATS = ("institutional", "professional")
NPI_SHAPE = r"^[0-9]{10}$"
Npi = text(10, required=True, pattern=NPI_SHAPE, what="an NPI (10 digits)", example="1987654328")


def _unset(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unset() -> Any:
    """A field a change may leave out; when it is given it must hold a value (no null, no blank)."""
    return Field(None, json_schema_extra=_unset)


class BillingUser(BaseModel):
    """The user acting, for billing actions (SET-05)."""

    model_config = ConfigDict(extra="ignore")
    user: text(50) = Field(  # type: ignore[valid-type]
        None, alias="X-Kipu-User", json_schema_extra=_unset,
        description="the user acting: a billing action by no user, or one without the billing role, is a 403 (SET-05)")


# -- configuration (SET-01..SET-07) -------------------------------------------------------------

class Service(Record):
    id: int
    name: str
    pay_type: Literal["insurance", "private"]
    revenue_code: str = Field(description="NUBC revenue code (institutional claims); empty for none")
    procedure_code: str = Field(description="CPT or HCPCS code")
    modifier: str
    claim_format: Literal["institutional", "professional"] = Field(description="837I or 837P (BAT-11)")
    level_of_care_uid: str | None = Field(description="the unique ID shared with the EMR (BAT-05); none for ancillary")
    place_of_service: str
    profiles: list[str] = Field(description="the places of service it has a profile for (BAT-15)")
    rate: str = Field(examples=["950.00"])
    requires_authorization: bool


class ServicesOut(BaseModel):
    services: list[Service]


class ServiceOut(BaseModel):
    service: Service


class ServiceChange(Body):
    """The fields to change; those left out keep their value."""

    name: text(100, required=True) = unset()  # type: ignore[valid-type]
    revenue_code: text(4, pattern=r"^[0-9]{4}$", what="a revenue code (4 digits)") = unset()  # type: ignore[valid-type]
    procedure_code: text(5, required=True, pattern=r"^[A-Z0-9]{5}$",  # type: ignore[valid-type]
                         what="a CPT or HCPCS code (5 letters or digits)") = unset()
    modifier: text(2, pattern=r"^[A-Z0-9]{2}$", what="a modifier (2 letters or digits)") = unset()  # type: ignore[valid-type]
    claim_format: choice(*CLAIM_FORMATS, required=True) = unset()  # type: ignore[valid-type]
    rate: text(10, required=True, pattern=r"^[0-9]{1,7}(?:\.[0-9]{1,2})?$",  # type: ignore[valid-type]
               what="an amount (950 or 950.00)") = unset()
    requires_authorization: StrictBool = unset()
    place_of_service: text(2, required=True, pattern=r"^[0-9]{2}$",  # type: ignore[valid-type]
                           what="a place of service code (2 digits)") = unset()


class Provider(Record):
    id: int
    name: str
    npi: str = Field(examples=["1987654328"])
    credential: str | None = None


class ProvidersOut(BaseModel):
    providers: list[Provider]


class ProviderOut(BaseModel):
    provider: Provider


class ProviderIn(Body):
    name: text(100, required=True, example="Kim, Jo")  # type: ignore[valid-type]
    npi: Npi = Field(description="10 digits whose last is the Luhn check digit over 80840 + NPI (else 409)")
    credential: text(20, example="LPC") = None  # type: ignore[valid-type]


class BillingFacility(Record):
    name: str
    npi: str
    tax_id: str
    street: str
    city: str
    state: str
    zip: str


class Konnector(Record):
    facility: str
    rendering_provider: str = Field(description="the NPI of the provider who renders most claims (SET-02)")


class BillingSettings(Record):
    id: int
    facility: BillingFacility
    konnector: Konnector
    bill_by_building: dict[str, str] = Field(description="building -> rendering provider NPI (SET-03)")
    bill_by_program: dict[str, str] = Field(description="program -> rendering provider NPI (SET-04)")
    facilities: list[BillingFacility] = Field([], description="the other RCM facilities a building or program bills under")
    facility_by_building: dict[str, str] = Field({}, description="building -> the RCM facility that bills there (SET-03)")
    facility_by_program: dict[str, str] = Field({}, description="program -> the RCM facility that bills there (SET-04)")


class BillingSettingsOut(BaseModel):
    billing_settings: BillingSettings


# name -> NPI. The document cannot constrain the names (flask-openapi3 drops propertyNames), so the
# handler refuses a blank name or one with control characters (409); the NPIs are checked here.
Routing = dict[str, Npi]  # type: ignore[valid-type]


class BillingSettingsChange(Body):
    """The Konnector's rendering provider, Bill by Building, Bill by Program: each NPI must be a
    provider of the RCM (else 409). Those left out keep their value."""

    konnector_rendering_provider: Npi = unset()
    bill_by_building: Routing = Field(None, json_schema_extra=_unset, examples=[{"North Campus": "1456789019"}])
    bill_by_program: Routing = Field(None, json_schema_extra=_unset, examples=[{"Young Adult": "1765432103"}])


class ClaimRuleIn(Body):
    name: text(100, required=True, example="GT on 90837")  # type: ignore[valid-type]
    procedure_code: text(5, required=True, pattern=r"^[A-Z0-9]{5}$",  # type: ignore[valid-type]
                         what="a CPT or HCPCS code (5 letters or digits)", example="90837")
    add_modifier: text(2, required=True, pattern=r"^[A-Z0-9]{2}$",  # type: ignore[valid-type]
                       what="a modifier (2 letters or digits)", example="GT")
    payer: integer(minimum=1) = Field(  # type: ignore[valid-type]
        None, examples=[1], description="the id of a payer of the RCM's payer list: the rule applies only to claims to "
                                        "that payer (an RCM's claim rules are per payer); none: to every payer claim")


class ClaimRule(Record):
    id: int
    name: str
    procedure_code: str
    add_modifier: str
    payer: int | None = Field(None, description="the payer whose claims it applies to; none: every payer's")


class ClaimRuleOut(BaseModel):
    claim_rule: ClaimRule


# -- the charge batch (BAT-01..BAT-16, PROC-06) ---------------------------------------------------

class ChargeMatch(BaseModel):
    """What the Billing Audit Tool sends only to match the charge to an RCM service; none of it is kept."""

    model_config = ConfigDict(extra="ignore")
    level_of_care_uid: text(100, example="LOC-RES") = None  # type: ignore[valid-type]
    service_description: text(100, example="Residential") = None  # type: ignore[valid-type]
    revenue_code: text(10, example="1002") = None  # type: ignore[valid-type]
    procedure_code: text(10, example="H0018") = None  # type: ignore[valid-type]
    modifier: text(10) = None  # type: ignore[valid-type]
    claim_format: text(20, example="institutional") = None  # type: ignore[valid-type]
    place_of_service: text(10, example="55") = None  # type: ignore[valid-type]


def _match_kind(value: Any) -> str | None:
    return "object" if isinstance(value, (dict, ChargeMatch)) else "text" if isinstance(value, str) else None


MatchBlock = Annotated[
    Union[Annotated[ChargeMatch, Tag("object")], Annotated[str, Field(max_length=100), Tag("text")]],
    Discriminator(_match_kind, custom_error_type="match_type",
                  custom_error_message="must be an object of matching codes"),
]


class Charge(BaseModel):
    """One charge of the batch. A charge may carry more of the report's row; the RCM reads only
    these. A charge it cannot take comes back as an error of its own (PROC-06)."""

    model_config = ConfigDict(extra="ignore")
    emr_item_id: integer(required=True) = Field(description="the EMR's billing item")  # type: ignore[valid-type]
    date_of_service: text(25, example="2026-03-05") = Field(  # type: ignore[valid-type]
        None, description="YYYY-MM-DD (BAT-03); missing or not a real date: an error of this charge")
    units: integer(minimum=1, maximum=999) = Field(  # type: ignore[valid-type]
        None, description="not kept: every charge is one unit in the RCM (BAT-10)")
    rendering_provider: text(10, pattern=NPI_SHAPE, what="an NPI (10 digits)") = Field(  # type: ignore[valid-type]
        None, description="blank: the routed provider (BAT-12); another one must be on the authorization (BAT-13)")
    admit_date: text(25, example="2024-01-05") = Field(  # type: ignore[valid-type]
        None, description="chooses the treatment episode (BAT-04)")
    location: text(100) = Field(None, description="chooses the Bill by Building provider")  # type: ignore[valid-type]
    insurance: text(100, example="Aetna") = Field(  # type: ignore[valid-type]
        None, description="blank or Private Pay: billable without insurance (PROC-07)")
    program: text(100) = Field(None, description="chooses the Bill by Program provider")  # type: ignore[valid-type]
    place_of_service: text(10, example="55") = Field(  # type: ignore[valid-type]
        None, description="chooses the service profile (BAT-15)")
    match: MatchBlock | None = Field(
        None, description="the matching codes (BAT-05..BAT-11); anything but an object: an error of this charge")


def _charge_list(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PydanticCustomError("charges", "a list of charge objects is required")
    return value


class ChargeBatch(Body):
    emr_patient_id: text(64, required=True, example="1") = Field(  # type: ignore[valid-type]
        description="the patient's id in the EMR; no demographics travel with charges (BAT-02)")
    charges: Annotated[list[Charge], BeforeValidator(_charge_list)]


class MatchTrace(Record):
    link: str = Field(examples=["level of care ID"])
    pay_type: Literal["insurance", "private"]
    reason: str
    service: str | None = None


class ChargeResult(Record):
    emr_item_id: int
    status: Literal["accepted", "error"]
    attendance_id: int | None = Field(None, description="accepted: its entry on the Attendance Calendar")
    service: str | None = Field(None, description="accepted: the RCM service it matched")
    cause: str | None = Field(None, description="error: what is wrong, naming the charge (PROC-06)")
    fix: str | None = Field(None, description="error: how to fix it")
    matching: list[MatchTrace] | None = Field(None, description="error: each matching link tried, with its reason")


class BatchResults(BaseModel):
    results: list[ChargeResult]


# -- Attendance Calendar (WF-5.3) -----------------------------------------------------------------

class AttendanceQuery(Query):
    patient_id: QueryId = Field(None, json_schema_extra=_unset, description="only this RCM patient's entries")


class AttendanceEntry(Record):
    id: int
    patient_id: int
    episode_id: int
    emr_item_id: int
    date_of_service: str
    units: int = Field(description="always 1 (BAT-10)")
    service_id: int
    service_name: str
    pay_type: Literal["insurance", "private"]
    service_profile: str
    rendering_provider: str
    facility: str | None = Field(None, description="the RCM facility that bills it (SET-02..SET-04)")
    status: Literal["transmitted", "submitted", "claimed"]
    matched_by: str | None
    matching_note: str
    received_at: str


class Attendance(BaseModel):
    calendar: dict[str, list[AttendanceEntry]] = Field(description="date of service -> its entries")
    entries: list[AttendanceEntry]


class Selection(Body):
    entry_ids: list[integer(required=True)] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=1000, description="the attendance entries to submit for billing")


class Submitted(BaseModel):
    submitted: list[int]


# -- the Work Center (WF-5.4) ------------------------------------------------------------------------

class ClaimLine(Record):
    procedure_code: str
    revenue_code: str
    modifiers: list[str]
    units: int
    place_of_service: str
    charge: str = Field(examples=["285.00"])
    service_date: str
    rendering_provider: str
    service: str


class ClaimsQuery(Query):
    patient_id: QueryId = Field(None, json_schema_extra=_unset, description="only this RCM patient's claims")
    patient_ids: QueryIds = Field(None, json_schema_extra=_unset,
                                  description="only these RCM patients' claims, comma-separated (with patient_id: "
                                              "those and this one)")

    def patients(self) -> list[int] | None:
        """The patients asked for, each once, in order; None: everyone."""
        if self.patient_id is None and self.patient_ids is None:
            return None
        asked = [*(self.patient_ids or ()), *(() if self.patient_id is None else (self.patient_id,))]
        return list(dict.fromkeys(asked))


class Claim(Record):
    id: int
    patient_id: int
    episode_id: int
    pay_type: Literal["insurance", "private"]
    format: Literal["837I", "837P"]
    status: Literal["draft", "private pay statement", "not sent", "accepted", "rejected"]
    attendance_ids: list[int]
    lines: list[ClaimLine]
    claim_id: str | None = Field(None, description="CLM01, on a payer claim")
    total: str | None = Field(None, description="on a private-pay statement (PROC-07)")
    detail: str | None = Field(None, description="why it was not sent")
    x12: str | None = Field(None, description="the 837 sent")
    ack_999: str | None = None
    ack_277ca: str | None = None
    errors: list[str] | None = Field(None, description="the clearinghouse's findings")


class ClaimsOut(BaseModel):
    claims: list[Claim]
