"""X12 claims: the RCM's 837P/837I batch, pyx12 validation with its 999, and the 277CA answer.

The mock RCM turns a batch of claims into one 837 (:func:`build_837`): 005010X222A1 for
professional claims (clinicians: CPT/HCPCS plus place of service) or 005010X223A2 for
institutional ones (facilities: revenue code, type of bill, per-diem lines).
:func:`validate_837` runs pyx12 over it and returns pyx12's messages and the 999 pyx12 writes.
The mock clearinghouse answers with a 005010X214 277CA (:func:`build_277ca`), which the RCM
reads back as claim id -> accepted / rejected (:func:`parse_277ca`).

pyx12 checks the implementation guide's syntax, loops, required elements and code lists. It does
not check what :func:`build_837` checks before writing anything: NPI check digits, well-formed
ICD-10-CM codes, the 837P limit of 12 diagnoses (pyx12 only sees 13 composites in one HI), at
most 4 diagnosis pointers per line, each pointing at a diagnosis the claim has, and the
situational segments the integration needs (addresses, demographics, attending provider).

Layout built (``~`` ends each segment, ``*`` separates elements, ``:`` components)::

    ISA ... GS*HC ... ST*837*<ST02>*<version>  BHT*0019*00*<ST02>*CCYYMMDD*HHMMSS*CH
    NM1*41*2*<submitter>*****46*<ISA06>  PER*IC*<contact>*TE*<phone>          1000A
    NM1*40*2*<receiver>*****46*<ISA08>                                         1000B
    HL*1**20*1 [PRV*BI*PXC*taxonomy] NM1*85*... N3 N4 REF*EI*<tax id>          2000A/2010AA
    per claim:
      HL*n*1*22*0|1 SBR*P*18|*group****CI [PAT]                               2000B
      NM1*IL*1*last*first****MI*member_id [N3 N4] [DMG]                        2010BA
      NM1*PR*2*payer*****PI*payer_id                                           2010BB
      [HL*m*n*23*0 PAT*01|19|.. NM1*QC*1*last*first N3 N4 DMG]                 2000C/2010CA
      837P: CLM*id*total***POS:B:freq*Y*A*Y*Y  HI*ABK:..*ABF:..  [NM1*82 [PRV*PE]]
            LX*k SV1*HC:code[:mods]*charge*UN*units*[POS]**1:2:3:4 DTP*472*D8*date
      837I: CLM*id*total***86:A:freq**A*Y*Y  DTP*434*RD8*from-to [DTP*435*D8*date] CL1
            HI*ABK:.. HI*ABJ:.. [HI*ABF:..(12) [HI*ABF:..(12)]] NM1*71*1*.. [PRV*AT]
            LX*k SV2*rev*HC:code[:mods]*charge*UN*units DTP*472*D8*date

Diagnoses are stored dotted (``F10.20``) and sent without the dot (``F1020``); the first is the
principal. Money is sent with at most two decimals and no trailing zeros (``150``, ``12.5``).
"""

from __future__ import annotations

import datetime
import decimal
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

from .x12_eligibility import (
    Envelope,
    X12Error,
    _check_envelope,
    _d8,
    _hhmmss,
    _isa,
    _npi_ok,
    _split,
)

__all__ = [
    "Address",
    "Claim",
    "ClaimError",
    "Envelope",
    "MAX_CLAIMS_PER_837",
    "MAX_DIAGNOSES",
    "Person",
    "Provider",
    "ServiceLine",
    "Subscriber",
    "VERSION_277CA",
    "Validation",
    "build_277ca",
    "build_837",
    "parse_277ca",
    "validate_277ca",
    "validate_837",
]

# 837P: one HI of 12 composites. 837I: the principal plus two HI of 12 "other" diagnoses.
MAX_DIAGNOSES = MappingProxyType({"837P": 12, "837I": 25})

_VERSIONS = MappingProxyType({"837P": "005010X222A1", "837I": "005010X223A2"})
VERSION_277CA = "005010X214"
_MAX_LINES = MappingProxyType({"837P": 50, "837I": 999})  # 2400 repeat in each guide
_MAX_POINTERS = 4  # SV107 has four components
_MAX_MODIFIERS = 4  # SV101-3..6 / SV202-3..6
# Both guides: "the number of CLM segments in a transaction set should not exceed 5000", and
# clearinghouses enforce it; callers split bigger batches into several interchanges.
MAX_CLAIMS_PER_837 = 5000
_ELEMENT, _REPETITION, _COMPONENT, _TERMINATOR = "*", "^", ":", "~"
_DELIMITERS = _ELEMENT + _REPETITION + _COMPONENT + _TERMINATOR + "\r\n"
_GENDERS = ("F", "M", "U")
_PRIORITIES = ("P", "S", "T")
# PAT01 codes the 5010 837s allow for a patient who is not the subscriber.
_DEPENDENT_RELATIONSHIPS = ("01", "19", "20", "21", "39", "40", "53", "G8")
_SELF = "18"
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
_TOB = re.compile(r"0?([0-9]{2})([0-9])?")  # "0861", "861" or "86": facility type + class
# Frequency 7 (replacement) and 8 (void) need REF*F8 with the payer's claim number, which a
# Claim does not carry, so only original-style frequencies are built.
_FREQUENCIES = ("1", "2", "3", "4", "5", "6", "9", "0")
_INTERIM = ("2", "3")  # interim bills: the patient is still there
_CLAIM_FILING = "CI"  # SBR09: commercial insurance; the Claim has no plan-type field
# CL1 (837I): admission type 3 elective, source 1 non-facility point of origin; status 30 still a
# patient for interim bills, else 01 discharged home.
_ADMISSION_TYPE, _ADMISSION_SOURCE = "3", "1"
_CONTACT_NAME, _CONTACT_PHONE = "EDI DESK", "8005550100"
_ACCEPTED_CATEGORIES = ("A1", "A2")  # acknowledgement: receipt / accepted into adjudication
_REJECTED_CATEGORIES = ("A3", "A4", "A6", "A7", "A8")  # returned / not found / rejected
_ACCEPT_STATUS = ("A2", "20")  # STC01: accepted into adjudication, "accepted for processing"
_REJECT_STATUS = ("A3", "21")  # STC01: returned as unprocessable, "missing or invalid info"
_RECEIPT_STATUS = ("A1", "19", "PR")  # receiver/provider levels: payer acknowledges receipt


