"""What a 005010X279A1 270 inquiry and 271 answer carry, as dataclasses, and the codes both
sides share (HL levels, service types, outcomes, gender codes)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "Benefit",
    "EligibilityRequest",
    "EligibilityResponse",
    "OUTCOMES",
    "Party",
    "SERVICE_TYPES",
    "VERSION",
]

VERSION = "005010X279A1"
# Default EQ01 for behavioral health: plan coverage, mental health, substance abuse, alcoholism,
# and the mental-health / substance-abuse provider and facility codes (CE-CJ are 5010 codes).
SERVICE_TYPES = ("30", "MH", "AI", "AJ", "CE", "CF", "CG", "CH", "CI", "CJ")
OUTCOMES = ("active", "inactive", "auth_required", "not_found")

FUNCTIONAL_IDS = MappingProxyType({"270": "HS", "271": "HB"})
BHT_PURPOSE = MappingProxyType({"270": "13", "271": "11"})  # 13 request, 11 response
GENDERS = ("F", "M", "U")  # what a Party may say; "U" (unknown) is sent as no DMG03
# DMG03 in 2100C/2100D allows only F and M; the element is situational, so unknown is left out.
SENT_GENDERS = ("F", "M")
# EB01 eligibility codes: 1-5 are kinds of active coverage, 6-8 kinds of inactive coverage.
ACTIVE = ("1", "2", "3", "4", "5")
INACTIVE = ("6", "7", "8")
# TRN03 is required and exactly 10 characters: "9" (assigned by the originator) + 9 more.
TRN_ORIGINATOR = "9KIPURCM00"
NOT_FOUND_REASON = "75"  # AAA03: subscriber/insured not found
AUTH_MESSAGE = "AUTHORIZATION REQUIRED"


@dataclass(frozen=True)
class Level:
    code: str  # HL03
    parent: str | None  # HL03 of the parent level
    loop: str  # the 2000 loop the HL opens
    name_loop: str  # the 2100 loop that holds its NM1
    entity: str  # NM101 required in that 2100 loop
    what: str


LEVELS = MappingProxyType({
    "20": Level("20", None, "2000A", "2100A", "PR", "information source"),
    "21": Level("21", "20", "2000B", "2100B", "1P", "information receiver"),
    "22": Level("22", "21", "2000C", "2100C", "IL", "subscriber"),
    "23": Level("23", "22", "2000D", "2100D", "03", "dependent"),
})


@dataclass(frozen=True)
class Party:
    """A person in 2100C (subscriber) or 2100D (dependent)."""

    member_id: str  # NM109; may be "" (a dependent normally has none in 5010)
    first_name: str  # NM104
    last_name: str  # NM103
    dob: datetime.date  # DMG02
    gender: str  # "F", "M" or "U"; DMG03 is sent for F and M only


@dataclass(frozen=True)
class EligibilityRequest:
    payer_name: str  # 2100A NM103
    payer_id: str  # 2100A NM109 (qualifier PI)
    provider_name: str  # 2100B NM103
    provider_npi: str  # 2100B NM109 (qualifier XX)
    subscriber: Party  # 2000C / 2100C
    dependent: Party | None = None  # 2000D / 2100D when the patient is not the subscriber
    service_types: tuple[str, ...] = SERVICE_TYPES  # EQ01 repetitions
    # Keyword-only so the field order above can stay as documented with a required date.
    service_date: datetime.date = field(kw_only=True)  # DTP*291*D8
    trace_number: str = ""  # TRN02 in the patient's loop; "" sends no TRN


@dataclass(frozen=True)
class Benefit:
    info: str  # EB01: "1" active coverage, "6" inactive, ...
    service_types: tuple[str, ...]  # EB03 repetitions
    authorization_required: bool  # EB11 == "Y"
    message: str = ""  # MSG01 of the MSG segments following the EB, joined by " "


@dataclass(frozen=True)
class EligibilityResponse:
    status: str  # "active" | "inactive" | "auth_required" | "not_found"
    benefits: tuple[Benefit, ...]  # the EBs of the patient's loop
    reject_reason: str = ""  # AAA03 of the first rejecting AAA (e.g. "75") when not_found
    trace_number: str = ""  # TRN02 of the TRN*2 echoing the inquiry
    subscriber: Party | None = None  # 2100C; None when the 271 carries no DMG for it
