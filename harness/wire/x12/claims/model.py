"""What an 837P/837I claim carries, as dataclasses, with the limits and codes the 837 builder,
its checks and the 277CA share.

Diagnoses are stored dotted (``F10.20``) and sent without the dot (``F1020``); the first is the
principal. Money is sent with at most two decimals and no trailing zeros (``150``, ``12.5``).
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass
from types import MappingProxyType

from ..envelope import X12Error

__all__ = [
    "Address",
    "Claim",
    "ClaimError",
    "MAX_CLAIMS_PER_837",
    "MAX_DIAGNOSES",
    "Person",
    "Provider",
    "ServiceLine",
    "Subscriber",
    "VERSIONS",
    "VERSION_277CA",
    "VERSION_999",
    "Validation",
]

# 837P: one HI of 12 composites. 837I: the principal plus two HI of 12 "other" diagnoses.
MAX_DIAGNOSES = MappingProxyType({"837P": 12, "837I": 25})
VERSIONS = MappingProxyType({"837P": "005010X222A1", "837I": "005010X223A2"})
VERSION_277CA = "005010X214"
VERSION_999 = "005010X231A1"
# Both guides: "the number of CLM segments in a transaction set should not exceed 5000", and
# clearinghouses enforce it; callers split bigger batches into several interchanges.
MAX_CLAIMS_PER_837 = 5000
GENDERS = ("F", "M", "U")  # DMG03 of 2010BA and 2010CA is required and allows all three
SELF = "18"


class ClaimError(X12Error):
    """A claim that cannot be built or an answer that cannot be read; str() is a one-line
    reason naming the claim and the element, e.g.
    ``"claim 'C1': SV107: pointer 3, but the claim has 2 diagnoses"``."""


@dataclass(frozen=True)
class Address:
    street: str  # N301
    city: str  # N401
    state: str  # N402: two letters
    zip: str  # N403: 5 or 9 digits ("12345-6789" is accepted); 9 for the billing provider


@dataclass(frozen=True)
class Provider:
    """The billing provider (2010AA) or the rendering (837P) / attending (837I) provider."""

    name: str  # organization name, or "Last, First" for a person (NM102 1)
    npi: str  # NM109 (XX): 10 digits with the Luhn check digit over 80840 + NPI
    tax_id: str = ""  # REF*EI: EIN, 9 digits; billing provider only
    address: Address | None = None  # required for the billing provider
    taxonomy: str = ""  # optional PRV03


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    dob: datetime.date
    gender: str  # "F" | "M" | "U"
    address: Address | None = None


@dataclass(frozen=True)
class Subscriber:
    person: Person
    member_id: str  # NM109 (MI) of 2010BA
    payer_name: str  # 2010BB NM103
    payer_id: str  # 2010BB NM109 (PI)
    relationship: str = SELF  # "18" self, else PAT01 of the dependent: "01", "19", "G8", ...
    group_number: str = ""  # SBR03
    priority: str = "P"  # SBR01: P, S, T


@dataclass(frozen=True)
class ServiceLine:
    procedure_code: str  # HCPCS/CPT, e.g. "H0018", "90837"
    charge: decimal.Decimal  # at most 2 decimals
    units: int
    service_date: datetime.date  # DTP*472
    modifiers: tuple[str, ...] = ()  # up to 4
    revenue_code: str = ""  # 837I SV201 (required there)
    diagnosis_pointers: tuple[int, ...] = (1,)  # 837P SV107: 1-4 pointers into Claim.diagnoses
    place_of_service: str = ""  # 837P SV105, only when it differs from the claim's


@dataclass(frozen=True)
class Claim:
    claim_id: str  # CLM01 (patient control number), unique in a batch
    claim_format: str  # "837P" or "837I"
    billing_provider: Provider
    rendering_provider: Provider | None  # 837P NM1*82 / 837I attending NM1*71 (required)
    subscriber: Subscriber
    patient: Person | None  # None when the subscriber is the patient (relationship 18)
    diagnoses: tuple[str, ...]  # ICD-10-CM, dotted as stored; the first is the principal
    lines: tuple[ServiceLine, ...]
    place_of_service: str = "55"  # 837P CLM05-1
    type_of_bill: str = "0861"  # 837I CLM05-1 is its facility type + classification ("86")
    admission_date: datetime.date | None = None  # 837I DTP*435, sent when known
    statement_from: datetime.date | None = None  # 837I DTP*434; default: first line date
    statement_to: datetime.date | None = None  # default: last line date
    frequency: str = "1"  # CLM05-3


@dataclass(frozen=True)
class Validation:
    ok: bool  # pyx12 found no error
    errors: tuple[str, ...]  # pyx12's messages, "SEG (line n): message [value]"
    ack_999: str  # the 999 (005010X231A1): IK5*A / AK9*A, or IK3/IK4 with IK5*R / AK9*R


def amount(value: decimal.Decimal) -> str:
    """X12 R: no exponent, no trailing zeros after the point, no point for whole amounts."""
    text = format(decimal.Decimal(value).quantize(decimal.Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def undotted(code: str) -> str:
    return code.replace(".", "")


def zip_code(value: str) -> str:
    return value.replace("-", "")


def claim_total(claim: Claim) -> decimal.Decimal:
    return sum((line.charge for line in claim.lines), decimal.Decimal(0))


def statement(claim: Claim) -> tuple[datetime.date, datetime.date]:
    """The statement period: the claim's own dates, else its first and last line dates."""
    dates = [line.service_date for line in claim.lines]
    return claim.statement_from or min(dates), claim.statement_to or max(dates)


def is_date(value: object) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