class ClaimError(ValueError):
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
    relationship: str = _SELF  # "18" self, else PAT01 of the dependent: "01", "19", "G8", ...
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
    ack_999: str  # the 999 pyx12 writes: IK5*A / AK9*A, or IK3/IK4 with IK5*R / AK9*R


# --------------------------------------------------------------------------- 837

def build_837(claims: Sequence[Claim], envelope: Envelope, *, submitter_name: str = "",
              receiver_name: str = "", contact_phone: str = _CONTACT_PHONE) -> str:
    """Build one interchange with one 837 for ``claims``; one segment per line.

    All claims share the format and the billing provider (one 2000A loop); each claim gets its
    own subscriber HL (and patient HL for a dependent). The submitter (1000A) defaults to the
    billing provider and is identified by ISA06; the receiver (1000B) defaults to ISA08 as
    name and id. Raises :class:`ClaimError` naming the claim and the element for anything the
    guide or the payer would refuse that can be seen here (see the module docstring).
    """
    claims = tuple(claims)
    if not claims:
        raise ClaimError("CLM: no claims to build")
    first = claims[0]
    fmt = first.claim_format
    if fmt not in _VERSIONS:
        raise ClaimError(f"claim {first.claim_id!r}: claim_format {fmt!r} is not 837P or 837I")
    if len(claims) > MAX_CLAIMS_PER_837:
        raise ClaimError(f"CLM: {len(claims)} claims; at most {MAX_CLAIMS_PER_837} in one 837")
    seen: set[str] = set()
    for claim in claims:
        if claim.claim_format != fmt:
            raise ClaimError(f"claim {claim.claim_id!r}: claim_format {claim.claim_format!r} "
                             f"differs from {fmt!r} of claim {first.claim_id!r}; one format "
                             f"per 837")
        if claim.billing_provider != first.billing_provider:
            raise ClaimError(f"claim {claim.claim_id!r}: NM1*85: billing provider differs from "
                             f"claim {first.claim_id!r}'s; one billing provider per 837")
        # The 277CA answers by CLM01, so a repeated one could not be told apart.
        if claim.claim_id in seen:
            raise ClaimError(f"claim {claim.claim_id!r}: CLM01 appears twice in the batch")
        seen.add(claim.claim_id)
    _check_envelope_as_claim(envelope)
    _check_billing(first)
    name = submitter_name or first.billing_provider.name
    receiver = receiver_name or envelope.receiver_id
    _check_text("NM103", name, first.claim_id)
    if not contact_phone.isdigit() or not 10 <= len(contact_phone) <= 15:
        raise ClaimError(f"PER04: contact phone {contact_phone!r} is not 10-15 digits")

    body = [
        _seg("BHT", "0019", "00", f"{envelope.transaction_control:04d}",
             _d8(envelope.created_at), _hhmmss(envelope.created_at), "CH"),
        _seg("NM1", "41", "2", name, "", "", "", "", "46", envelope.sender_id),
        _seg("PER", "IC", _CONTACT_NAME, "TE", contact_phone),
        _seg("NM1", "40", "2", receiver, "", "", "", "", "46", envelope.receiver_id),
    ]
    body += _billing_loop(first.billing_provider)
    hl = 1
    for claim in claims:
        segments, hl = _claim_loops(claim, hl)
        body += segments
    return _seal("837", "HC", _VERSIONS[fmt], body, envelope)


def _billing_loop(provider: Provider) -> list[str]:
    address = provider.address
    lines = [_seg("HL", "1", "", "20", "1")]
    if provider.taxonomy:
        lines.append(_seg("PRV", "BI", "PXC", provider.taxonomy))
    lines += [
        _nm1("85", provider),
        _seg("N3", address.street),
        _seg("N4", address.city, address.state, _zip(address.zip)),
        _seg("REF", "EI", provider.tax_id.replace("-", "")),
    ]
    return lines


