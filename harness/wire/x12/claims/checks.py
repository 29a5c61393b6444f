"""What :func:`~kipu_harness.wire.x12.claims.build837.build_837` and the 277CA check before
writing anything: everything pyx12 cannot see or that a payer would reject.

That is NPI check digits, well-formed ICD-10-CM codes, the 837P limit of 12 diagnoses (pyx12
only sees 13 composites in one HI), at most 4 diagnosis pointers per line, each pointing at a
diagnosis the claim has, money with at most two decimals, and the situational segments the
integration needs (addresses, demographics, attending provider). Free text (names, streets,
cities) must say something once :func:`~kipu_harness.wire.x12.envelope.free_text` has cleaned
it; identifiers must hold no separator. Every failure is a
:class:`~kipu_harness.wire.x12.claims.model.ClaimError` naming the claim and the element.
"""

from __future__ import annotations

import datetime
import decimal
import re
from types import MappingProxyType

from ..envelope import Envelope, X12Error, check_envelope, free_text
from ..npi import npi_valid
from .model import (
    GENDERS,
    MAX_DIAGNOSES,
    SELF,
    Address,
    Claim,
    ClaimError,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
    is_date,
    statement,
    undotted,
    zip_code,
)

__all__ = ["check_billing", "check_claim", "check_envelope_as_claim", "check_id", "check_money",
           "check_name", "check_person", "check_provider"]

_MAX_LINES = MappingProxyType({"837P": 50, "837I": 999})  # 2400 repeat in each guide
_MAX_POINTERS = 4  # SV107 has four components
_MAX_MODIFIERS = 4  # SV101-3..6 / SV202-3..6
_PRIORITIES = ("P", "S", "T")
# PAT01 codes the 5010 837s allow for a patient who is not the subscriber.
DEPENDENT_RELATIONSHIPS = ("01", "19", "20", "21", "39", "40", "53", "G8")
# ICD-10-CM: a letter, a digit, a digit or letter (F10, F32.A, C4A), then up to four more
# characters after an optional dot. The digit in second place is what tells "XYZ99" apart.
_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
_CODE = re.compile(r"[A-Z0-9]{5}")  # CPT/HCPCS
_MODIFIER = re.compile(r"[A-Z0-9]{2}")
_REVENUE = re.compile(r"[0-9]{4}")
_POS = re.compile(r"[0-9]{2}")
_TAX_ID = re.compile(r"[0-9]{9}")
_ZIP = re.compile(r"[0-9]{5}(?:[0-9]{4})?")
_STATE = re.compile(r"[A-Z]{2}")
TOB = re.compile(r"0?([0-9]{2})([0-9])?")  # "0861", "861" or "86": facility type + class
# Frequency 7 (replacement) and 8 (void) need REF*F8 with the payer's claim number, which a
# Claim does not carry, so only original-style frequencies are built.
_FREQUENCIES = ("1", "2", "3", "4", "5", "6", "9", "0")
_DELIMITERS = frozenset("*:^~\r\n")


def check_envelope_as_claim(envelope: Envelope) -> None:
    try:
        check_envelope(envelope)
    except X12Error as exc:
        raise ClaimError(f"envelope: {exc}") from None


def check_billing(claim: Claim) -> None:
    provider, cid = claim.billing_provider, claim.claim_id
    check_provider(provider, "2010AA billing provider", cid)
    if claim.claim_format == "837I" and "," in free_text(provider.name):
        raise ClaimError(f"claim {cid!r}: NM102: the 837I billing provider must be an "
                         f"organization, got the person name {provider.name!r}")
    if not _TAX_ID.fullmatch(provider.tax_id.replace("-", "")):
        raise ClaimError(f"claim {cid!r}: REF02 (2010AA billing provider EIN): "
                         f"{provider.tax_id!r} is not 9 digits")
    if provider.address is None:
        raise ClaimError(f"claim {cid!r}: N3 (2010AA billing provider address) is required")
    _check_address(provider.address, "2010AA billing provider", cid)
    # The guide wants the full ZIP+4 for the billing provider's street address.
    if len(zip_code(provider.address.zip)) != 9:
        raise ClaimError(f"claim {cid!r}: N403 (2010AA billing provider): ZIP "
                         f"{provider.address.zip!r} must be 9 digits (ZIP+4)")


