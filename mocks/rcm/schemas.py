"""The RCM's request models (patients, payers, insurance, eligibility, U/R, windows): they validate,
and they are the OpenAPI document. What a schema cannot say (a payer that exists, priorities in
order, an end after its start, a change that leaves a record incomplete) is a rule of the RCM,
refused with 409 by the handler. The response models are in ``schemas_records``."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, ValidationError, WithJsonSchema, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..common.schemas import (DATE, PLAIN_NONBLANK, SEXES, Body, Name, OptionalName, Phone, Query, QueryId, Ssn,
                              choice, date, integer, text)

PRIORITIES = ("primary", "secondary", "tertiary")
RELATIONSHIPS = ("Self", "Spouse", "Child", "Other")
OTHERS = RELATIONSHIPS[1:]  # a subscriber who is not the patient: the RCM needs who they are
SUBSCRIBER_FIELDS = ("first_name", "last_name", "birthday", "gender")
CLAIM_FORMATS = ("837P", "837I")
STATUSES = ("Authorized", "Authorized - Not Required", "Denied", "Pending", "Required - Not Obtained", "Not Required")
MAX_UNITS = 10_000


# -- field types -------------------------------------------------------------------------------

def _blank_is_missing(value: Any) -> Any:
    """A coded value (a date) that is only whitespace is missing, not malformed."""
    return None if isinstance(value, str) and not value.strip() else value


def day(*, required: bool = False) -> Any:
    return Annotated[date(required=required), BeforeValidator(_blank_is_missing)]


def unset() -> Any:
    """The default of a field a PATCH may leave out but not blank: the document shows no null."""
    return Field(None, json_schema_extra=lambda schema: schema.pop("default", None))


def _prospect_id(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema's integer includes 1.0
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("prospect_id", "an integer is required")
    return value


def _claim_formats(value: Any) -> Any:
    if (not isinstance(value, list) or not value or any(not isinstance(f, str) or f not in CLAIM_FORMATS for f in value)
            or len(set(value)) != len(value)):
        raise PydanticCustomError("claim_formats", f"must be a non-empty list of {', '.join(CLAIM_FORMATS)}, "
                                                   "each at most once")
    return value


Day = day()
RequiredDay = day(required=True)
ProspectId = Annotated[integer(required=True), BeforeValidator(_prospect_id)]
PayerRef = integer(required=True, minimum=1)
OptionalPayerRef = integer(minimum=1)
PayerCode = Annotated[text(15, required=True, pattern=r"^[A-Za-z0-9]{2,15}$", example="60054",
                           what="2 to 15 letters or digits (the payer's X12 ID)"), BeforeValidator(_blank_is_missing)]
ClaimFormats = Annotated[list[str], BeforeValidator(_claim_formats), WithJsonSchema(
    {"type": "array", "items": {"enum": list(CLAIM_FORMATS)}, "minItems": 1, "uniqueItems": True})]
Units = integer(required=True, minimum=1, maximum=MAX_UNITS)
Who = text(100, required=True, example="Jo Biller")


# -- a field required when another has a value -----------------------------------------------

def _nonblank(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class Conditional(Body):
    """A body whose ``WHEN`` = (field, values, needed fields) makes fields required: the check names
    each missing one with the body's other problems, and the document says the same (``when``)."""

    WHEN: ClassVar[tuple[str, tuple[str, ...], tuple[str, ...]]] = ("", (), ())

    @model_validator(mode="wrap")
    @classmethod
    def _required_when(cls, data: Any, handler: Any) -> Any:
        field, values, needed = cls.WHEN
        missing = []
        if isinstance(data, dict) and data.get(field) in values:
            missing = [name for name in needed if not _nonblank(data.get(name))]
        try:
            result = handler(data)
            found: list[Any] = []
        except ValidationError as exc:
            found = exc.errors(include_url=False)
            result = None
        named = {error["loc"][:1] for error in found}
        missing = [name for name in missing if (name,) not in named]
        if not found and not missing:
            return result
        # Each finding again, as rendered (a template without context is not formatted again).
        details = [InitErrorDetails(type=PydanticCustomError(e["type"], e["msg"]), loc=e["loc"], input=e["input"])
                   for e in found]
        details += [InitErrorDetails(type=PydanticCustomError("missing", "is required"), loc=(name,), input=data)
                    for name in missing]
        raise ValidationError.from_exception_data(cls.__name__, details)