def _claim_loops(claim: Claim, hl: int) -> tuple[list[str], int]:
    """2000B (and 2000C) with the claim's 2300/2400 loops; returns them and the last HL id."""
    _check_claim(claim)
    sub = claim.subscriber
    dependent = claim.patient is not None
    subscriber_hl = hl + 1
    lines = [
        _seg("HL", str(subscriber_hl), "1", "22", "1" if dependent else "0"),
        # SBR02 carries only "18"; a dependent's relationship goes in PAT01 of 2000C.
        _seg("SBR", sub.priority, "" if dependent else _SELF, sub.group_number,
             "", "", "", "", "", _CLAIM_FILING),
        _seg("NM1", "IL", "1", sub.person.last_name, sub.person.first_name, "", "", "",
             "MI", sub.member_id),
    ]
    if sub.person.address is not None:
        lines += _address(sub.person.address)
    if not dependent:
        # The guide: subscriber DMG only when the subscriber is the patient.
        lines.append(_dmg(sub.person))
    lines.append(_seg("NM1", "PR", "2", sub.payer_name, "", "", "", "", "PI", sub.payer_id))
    last = subscriber_hl
    if dependent:
        last = subscriber_hl + 1
        patient = claim.patient
        lines += [
            _seg("HL", str(last), str(subscriber_hl), "23", "0"),
            _seg("PAT", sub.relationship),
            _seg("NM1", "QC", "1", patient.last_name, patient.first_name),
            *_address(patient.address or sub.person.address),
            _dmg(patient),
        ]
    if claim.claim_format == "837P":
        lines += _professional(claim)
    else:
        lines += _institutional(claim)
    return lines, last


def _professional(claim: Claim) -> list[str]:
    total = _claim_total(claim)
    lines = [
        # CLM06 Y provider signature on file, CLM07 A assigned, CLM08 Y benefits assigned,
        # CLM09 Y release of information signed.
        _seg("CLM", claim.claim_id, _amount(total), "", "",
             (claim.place_of_service, "B", claim.frequency), "Y", "A", "Y", "Y"),
        _hi(claim.diagnoses, "ABK", "ABF"),
    ]
    rendering = claim.rendering_provider
    # The guide: send 2310B only when the rendering provider differs from the billing one.
    if rendering is not None and rendering.npi != claim.billing_provider.npi:
        lines.append(_nm1("82", rendering))
        if rendering.taxonomy:
            lines.append(_seg("PRV", "PE", "PXC", rendering.taxonomy))
    for n, line in enumerate(claim.lines, 1):
        pos = line.place_of_service if line.place_of_service != claim.place_of_service else ""
        lines += [
            _seg("LX", str(n)),
            _seg("SV1", ("HC", line.procedure_code, *line.modifiers), _amount(line.charge),
                 "UN", str(line.units), pos, "", tuple(str(p) for p in line.diagnosis_pointers)),
            _seg("DTP", "472", "D8", _d8(line.service_date)),
        ]
    return lines


def _institutional(claim: Claim) -> list[str]:
    total = _claim_total(claim)
    start, end = _statement(claim)
    facility = _TOB.fullmatch(claim.type_of_bill).group(1)
    status = "30" if claim.frequency in _INTERIM else "01"
    lines = [
        # CLM07 A assigned, CLM08 Y benefits assigned, CLM09 Y release of information.
        _seg("CLM", claim.claim_id, _amount(total), "", "", (facility, "A", claim.frequency),
             "", "A", "Y", "Y"),
        _seg("DTP", "434", "RD8", f"{_d8(start)}-{_d8(end)}"),
    ]
    if claim.admission_date is not None:
        lines.append(_seg("DTP", "435", "D8", _d8(claim.admission_date)))
    lines.append(_seg("CL1", _ADMISSION_TYPE, _ADMISSION_SOURCE, status))
    principal, others = claim.diagnoses[0], claim.diagnoses[1:]
    lines += [
        _seg("HI", ("ABK", _undotted(principal))),
        # The admitting diagnosis is the principal one: the Claim has no separate field.
        _seg("HI", ("ABJ", _undotted(principal))),
    ]
    for chunk in range(0, len(others), 12):
        lines.append(_hi(others[chunk:chunk + 12], "ABF", "ABF"))
    attending = claim.rendering_provider
    lines.append(_nm1("71", attending))
    if attending.taxonomy:
        lines.append(_seg("PRV", "AT", "PXC", attending.taxonomy))
    for n, line in enumerate(claim.lines, 1):
        lines += [
            _seg("LX", str(n)),
            _seg("SV2", line.revenue_code, ("HC", line.procedure_code, *line.modifiers),
                 _amount(line.charge), "UN", str(line.units)),
            _seg("DTP", "472", "D8", _d8(line.service_date)),
        ]
    return lines


def _hi(codes: Sequence[str], first: str, rest: str) -> str:
    return _seg("HI", *((first if i == 0 else rest, _undotted(code))
                        for i, code in enumerate(codes)))


def _nm1(entity: str, provider: Provider) -> str:
    last, comma, first = provider.name.partition(",")
    if comma:
        return _seg("NM1", entity, "1", last.strip(), first.strip(), "", "", "", "XX",
                    provider.npi)
    return _seg("NM1", entity, "2", provider.name, "", "", "", "", "XX", provider.npi)


def _address(address: Address) -> list[str]:
    return [_seg("N3", address.street),
            _seg("N4", address.city, address.state, _zip(address.zip))]


def _dmg(person: Person) -> str:
    return _seg("DMG", "D8", _d8(person.dob), person.gender)


