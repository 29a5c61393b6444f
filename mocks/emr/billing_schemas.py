"""The models of the EMR's billing: rendering providers, billable templates, documented services,
and the Billing Audit Tool Report (WF-5.1, WF-5.2, SET-05..07)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..common.schemas import PLAIN_NONBLANK, Body, Query, QueryId, Record, RequiredDate, choice, integer, text
from .schemas import Npi, QueryDate, Text, require

Minutes = integer(maximum=24 * 60)
Code = text(10)
PlaceOfService = text(2, pattern=r"^[0-9]{2}$", what="a place of service code (2 digits)", example="55")
_NONBLANK = {"type": "string", "maxLength": 100, "pattern": PLAIN_NONBLANK}
ItemId = integer(required=True)


class UserHeader(Query):
    """SET-05: billing actions name the user, who must have the billing role (403 otherwise)."""

    x_kipu_user: text(100) = Field(  # type: ignore[valid-type]
        None, alias="X-Kipu-User", description="the user acting; billing actions need the billing role")


# -- configuration (SET-06, SET-07) -----------------------------------------------------------------

class RenderingProviderIn(Body):
    name: text(100, required=True, example="Reyes, Priya")  # type: ignore[valid-type]
    npi: text(10, required=True, pattern=r"^[0-9]{10}$", what="an NPI (10 digits)",  # type: ignore[valid-type]
              example="1765432103")
    send_to_rcm: Annotated[bool, Field(strict=True)] = Field(True, description="may the EMR send it to the RCM")


class RenderingProvider(Record):
    id: int
    name: str
    npi: str
    send_to_rcm: bool
    credential: str | None = None


class RenderingProviderOut(BaseModel):
    rendering_provider: RenderingProvider


class RenderingProviders(BaseModel):
    rendering_providers: list[RenderingProvider]


class BillingCode(Record):
    id: int
    code: str = Field(examples=["H0018"])
    type: str = Field(examples=["CPT", "HCPCS", "Revenue"])
    description: str


class BillingCodes(BaseModel):
    billing_codes: list[BillingCode]


class TemplateIn(Body):
    """A per-diem template takes its codes from its level of care; an ancillary one brings its own."""

    # Either billed the other way, or the field that this way needs (if/then, said with anyOf).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"allOf": [
        {"anyOf": [{"properties": {"billing": {"const": other}}},
                   {"required": [needed], "properties": {needed: _NONBLANK}}]}
        for other, needed in (("ancillary", "level_of_care"), ("per_diem", "service_description"))]})
    name: text(100, required=True, example="Yoga")  # type: ignore[valid-type]
    kind: choice("group_session", "evaluation", required=True)  # type: ignore[valid-type]
    billing: choice("per_diem", "ancillary", required=True)  # type: ignore[valid-type]
    level_of_care: Text = Field(None, description="per diem: one of the EMR's levels of care (another: 409)")
    service_description: Text = Field(None, description="ancillary: what is billed")
    cpt: Code = None
    hcpcs: Code = None
    revenue_code: Code = None
    modifier: Code = None
    claim_format: choice("Institutional", "Professional") = Field(  # type: ignore[valid-type]
        None, description="ancillary; Professional if not given")
    place_of_service: PlaceOfService = Field(None, description="55 if not given")
    required_minutes: Minutes = Field(None, description="a shorter service still bills, with a warning")

    @model_validator(mode="after")
    def _by_billing(self) -> "TemplateIn":
        if self.billing == "per_diem":
            require(self, "level_of_care", "a per-diem template bills a level of care of the EMR")
        else:
            require(self, "service_description", "an ancillary template names the service it bills")
        return self


class BillableTemplate(Record):
    id: int
    name: str
    kind: str = Field(examples=["group_session", "evaluation"])
    billing: str = Field(examples=["per_diem", "ancillary"])
    level_of_care: str | None = None
    level_of_care_uid: str | None = None
    service_description: str
    cpt: str
    hcpcs: str
    revenue_code: str
    modifier: str
    claim_format: str = Field(examples=["Institutional", "Professional"])
    place_of_service: str
    required_minutes: int


class TemplateOut(BaseModel):
    billable_template: BillableTemplate


class Templates(BaseModel):
    billable_templates: list[BillableTemplate]


class Codes(BaseModel):
    cpt: str
    hcpcs: str
    revenue: str


class Duration(BaseModel):
    minutes: int | None = None
    required: int
    met: bool


class MatchStep(Record):
    link: str = Field(examples=["level of care ID"])
    pay_type: str = Field(examples=["insurance", "private"])
    reason: str
    service: str | None = None


class TransmitResult(Record):
    item_id: int | None = Field(None, description="in the transmit answer: the billing item")
    status: str = Field(examples=["accepted", "error", "blocked", "not sent", "already transmitted"])
    errors: list[str] | None = Field(None, description="blocked or not sent: why")
    attendance_id: int | None = Field(None, description="accepted: its entry on the RCM's Attendance Calendar")
    service: str | None = Field(None, description="accepted: the RCM service it matched")
    cause: str | None = Field(None, description="error: the RCM's batch transmission error (PROC-06)")
    fix: str | None = None
    matching: list[MatchStep] | None = Field(None, description="error: each matching link the RCM tried")


class BillingItem(Record):
    id: int
    patient_id: int
    source: str = Field(examples=["evaluation", "group session 1"])
    template_id: int
    date_of_service: str
    admit_date: str
    location: str
    program: str
    insurance: str = Field(examples=["Aetna", "Private Pay"])
    level_of_care: str | None = None
    level_of_care_uid: str | None = None
    service_description: str
    codes: Codes
    modifier: str
    units: int
    claim_format: str
    rendering_provider: str
    diagnosis_codes: list[str]
    place_of_service: str
    duration: Duration
    status: str = Field(examples=["open", "transmitted", "error"])
    transmission: TransmitResult | None = None


class ReviewedItem(BillingItem):
    errors: list[str] = Field(description="block transmission")
    warnings: list[str] = Field(description="do not block transmission")


# -- the Billing Audit Tool Report (WF-5.2, PROC-05, PROC-08) ------------------------------------------

class ReportQuery(Query):
    start_date: QueryDate = Field(None, description="services from this day")
    end_date: QueryDate = Field(None, description="services to this day, included")
    patient_id: QueryId = Field(None, description="only this EMR patient's items")


class Report(BaseModel):
    billing_items: list[ReviewedItem]


class ReviewedItemOut(BaseModel):
    billing_item: ReviewedItem


class ItemEdit(Body):
    rendering_provider: Npi = None
    service_description: Text = None
    modifier: Code = None
    place_of_service: PlaceOfService = None


class TransmitIn(Body):
    item_ids: list[ItemId] = Field(min_length=1, description="the selected billing items")  # type: ignore[valid-type]


class Transmitted(BaseModel):
    results: list[TransmitResult]


def dump(model: BaseModel) -> dict[str, Any]:
    """The fields a request named, as given."""
    return model.model_dump(include=model.model_fields_set)