def when(field: str, otherwise: tuple[str, ...], needed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The JSON Schema half of ``Conditional.WHEN``: ``field`` (a required one) is one of
    ``otherwise``, or each of ``needed`` is present with a value of its schema. (anyOf rather than
    if/then, which generators of test data do not all follow.)"""
    return {"anyOf": [{"properties": {field: {"enum": list(otherwise)}}},
                      {"required": list(needed), "properties": needed}]}


def _nonblank_text(max_len: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_len, "minLength": 1, "pattern": PLAIN_NONBLANK}


# -- patients ---------------------------------------------------------------------------------

class ProspectIn(Body):
    """What the CRM's webhook sends for a prospect (WF-1.2)."""

    crm_prospect_id: ProspectId = Field(description="the prospect's id in the CRM", examples=[1])
    first_name: Name
    middle_name: OptionalName = None
    last_name: Name = Field(examples=["Lopez"])
    birthday: Day = None
    phone: Phone = None


class ProfileIn(Body):
    """A profile edit in the RCM: the fields named change, the others stay."""

    first_name: text(100, required=True) = unset()  # type: ignore[valid-type]
    last_name: text(100, required=True) = unset()  # type: ignore[valid-type]
    middle_initial: text(100) = None  # type: ignore[valid-type]
    birthday: Day = None
    phone: Phone = None
    social_security_number: Ssn = None


class PatientsQuery(Query):
    emr_patient_id: QueryId = Field(None, description="only the patient the EMR knows by this id")
    crm_prospect_id: QueryId = Field(None, description="only the patient who came from this CRM prospect")


# -- payers -----------------------------------------------------------------------------------

class PayerIn(Body):
    name: text(100, required=True, example="Aetna")  # type: ignore[valid-type]
    payer_id: PayerCode
    phone: Phone = None
    claim_formats: ClaimFormats = Field(default_factory=lambda: list(CLAIM_FORMATS),
                                        description="the claims the payer takes (default: both)")


class PayerChange(Body):
    name: text(100, required=True, example="Aetna") = unset()  # type: ignore[valid-type]
    payer_id: PayerCode = unset()
    phone: Phone = None
    claim_formats: ClaimFormats = unset()


# -- insurance --------------------------------------------------------------------------------

_SUBSCRIBER = {"first_name": _nonblank_text(100), "last_name": _nonblank_text(100),
               "birthday": {"type": "string", "maxLength": 10, "pattern": f"^{DATE}$"}, "gender": {"enum": list(SEXES)}}


class PolicyHolderIn(Conditional):
    """The policy holder: for Self the RCM takes name, birthday and gender from the patient; for
    anyone else they are required (INS-09..13)."""

    WHEN = ("relationship", OTHERS, SUBSCRIBER_FIELDS)
    model_config = {"json_schema_extra": when("relationship", ("Self",), _SUBSCRIBER)}

    relationship: choice(*RELATIONSHIPS, required=True)  # type: ignore[valid-type]
    insurance_id: text(50, required=True, example="W123456789")  # type: ignore[valid-type]
    plan_name: text(100) = None  # type: ignore[valid-type]
    first_name: OptionalName = None
    last_name: OptionalName = None
    birthday: Day = None
    gender: choice(*SEXES) = None  # type: ignore[valid-type]


class PolicyHolderChange(Body):
    relationship: choice(*RELATIONSHIPS, required=True) = unset()  # type: ignore[valid-type]
    insurance_id: text(50, required=True) = unset()  # type: ignore[valid-type]
    plan_name: text(100) = None  # type: ignore[valid-type]
    first_name: OptionalName = None
    last_name: OptionalName = None
    birthday: Day = None
    gender: choice(*SEXES) = None  # type: ignore[valid-type]


class InsuranceIn(Body):
    """One insurance of an episode's Insurance Set (INS-02)."""

    priority: choice(*PRIORITIES, required=True)  # type: ignore[valid-type]
    payer: PayerRef = Field(description="the id of a payer of the RCM's payer list", examples=[1])
    effective_date: RequiredDay
    policy_holder: PolicyHolderIn


class InsuranceChange(Body):
    priority: choice(*PRIORITIES, required=True) = unset()  # type: ignore[valid-type]
    payer: PayerRef = unset()
    effective_date: RequiredDay = unset()
    policy_holder: PolicyHolderChange = unset()


class VerificationIn(Body):
    verified_by: Who


class EligibilityReviewIn(Body):
    reviewed_by: Who
    note: text(500) = None  # type: ignore[valid-type]


# -- utilization reviews and standalone authorizations ----------------------------------------

class AuthorizationIn(Conditional):
    """A U/R or a standalone authorization; an Authorized one needs its number."""

    WHEN = ("authorization_status", ("Authorized",), ("authorization_number",))
    model_config = {"json_schema_extra": when("authorization_status", STATUSES[1:],
                                              {"authorization_number": _nonblank_text(50)})}

    start_date: RequiredDay
    end_date: RequiredDay = Field(description="not before the start date")
    units: Units
    authorization_status: choice(*STATUSES, required=True)  # type: ignore[valid-type]
    authorization_number: text(50) = None  # type: ignore[valid-type]
    service: text(100, required=True, example="Sober Living")  # type: ignore[valid-type]
    um_follow_up_date: Day = None
    payer: OptionalPayerRef = Field(None, description="the id of a payer of the RCM's payer list")
    rendering_provider: text(100) = None  # type: ignore[valid-type]


class AuthorizationChange(Body):
    start_date: RequiredDay = unset()
    end_date: RequiredDay = unset()
    units: Units = unset()
    authorization_status: choice(*STATUSES, required=True) = unset()  # type: ignore[valid-type]
    authorization_number: text(50) = None  # type: ignore[valid-type]
    service: text(100, required=True) = unset()  # type: ignore[valid-type]
    um_follow_up_date: Day = None
    payer: OptionalPayerRef = None
    rendering_provider: text(100) = None  # type: ignore[valid-type]


# -- windows ----------------------------------------------------------------------------------

class WindowQuery(Query):
    token: text(1000) = Field(None, description="the link's token, from the EMR's Manage Insurance or Manage Review")  # type: ignore[valid-type]