def _statement(claim: Claim) -> tuple[datetime.date, datetime.date]:
    dates = [line.service_date for line in claim.lines]
    return claim.statement_from or min(dates), claim.statement_to or max(dates)


# --------------------------------------------------------------------------- checks

def _check_envelope_as_claim(envelope: Envelope) -> None:
    try:
        _check_envelope(envelope)
    except X12Error as exc:
        raise ClaimError(f"envelope: {exc}") from None


def _check_billing(claim: Claim) -> None:
    provider, cid = claim.billing_provider, claim.claim_id
    _check_provider(provider, "2010AA billing provider", cid)
    if claim.claim_format == "837I" and "," in provider.name:
        raise ClaimError(f"claim {cid!r}: NM102: the 837I billing provider must be an "
                         f"organization, got the person name {provider.name!r}")
    if not _TAX_ID.fullmatch(provider.tax_id.replace("-", "")):
        raise ClaimError(f"claim {cid!r}: REF02 (2010AA billing provider EIN): "
                         f"{provider.tax_id!r} is not 9 digits")
    if provider.address is None:
        raise ClaimError(f"claim {cid!r}: N3 (2010AA billing provider address) is required")
    _check_address(provider.address, "2010AA billing provider", cid)
    # The guide wants the full ZIP+4 for the billing provider's street address.
    if len(_zip(provider.address.zip)) != 9:
        raise ClaimError(f"claim {cid!r}: N403 (2010AA billing provider): ZIP "
                         f"{provider.address.zip!r} must be 9 digits (ZIP+4)")


def _check_provider(provider: Provider, who: str, cid: str) -> None:
    """``who`` is the loop and role, e.g. "2010AA billing provider"."""
    if not isinstance(provider, Provider):
        raise ClaimError(f"claim {cid!r}: NM1 ({who}): {provider!r} is not a Provider")
    if not _npi_ok(provider.npi):
        raise ClaimError(f"claim {cid!r}: NM109 ({who} NPI): {provider.npi!r} is not 10 digits "
                         f"with a valid check digit")
    last, comma, first = provider.name.partition(",")
    if not provider.name.strip() or (comma and not (last.strip() and first.strip())):
        raise ClaimError(f"claim {cid!r}: NM103 ({who}): name {provider.name!r} is empty or "
                         f"not 'Last, First'")
    _check_text("NM103", provider.name, cid)
    if provider.taxonomy and not re.fullmatch(r"[0-9A-Z]{9}X", provider.taxonomy):
        raise ClaimError(f"claim {cid!r}: PRV03: taxonomy {provider.taxonomy!r} is not a "
                         f"10-character code ending in X")


def _check_address(address: Address, loop: str, cid: str) -> None:
    if not isinstance(address, Address):
        raise ClaimError(f"claim {cid!r}: N3 ({loop}): {address!r} is not an Address")
    if not address.street.strip() or not address.city.strip():
        raise ClaimError(f"claim {cid!r}: N301/N401 ({loop}): street and city are required")
    if not _STATE.fullmatch(address.state):
        raise ClaimError(f"claim {cid!r}: N402 ({loop}): state {address.state!r} is not two "
                         f"capital letters")
    if not _ZIP.fullmatch(_zip(address.zip)):
        raise ClaimError(f"claim {cid!r}: N403 ({loop}): ZIP {address.zip!r} is not 5 or 9 "
                         f"digits")
    for value in (address.street, address.city):
        _check_text("N3", value, cid)


def _check_person(person: Person, loop: str, cid: str) -> None:
    if not isinstance(person, Person):
        raise ClaimError(f"claim {cid!r}: NM1 ({loop}): {person!r} is not a Person")
    if not person.last_name.strip() or not person.first_name.strip():
        raise ClaimError(f"claim {cid!r}: NM103/NM104 ({loop}): last and first name are "
                         f"required")
    if not isinstance(person.dob, datetime.date) or isinstance(person.dob, datetime.datetime):
        raise ClaimError(f"claim {cid!r}: DMG02 ({loop}): birth date {person.dob!r} is not a "
                         f"date")
    if person.gender not in _GENDERS:
        raise ClaimError(f"claim {cid!r}: DMG03 ({loop}): gender {person.gender!r} is not one "
                         f"of {', '.join(_GENDERS)}")