def check_provider(provider: Provider, who: str, cid: str) -> None:
    """``who`` is the loop and role, e.g. "2010AA billing provider"."""
    if not isinstance(provider, Provider):
        raise ClaimError(f"claim {cid!r}: NM1 ({who}): {provider!r} is not a Provider")
    if not npi_valid(provider.npi):
        raise ClaimError(f"claim {cid!r}: NM109 ({who} NPI): {provider.npi!r} is not 10 digits "
                         f"with a valid check digit")
    name = check_name(f"NM103 ({who})", provider.name, cid)
    last, comma, first = name.partition(",")
    if not name or (comma and not (last.strip() and first.strip())):
        raise ClaimError(f"claim {cid!r}: NM103 ({who}): name {provider.name!r} is empty or "
                         f"not 'Last, First'")
    if provider.taxonomy and not re.fullmatch(r"[0-9A-Z]{9}X", provider.taxonomy):
        raise ClaimError(f"claim {cid!r}: PRV03: taxonomy {provider.taxonomy!r} is not a "
                         f"10-character code ending in X")


def _check_address(address: Address, loop: str, cid: str) -> None:
    if not isinstance(address, Address):
        raise ClaimError(f"claim {cid!r}: N3 ({loop}): {address!r} is not an Address")
    street = check_name(f"N301 ({loop})", address.street, cid)
    city = check_name(f"N401 ({loop})", address.city, cid)
    if not street or not city:
        raise ClaimError(f"claim {cid!r}: N301/N401 ({loop}): street and city are required")
    if not _STATE.fullmatch(address.state):
        raise ClaimError(f"claim {cid!r}: N402 ({loop}): state {address.state!r} is not two "
                         f"capital letters")
    if not _ZIP.fullmatch(zip_code(address.zip)):
        raise ClaimError(f"claim {cid!r}: N403 ({loop}): ZIP {address.zip!r} is not 5 or 9 "
                         f"digits")


def check_person(person: Person, loop: str, cid: str) -> None:
    if not isinstance(person, Person):
        raise ClaimError(f"claim {cid!r}: NM1 ({loop}): {person!r} is not a Person")
    last = check_name(f"NM103 ({loop})", person.last_name, cid)
    first = check_name(f"NM104 ({loop})", person.first_name, cid)
    if not last or not first:
        raise ClaimError(f"claim {cid!r}: NM103/NM104 ({loop}): last and first name are "
                         f"required")
    if not isinstance(person.dob, datetime.date) or isinstance(person.dob, datetime.datetime):
        raise ClaimError(f"claim {cid!r}: DMG02 ({loop}): birth date {person.dob!r} is not a "
                         f"date")
    if person.gender not in GENDERS:
        raise ClaimError(f"claim {cid!r}: DMG03 ({loop}): gender {person.gender!r} is not one "
                         f"of {', '.join(GENDERS)}")


def check_claim(claim: Claim) -> None:
    """Everything pyx12 cannot see or that would make a payer reject the claim."""
    cid = claim.claim_id
    if not isinstance(cid, str) or not 1 <= len(cid) <= 20:
        raise ClaimError(f"claim {cid!r}: CLM01: patient control number must be 1-20 "
                         f"characters")
    check_id("CLM01", cid, cid)
    fmt = claim.claim_format
    sub = claim.subscriber
    if not isinstance(sub, Subscriber):
        raise ClaimError(f"claim {cid!r}: SBR: {sub!r} is not a Subscriber")
    if sub.priority not in _PRIORITIES:
        raise ClaimError(f"claim {cid!r}: SBR01: priority {sub.priority!r} is not one of "
                         f"{', '.join(_PRIORITIES)}")
    payer_name = check_name("NM103 (2010BB payer)", sub.payer_name, cid)
    if not sub.member_id or not payer_name or not sub.payer_id:
        raise ClaimError(f"claim {cid!r}: NM109: member id (2010BA), payer name and payer id "
                         f"(2010BB) are all required")
    for where, value in (("NM109 (2010BA member id)", sub.member_id),
                         ("NM109 (2010BB payer id)", sub.payer_id),
                         ("SBR03 (group number)", sub.group_number)):
        check_id(where, value, cid)
    check_person(sub.person, "2010BA subscriber", cid)
    if claim.patient is None:
        if sub.relationship != SELF:
            raise ClaimError(f"claim {cid!r}: PAT01: relationship {sub.relationship!r} needs "
                             f"the patient (Claim.patient); it is None, which means self (18)")
        if sub.person.address is None:
            raise ClaimError(f"claim {cid!r}: N3 (2010BA subscriber address) is required when "
                             f"the subscriber is the patient")
        _check_address(sub.person.address, "2010BA subscriber", cid)
    else:
        if sub.relationship not in DEPENDENT_RELATIONSHIPS:
            raise ClaimError(f"claim {cid!r}: PAT01: relationship {sub.relationship!r} for a "
                             f"patient who is not the subscriber is not one of "
                             f"{', '.join(DEPENDENT_RELATIONSHIPS)}")
        check_person(claim.patient, "2010CA patient", cid)
        address = claim.patient.address or sub.person.address
        if address is None:
            raise ClaimError(f"claim {cid!r}: N3 (2010CA patient address) is required; give "
                             f"the patient's or the subscriber's address")
        _check_address(address, "2010CA patient", cid)
        if sub.person.address is not None:
            _check_address(sub.person.address, "2010BA subscriber", cid)
    if claim.frequency not in _FREQUENCIES:
        raise ClaimError(f"claim {cid!r}: CLM05-3: frequency {claim.frequency!r} is not one of "
                         f"{', '.join(_FREQUENCIES)} (7/8 need the payer claim number, REF*F8)")
    _check_diagnoses(claim)
    _check_lines(claim)
    rendering = claim.rendering_provider
    if fmt == "837P":
        if not _POS.fullmatch(claim.place_of_service):
            raise ClaimError(f"claim {cid!r}: CLM05-1: place of service "
                             f"{claim.place_of_service!r} is not a 2-digit code")
        if rendering is not None:
            check_provider(rendering, "2310B rendering provider", cid)
    else:
        match = TOB.fullmatch(claim.type_of_bill)
        if not match:
            raise ClaimError(f"claim {cid!r}: CLM05-1: type of bill {claim.type_of_bill!r} is "
                             f"not 0 + facility type + classification [+ frequency]")
        if match.group(2) and match.group(2) != claim.frequency:
            raise ClaimError(f"claim {cid!r}: CLM05-3: type of bill {claim.type_of_bill!r} ends "
                             f"in frequency {match.group(2)}, claim frequency is "
                             f"{claim.frequency!r}")
        # The guide requires the attending provider on any claim with services.
        if rendering is None:
            raise ClaimError(f"claim {cid!r}: NM1*71 (2310A attending provider) is required "
                             f"on an 837I")
        check_provider(rendering, "2310A attending provider", cid)
        if "," not in rendering.name:
            raise ClaimError(f"claim {cid!r}: NM102 (2310A attending provider): "
                             f"{rendering.name!r} must be a person, 'Last, First'")
        _check_statement(claim)
        if claim.admission_date is not None and not is_date(claim.admission_date):
            raise ClaimError(f"claim {cid!r}: DTP03 (435 admission): {claim.admission_date!r} "
                             f"is not a date")


def _check_diagnoses(claim: Claim) -> None:
    cid, codes, fmt = claim.claim_id, claim.diagnoses, claim.claim_format
    if not isinstance(codes, tuple) or not codes:
        raise ClaimError(f"claim {cid!r}: HI01: diagnoses must be a non-empty tuple (the "
                         f"first is the principal)")
    if len(codes) > MAX_DIAGNOSES[fmt]:
        raise ClaimError(f"claim {cid!r}: HI: {len(codes)} diagnoses; an {fmt} carries at most "
                         f"{MAX_DIAGNOSES[fmt]} (rank and cut before building)")
    seen: set[str] = set()
    for n, code in enumerate(codes, 1):
        if not isinstance(code, str) or not _ICD10.fullmatch(code):
            raise ClaimError(f"claim {cid!r}: HI (diagnosis {n}): {code!r} is not an ICD-10-CM "
                             f"code (letter, 2 alphanumerics, up to 4 more after the dot)")
        if undotted(code) in seen:
            raise ClaimError(f"claim {cid!r}: HI (diagnosis {n}): {code!r} is listed twice")
        seen.add(undotted(code))