def _check_claim(claim: Claim) -> None:
    """Everything pyx12 cannot see or that would make a payer reject the claim."""
    cid = claim.claim_id
    if not isinstance(cid, str) or not 1 <= len(cid) <= 20:
        raise ClaimError(f"claim {cid!r}: CLM01: patient control number must be 1-20 "
                         f"characters")
    _check_text("CLM01", cid, cid)
    fmt = claim.claim_format
    sub = claim.subscriber
    if not isinstance(sub, Subscriber):
        raise ClaimError(f"claim {cid!r}: SBR: {sub!r} is not a Subscriber")
    if sub.priority not in _PRIORITIES:
        raise ClaimError(f"claim {cid!r}: SBR01: priority {sub.priority!r} is not one of "
                         f"{', '.join(_PRIORITIES)}")
    if not sub.member_id or not sub.payer_name or not sub.payer_id:
        raise ClaimError(f"claim {cid!r}: NM109: member id (2010BA), payer name and payer id "
                         f"(2010BB) are all required")
    for value in (sub.member_id, sub.payer_name, sub.payer_id, sub.group_number):
        _check_text("NM109", value, cid)
    _check_person(sub.person, "2010BA subscriber", cid)
    if claim.patient is None:
        if sub.relationship != _SELF:
            raise ClaimError(f"claim {cid!r}: PAT01: relationship {sub.relationship!r} needs "
                             f"the patient (Claim.patient); it is None, which means self (18)")
        if sub.person.address is None:
            raise ClaimError(f"claim {cid!r}: N3 (2010BA subscriber address) is required when "
                             f"the subscriber is the patient")
        _check_address(sub.person.address, "2010BA subscriber", cid)
    else:
        if sub.relationship not in _DEPENDENT_RELATIONSHIPS:
            raise ClaimError(f"claim {cid!r}: PAT01: relationship {sub.relationship!r} for a "
                             f"patient who is not the subscriber is not one of "
                             f"{', '.join(_DEPENDENT_RELATIONSHIPS)}")
        _check_person(claim.patient, "2010CA patient", cid)
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
            _check_provider(rendering, "2310B rendering provider", cid)
    else:
        match = _TOB.fullmatch(claim.type_of_bill)
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
        _check_provider(rendering, "2310A attending provider", cid)
        if "," not in rendering.name:
            raise ClaimError(f"claim {cid!r}: NM102 (2310A attending provider): "
                             f"{rendering.name!r} must be a person, 'Last, First'")
        _check_statement(claim)
        if claim.admission_date is not None and not _is_date(claim.admission_date):
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
        if _undotted(code) in seen:
            raise ClaimError(f"claim {cid!r}: HI (diagnosis {n}): {code!r} is listed twice")
        seen.add(_undotted(code))


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
        _check_money(line.charge, f"{where}: {charge_at}")
        units_at = "SV104" if fmt == "837P" else "SV205"
        if type(line.units) is not int or not 1 <= line.units <= 9999:
            raise ClaimError(f"{where}: {units_at}: units {line.units!r} is not an integer "
                             f"1-9999")
        if not _is_date(line.service_date):
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
        if value is not None and not _is_date(value):
            raise ClaimError(f"claim {cid!r}: DTP03 (434 statement dates): {value!r} is not a "
                             f"date")
    start, end = _statement(claim)
    if start > end:
        raise ClaimError(f"claim {cid!r}: DTP03 (434 statement dates): {start} is after {end}")
    for n, line in enumerate(claim.lines, 1):
        if not start <= line.service_date <= end:
            raise ClaimError(f"claim {cid!r} line {n}: DTP03 (472 service date): "
                             f"{line.service_date} is outside the statement period "
                             f"{start}..{end}")


def _check_money(value: object, where: str) -> None:
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


def _check_text(where: str, value: str, cid: str) -> None:
    if not isinstance(value, str):
        raise ClaimError(f"claim {cid!r}: {where}: {value!r} is not text")
    bad = sorted({c for c in value if c in _DELIMITERS})
    if bad:
        raise ClaimError(f"claim {cid!r}: {where}: {value!r} contains the delimiter(s) "
                         f"{''.join(bad)!r}")


def _is_date(value: object) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


# --------------------------------------------------------------------------- 277CA