def _check_lines(claim: Claim) -> None:
    cid, fmt, lines = claim.claim_id, claim.claim_format, claim.lines
    if not isinstance(lines, tuple) or not lines:
        raise ClaimError(f"claim {cid!r}: LX: lines must be a non-empty tuple")
    if len(lines) > _MAX_LINES[fmt]:
        raise ClaimError(f"claim {cid!r}: LX: {len(lines)} service lines; an {fmt} carries at "
                         f"most {_MAX_LINES[fmt]}")
    for n, line in enumerate(lines, 1):
        where = f"claim {cid!r} line {n}"
        if not isinstance(line, ServiceLine):
            raise ClaimError(f"{where}: LX: {line!r} is not a ServiceLine")
        proc = "SV101-2" if fmt == "837P" else "SV202-2"
        if not isinstance(line.procedure_code, str) or not _CODE.fullmatch(line.procedure_code):
            raise ClaimError(f"{where}: {proc}: procedure code {line.procedure_code!r} is not "
                             f"5 capital letters/digits")
        if not isinstance(line.modifiers, tuple) or len(line.modifiers) > _MAX_MODIFIERS:
            raise ClaimError(f"{where}: {proc[:5]}3: modifiers must be a tuple of at most "
                             f"{_MAX_MODIFIERS}")
        for mod in line.modifiers:
            if not isinstance(mod, str) or not _MODIFIER.fullmatch(mod):
                raise ClaimError(f"{where}: {proc[:5]}3: modifier {mod!r} is not 2 capital "
                                 f"letters/digits")
        charge_at = "SV102" if fmt == "837P" else "SV203"
        check_money(line.charge, f"{where}: {charge_at}")
        units_at = "SV104" if fmt == "837P" else "SV205"
        if type(line.units) is not int or not 1 <= line.units <= 9999:
            raise ClaimError(f"{where}: {units_at}: units {line.units!r} is not an integer "
                             f"1-9999")
        if not is_date(line.service_date):
            raise ClaimError(f"{where}: DTP03 (472 service date): {line.service_date!r} is not "
                             f"a date")
        if fmt == "837P":
            _check_pointers(line, len(claim.diagnoses), where)
            if line.place_of_service and not _POS.fullmatch(line.place_of_service):
                raise ClaimError(f"{where}: SV105: place of service {line.place_of_service!r} "
                                 f"is not a 2-digit code")
        elif not _REVENUE.fullmatch(line.revenue_code or ""):
            raise ClaimError(f"{where}: SV201: revenue code {line.revenue_code!r} is not 4 "
                             f"digits (required on an 837I)")


def _check_pointers(line: ServiceLine, diagnoses: int, where: str) -> None:
    pointers = line.diagnosis_pointers
    if not isinstance(pointers, tuple) or not pointers:
        raise ClaimError(f"{where}: SV107: diagnosis_pointers must be a non-empty tuple")
    if len(pointers) > _MAX_POINTERS:
        raise ClaimError(f"{where}: SV107: {len(pointers)} diagnosis pointers; at most "
                         f"{_MAX_POINTERS}")
    for pointer in pointers:
        if type(pointer) is not int or not 1 <= pointer <= diagnoses:
            raise ClaimError(f"{where}: SV107: pointer {pointer!r}, but the claim has "
                             f"{diagnoses} diagnoses")
    if len(set(pointers)) != len(pointers):
        raise ClaimError(f"{where}: SV107: pointers {pointers} repeat a diagnosis")


def _check_statement(claim: Claim) -> None:
    cid = claim.claim_id
    for value in (claim.statement_from, claim.statement_to):
        if value is not None and not is_date(value):
            raise ClaimError(f"claim {cid!r}: DTP03 (434 statement dates): {value!r} is not a "
                             f"date")
    start, end = statement(claim)
    if start > end:
        raise ClaimError(f"claim {cid!r}: DTP03 (434 statement dates): {start} is after {end}")
    for n, line in enumerate(claim.lines, 1):
        if not start <= line.service_date <= end:
            raise ClaimError(f"claim {cid!r} line {n}: DTP03 (472 service date): "
                             f"{line.service_date} is outside the statement period "
                             f"{start}..{end}")


def check_money(value: object, where: str) -> None:
    # Floats are refused: a binary fraction is not the amount the chart says.
    if isinstance(value, bool) or not isinstance(value, (decimal.Decimal, int)):
        raise ClaimError(f"{where}: charge {value!r} is not a Decimal")
    value = decimal.Decimal(value)
    if not value.is_finite() or value < 0:
        raise ClaimError(f"{where}: charge {value} is not a non-negative amount")
    if value != value.quantize(decimal.Decimal("0.01")):
        raise ClaimError(f"{where}: charge {value} has more than 2 decimals")
    if value >= 10 ** 16:
        raise ClaimError(f"{where}: charge {value} is too large")


def check_name(where: str, value: str, cid: str) -> str:
    """Free text (a name, street or city) as it will be sent; "" when nothing is left."""
    if not isinstance(value, str):
        raise ClaimError(f"claim {cid!r}: {where}: {value!r} is not text")
    return free_text(value)


def check_id(where: str, value: str, cid: str) -> None:
    """An identifier or code: sent as it is, so it may hold no separator."""
    if not isinstance(value, str):
        raise ClaimError(f"claim {cid!r}: {where}: {value!r} is not text")
    bad = sorted({c for c in value if c in _DELIMITERS})
    if bad:
        raise ClaimError(f"claim {cid!r}: {where}: {value!r} contains the delimiter(s) "
                         f"{''.join(bad)!r}")