def build_277ca(claims: Sequence[Claim], accepted: bool, envelope: Envelope,
                reason: str = "") -> str:
    """The clearinghouse's 005010X214 claim acknowledgement for ``claims`` (one 837's worth).

    Per payer a 2000A loop (information source), under it the receiver (2000B, the submitter,
    identified by ISA08 of this answer) and the billing provider (2000C), then per claim a
    2000D patient with 2200D: ``TRN*2*<CLM01>`` and ``STC*A2:20`` (accepted into adjudication,
    with ``REF*1K`` carrying the payer's claim number) or ``STC*A3:21`` (returned: missing or
    invalid information, ``reason`` in STC12), plus the claim's service period in DTP*472.
    The envelope's sender is the clearinghouse or payer.
    """
    claims = tuple(claims)
    if not claims:
        raise ClaimError("TRN: no claims to acknowledge")
    if not isinstance(accepted, bool):
        raise ClaimError(f"STC01: accepted must be True or False, got {accepted!r}")
    _check_envelope_as_claim(envelope)
    if len(reason) > 264:
        raise ClaimError(f"STC12: reason is {len(reason)} characters; at most 264")
    _check_text("STC12", reason, claims[0].claim_id)
    billing = claims[0].billing_provider
    seen: set[str] = set()
    for claim in claims:
        if claim.billing_provider != billing:
            raise ClaimError(f"claim {claim.claim_id!r}: NM1*85: billing provider differs from "
                             f"claim {claims[0].claim_id!r}'s; one 837's claims per 277CA")
        if claim.claim_id in seen:
            raise ClaimError(f"claim {claim.claim_id!r}: TRN02: CLM01 appears twice")
        seen.add(claim.claim_id)
        _check_text("TRN02", claim.claim_id, claim.claim_id)
        _check_person(claim.patient or claim.subscriber.person, "2100D patient", claim.claim_id)
        for value in (claim.subscriber.member_id, claim.subscriber.payer_name,
                      claim.subscriber.payer_id):
            _check_text("NM109", value, claim.claim_id)
        if not claim.lines or not all(_is_date(line.service_date) for line in claim.lines):
            raise ClaimError(f"claim {claim.claim_id!r}: DTP*472: the claim needs dated lines "
                             f"for its service period")
        for n, line in enumerate(claim.lines, 1):
            _check_money(line.charge, f"claim {claim.claim_id!r} line {n}: STC04")
    _check_provider(billing, "2100C billing provider", claims[0].claim_id)

    payers: dict[tuple[str, str], list[Claim]] = {}
    for claim in claims:
        key = (claim.subscriber.payer_name, claim.subscriber.payer_id)
        payers.setdefault(key, []).append(claim)
    today = _d8(envelope.created_at)
    batch = f"{envelope.transaction_control:04d}"
    status = _ACCEPT_STATUS if accepted else _REJECT_STATUS
    body = [_seg("BHT", "0085", "08", batch, today, _hhmmss(envelope.created_at), "TH")]
    hl = 0
    for (payer_name, payer_id), group in payers.items():
        total = _amount(sum((_claim_total(c) for c in group), decimal.Decimal(0)))
        count = str(len(group))
        source, receiver, provider = hl + 1, hl + 2, hl + 3
        hl += 3
        body += [
            _seg("HL", str(source), "", "20", "1"),
            _seg("NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id),
            _seg("TRN", "1", batch),
            _seg("DTP", "050", "D8", today),  # received
            _seg("DTP", "009", "D8", today),  # processed
            _seg("HL", str(receiver), str(source), "21", "1"),
            _seg("NM1", "41", "2", billing.name, "", "", "", "", "46", envelope.receiver_id),
            _seg("TRN", "2", batch),
            _seg("STC", _RECEIPT_STATUS, today, "WQ", total),
            _seg("QTY", "90" if accepted else "AA", count),
            _seg("AMT", "YU" if accepted else "YY", total),
            _seg("HL", str(provider), str(receiver), "19", "1"),
            _nm1("85", billing),
            _seg("TRN", "1", batch),
            _seg("STC", _RECEIPT_STATUS, "", "WQ", total),  # STC02 is not used at 2200C
            _seg("QTY", "QA" if accepted else "QC", count),
            _seg("AMT", "YU" if accepted else "YY", total),
        ]
        for claim in group:
            hl += 1
            person = claim.patient or claim.subscriber.person
            start, end = _statement(claim)
            period = (("D8", _d8(start)) if start == end
                      else ("RD8", f"{_d8(start)}-{_d8(end)}"))
            body += [
                _seg("HL", str(hl), str(provider), "PT"),  # HL04 is not used at 2000D
                _seg("NM1", "QC", "1", person.last_name, person.first_name, "", "", "",
                     "MI", claim.subscriber.member_id),
                _seg("TRN", "2", claim.claim_id),
                _seg("STC", status, today, "WQ" if accepted else "U",
                     _amount(_claim_total(claim)), *([""] * 7 + [reason] if reason else [])),
            ]
            if accepted:
                # The payer's claim number: interchange and position make it unique per answer.
                body.append(_seg("REF", "1K",
                                 f"{envelope.interchange_control:09d}{hl:05d}"))
            body.append(_seg("DTP", "472", *period))
    return _seal("277", "HN", VERSION_277CA, body, envelope)


def parse_277ca(text: str) -> dict[str, str]:
    """CLM01 -> ``"accepted"`` | ``"rejected"`` from the 2200D loops of a 277CA.

    A claim's status is the category of its first claim-level STC: A1/A2 accepted; A3, A4, A6,
    A7, A8 rejected. Raises :class:`ClaimError` for anything else, for a missing TRN or STC, or
    for input that is not a 005010X214 277.
    """
    try:
        isa, element, repetition, segments = _split(text)
    except X12Error as exc:
        raise ClaimError(f"277CA: {exc}") from None
    component = isa[16]
    st = next((s for s in segments if s.tag == "ST"), None)
    if st is None or st.get(1) != "277" or st.get(3) != VERSION_277CA:
        found = f"{st.get(1)}/{st.get(3)}" if st else "no ST"
        raise ClaimError(f"ST01: expected a 277 {VERSION_277CA}, found {found}")
    result: dict[str, str] = {}
    claim_ids: list[str] = []  # TRN02 of every 2200D, in order
    level = ""
    claim_id: str | None = None
    for segment in segments:
        if segment.tag == "HL":
            level, claim_id = segment.get(3), None
        elif level != "PT":
            continue
        elif segment.tag == "TRN" and segment.get(1) == "2":
            claim_id = segment.get(2)
            if not claim_id:
                raise ClaimError("TRN02 (2200D): patient control number is empty")
            if claim_id in claim_ids:
                raise ClaimError(f"claim {claim_id!r}: TRN02 (2200D) appears twice")
            claim_ids.append(claim_id)
        elif segment.tag == "STC" and claim_id is not None and claim_id not in result:
            # The first claim-level STC decides; later ones add detail.
            category = segment.get(1).split(component)[0]
            if category in _ACCEPTED_CATEGORIES:
                result[claim_id] = "accepted"
            elif category in _REJECTED_CATEGORIES:
                result[claim_id] = "rejected"
            else:
                raise ClaimError(f"claim {claim_id!r}: STC01-1: status category {category!r} "
                                 f"is neither accepted ({', '.join(_ACCEPTED_CATEGORIES)}) nor "
                                 f"rejected ({', '.join(_REJECTED_CATEGORIES)})")
    missing = [cid for cid in claim_ids if cid not in result]
    if missing:
        raise ClaimError(f"claim {missing[0]!r}: STC (2200D): no claim status")
    return result


def _claim_total(claim: Claim) -> decimal.Decimal:
    return sum((line.charge for line in claim.lines), decimal.Decimal(0))


# --------------------------------------------------------------------------- pyx12

def validate_837(text: str) -> Validation:
    """Validate an 837P (X222A1) or 837I (X223A2) with pyx12; see :class:`Validation`."""
    return _validate(text, "837", tuple(_VERSIONS.values()))


def validate_277ca(text: str) -> Validation:
    """Validate a 277CA (X214) with pyx12; see :class:`Validation`."""
    return _validate(text, "277", (VERSION_277CA,))


def _validate(text: str, kind: str, versions: tuple[str, ...]) -> Validation:
    # pyx12 picks the map by GS08 and would happily validate any transaction it has a map
    # for, so a wrong kind is refused here rather than reported as valid.
    st = _first_st(text) if isinstance(text, str) else None
    if st is None or st[0] != kind or st[1] not in versions:
        found = "no ST" if st is None else f"{st[0]} {st[1]}"
        return Validation(False, (f"ST01/ST03: expected {kind} {'/'.join(versions)}, found "
                                  f"{found}",), "")
    # ParamsBase, not pyx12.params.params(): the latter also reads $prefix/etc/pyx12.conf.xml
    # and ~/.pyx12.conf.xml, which would make results depend on the machine.
    param = pyx12.params.ParamsBase()
    ack, report = io.StringIO(), io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(param, io.StringIO(text), ack, None,
                                                fd_json=report)
    except (pyx12.errors.EngineError, pyx12.errors.X12Error) as exc:
        return Validation(False, (f"pyx12: {exc}",), ack.getvalue())
    errors = _envelope_dates(text) + _messages(report.getvalue())
    if not ok and not errors:
        errors = ("pyx12: the input is not a readable X12 interchange",)
    ok = bool(ok) and not errors
    return Validation(ok, errors, ack.getvalue() if ok else _rejecting(ack.getvalue()))


def _envelope_dates(text: str) -> tuple[str, ...]:
    """GS04/GS05: when pyx12 cannot read the group header it reports nothing about it, so the
    dates are checked here and named."""
    st = text.lstrip("\ufeff \t\r\n")
    element, terminator = st[3], st[105] if len(st) > 105 else "~"
    for raw in st.split(terminator):
        fields = raw.strip("\r\n ").split(element)
        if fields[0] == "GS" and len(fields) > 5:
            problems = []
            try:
                datetime.datetime.strptime(fields[4], "%Y%m%d")
            except ValueError:
                problems.append(f"GS04: {fields[4]!r} is not a date (CCYYMMDD)")
            if not re.fullmatch(r"([01]\d|2[0-3])[0-5]\d([0-5]\d(\d{1,2})?)?", fields[5]):
                problems.append(f"GS05: {fields[5]!r} is not a time (HHMM[SS[dd]])")
            return tuple(problems)
    return ()


def _rejecting(ack: str) -> str:
    """A 999 that agrees with the verdict: pyx12 writes an accepting 999 for a group it could not
    read at all, so its IK5/AK9 are turned to rejections (IK5*R*5, AK9*R with none accepted)."""
    ack = re.sub(r"IK5\*A(\*[^~]*)?~", "IK5*R*5~", ack)
    return re.sub(r"AK9\*A\*(\d+)\*(\d+)\*\d+", r"AK9*R*\1*\2*0", ack)


def _first_st(text: str) -> tuple[str, str] | None:
    """ST01 and ST03 of the first ST, read with the delimiters the ISA declares."""
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA") or len(text) < 106:
        return None
    element, terminator = text[3], text[105]
    for raw in text[106:].split(terminator):
        fields = raw.strip("\r\n ").split(element)
        if fields[0] == "ST":
            return (fields[1] if len(fields) > 1 else "", fields[3] if len(fields) > 3 else "")
    return None


def _messages(report: str) -> tuple[str, ...]:
    """Flatten pyx12's JSON error tree into one line per error, outermost first."""
    if not report:
        return ()
    messages: list[str] = []

    def add(where: str, errors: list[dict]) -> None:
        for err in errors:
            value = err.get("err_val")
            suffix = f" [{value}]" if value not in (None, "") else ""
            messages.append(f"{where}: {err.get('err_str')} (code {err.get('err_cde')}){suffix}")

    for isa in json.loads(report).get("interchanges", []):
        add("ISA", isa.get("errors", []))
        for gs in isa.get("groups", []):
            add("GS", gs.get("errors", []))
            for st in gs.get("transactions", []):
                add("ST", st.get("errors", []))
                for seg in st.get("segments", []):
                    where = f"{seg.get('seg_id')} (segment {seg.get('seg_count')}, line " \
                            f"{seg.get('cur_line')})"
                    add(where, seg.get("errors", []))
                    for ele in seg.get("elements", []):
                        pos = f"{ele.get('ele_pos'):02d}" if isinstance(ele.get("ele_pos"), int) \
                            else str(ele.get("ele_pos"))
                        if ele.get("subele_pos"):
                            pos += f"-{ele.get('subele_pos')}"
                        add(f"{where} {seg.get('seg_id')}{pos} {ele.get('name') or ''}".rstrip(),
                            ele.get("errors", []))
    return tuple(messages)


# --------------------------------------------------------------------------- writing

def _seal(kind: str, functional_id: str, version: str, body: list[str],
          envelope: Envelope) -> str:
    """Wrap the transaction body in ST/SE, GS/GE and ISA/IEA, counting as the trailers need."""
    st02 = f"{envelope.transaction_control:04d}"
    at = envelope.created_at
    segments = [
        _isa(envelope),
        _seg("GS", functional_id, envelope.sender_id, envelope.receiver_id, _d8(at),
             _hhmmss(at), str(envelope.group_control), "X", version),
        _seg("ST", kind, st02, version),
        *body,
        _seg("SE", str(len(body) + 2), st02),  # ST to SE inclusive
        _seg("GE", "1", str(envelope.group_control)),
        _seg("IEA", "1", f"{envelope.interchange_control:09d}"),
    ]
    return "".join(s + _TERMINATOR + "\n" for s in segments)


def _seg(tag: str, *values: str | tuple[str, ...]) -> str:
    """One segment without its terminator; a tuple value is a composite (``:`` components).

    Trailing empty elements and components are dropped, as X12 requires. Values were checked
    for delimiters before, so a delimiter here is a bug and fails loudly.
    """
    elements = [tag]
    for n, value in enumerate(values, 1):
        parts = list(value) if isinstance(value, tuple) else [value]
        while parts and parts[-1] == "":
            parts.pop()
        for part in parts:
            if not isinstance(part, str) or any(c in _DELIMITERS for c in part):
                raise ClaimError(f"{tag}{n:02d}: {part!r} is not text without delimiters")
        elements.append(_COMPONENT.join(parts))
    while elements[-1] == "":
        elements.pop()
    return _ELEMENT.join(elements)


def _amount(value: decimal.Decimal) -> str:
    """X12 R: no exponent, no trailing zeros after the point, no point for whole amounts."""
    text = format(decimal.Decimal(value).quantize(decimal.Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _undotted(code: str) -> str:
    return code.replace(".", "")


def _zip(value: str) -> str:
    return value.replace("-", "")


def parse_837(text: str) -> tuple[Claim, ...]:
    """What a clearinghouse needs back from an 837 to acknowledge it (a 277CA): per claim its
    CLM01, subscriber, patient, payer, billing provider and dated, priced lines. Not a full
    reader: diagnoses, modifiers and situational loops are left out. Assumes the default
    delimiters (``*``, ``:``, ``~``), as ``build_837`` writes them."""
    segments = [s.strip().split("*") for s in text.split("~") if s.strip()]
    fmt = "837I" if any(s[0] == "GS" and s[-1].startswith("005010X223") for s in segments) else "837P"
    claims: list[Claim] = []
    billing = subscriber = patient = payer = current = None
    address = None
    pending: dict[str, object] = {}

    def person(nm1: list[str], dmg: list[str] | None) -> Person:
        born = datetime.datetime.strptime(dmg[2], "%Y%m%d").date() if dmg else datetime.date(1900, 1, 1)
        return Person(nm1[4] if len(nm1) > 4 else "", nm1[3], born, dmg[3] if dmg and len(dmg) > 3 else "U")

    def close_claim() -> None:
        if current:
            claims.append(Claim(claim_id=current["id"], claim_format=fmt, billing_provider=billing,
                                rendering_provider=None, subscriber=subscriber, patient=patient,
                                diagnoses=("F1020",), lines=tuple(current["lines"])))

    for n, seg in enumerate(segments):
        tag, following = seg[0], segments[n + 1] if n + 1 < len(segments) else [""]
        if tag == "NM1" and seg[1] == "85":
            pending = {"name": seg[3], "npi": seg[9]}
        elif tag == "N4" and pending and billing is None and "name" in pending:
            address = Address("", seg[1], seg[2], seg[3])
        elif tag == "REF" and seg[1] == "EI" and billing is None:
            billing = Provider(str(pending["name"]), str(pending["npi"]), seg[2], address)
        elif tag == "NM1" and seg[1] == "IL":
            close_claim()
            current, patient = None, None
            pending = {"il": seg, "dmg": following if following[0] == "DMG" else None}
        elif tag == "NM1" and seg[1] == "PR":
            payer = (seg[3], seg[9])
            il = pending["il"]
            subscriber = Subscriber(person(il, pending.get("dmg")), il[9], payer[0], payer[1])
        elif tag == "NM1" and seg[1] == "QC":
            patient = person(seg, following if following[0] == "DMG" else None)
        elif tag == "CLM":
            close_claim()
            current = {"id": seg[1], "lines": []}
        elif tag in ("SV1", "SV2") and current is not None:
            charge, units = (seg[2], seg[4]) if tag == "SV1" else (seg[3], seg[5])
            current["lines"].append({"charge": decimal.Decimal(charge), "units": int(decimal.Decimal(units))})
        elif tag == "DTP" and seg[1] == "472" and current is not None and current["lines"]:
            line = current["lines"][-1]
            day = datetime.datetime.strptime(seg[3][:8], "%Y%m%d").date()
            current["lines"][-1] = ServiceLine("H0001", line["charge"], line["units"], day)
    close_claim()
    return tuple(claims)
