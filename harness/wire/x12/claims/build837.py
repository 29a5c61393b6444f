"""Building the RCM's 837P or 837I batch (005010X222A1 / 005010X223A2).

Professional claims (clinicians: CPT/HCPCS plus place of service) go as 837P, institutional
ones (facilities: revenue code, type of bill, per-diem lines) as 837I. Layout built (``~`` ends
each segment, ``*`` separates elements, ``:`` components)::

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

DMG03 of 2010BA and 2010CA is required in both guides and allows F, M and U, so an unknown
gender is sent as U there (unlike the 270). Names, streets and cities go through
:func:`~kipu_harness.wire.x12.envelope.free_text`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ..envelope import Envelope, d8, free_text, hhmmss, seal
from ..envelope import segment as _segment
from .checks import TOB, check_billing, check_claim, check_envelope_as_claim
from .model import (
    MAX_CLAIMS_PER_837,
    SELF,
    VERSIONS,
    Address,
    Claim,
    ClaimError,
    Person,
    Provider,
    amount,
    claim_total,
    statement,
    undotted,
    zip_code,
)

__all__ = ["build_837", "nm1"]

_seg = functools.partial(_segment, error=ClaimError)
_CLAIM_FILING = "CI"  # SBR09: commercial insurance; the Claim has no plan-type field
# CL1 (837I): admission type 3 elective, source 1 non-facility point of origin; status 30 still a
# patient for interim bills, else 01 discharged home.
_ADMISSION_TYPE, _ADMISSION_SOURCE = "3", "1"
_CONTACT_NAME, _CONTACT_PHONE = "EDI DESK", "8005550100"
_INTERIM = ("2", "3")  # interim bills: the patient is still there


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
    if fmt not in VERSIONS:
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
    check_envelope_as_claim(envelope)
    check_billing(first)
    name = free_text(submitter_name or first.billing_provider.name)
    receiver = free_text(receiver_name or envelope.receiver_id)
    if not name or not receiver:
        raise ClaimError("NM103: the submitter (1000A) and receiver (1000B) names are required")
    if not contact_phone.isdigit() or not 10 <= len(contact_phone) <= 15:
        raise ClaimError(f"PER04: contact phone {contact_phone!r} is not 10-15 digits")

    body = [
        _seg("BHT", "0019", "00", f"{envelope.transaction_control:04d}",
             d8(envelope.created_at), hhmmss(envelope.created_at), "CH"),
        _seg("NM1", "41", "2", name, "", "", "", "", "46", envelope.sender_id),
        _seg("PER", "IC", _CONTACT_NAME, "TE", contact_phone),
        _seg("NM1", "40", "2", receiver, "", "", "", "", "46", envelope.receiver_id),
    ]
    body += _billing_loop(first.billing_provider)
    hl = 1
    for claim in claims:
        segments, hl = _claim_loops(claim, hl)
        body += segments
    return seal("837", "HC", VERSIONS[fmt], body, envelope, error=ClaimError)


def _billing_loop(provider: Provider) -> list[str]:
    address = provider.address
    lines = [_seg("HL", "1", "", "20", "1")]
    if provider.taxonomy:
        lines.append(_seg("PRV", "BI", "PXC", provider.taxonomy))
    lines += [
        nm1("85", provider),
        *_address(address),
        _seg("REF", "EI", provider.tax_id.replace("-", "")),
    ]
    return lines


def _claim_loops(claim: Claim, hl: int) -> tuple[list[str], int]:
    """2000B (and 2000C) with the claim's 2300/2400 loops; returns them and the last HL id."""
    check_claim(claim)
    sub = claim.subscriber
    dependent = claim.patient is not None
    subscriber_hl = hl + 1
    lines = [
        _seg("HL", str(subscriber_hl), "1", "22", "1" if dependent else "0"),
        # SBR02 carries only "18"; a dependent's relationship goes in PAT01 of 2000C.
        _seg("SBR", sub.priority, "" if dependent else SELF, sub.group_number,
             "", "", "", "", "", _CLAIM_FILING),
        _seg("NM1", "IL", "1", free_text(sub.person.last_name), free_text(sub.person.first_name),
             "", "", "",
             "MI", sub.member_id),
    ]
    if sub.person.address is not None:
        lines += _address(sub.person.address)
    if not dependent:
        # The guide: subscriber DMG only when the subscriber is the patient.
        lines.append(_dmg(sub.person))
    lines.append(_seg("NM1", "PR", "2", free_text(sub.payer_name), "", "", "", "", "PI",
                      sub.payer_id))
    last = subscriber_hl
    if dependent:
        last = subscriber_hl + 1
        patient = claim.patient
        lines += [
            _seg("HL", str(last), str(subscriber_hl), "23", "0"),
            _seg("PAT", sub.relationship),
            _seg("NM1", "QC", "1", free_text(patient.last_name), free_text(patient.first_name)),
            *_address(patient.address or sub.person.address),
            _dmg(patient),
        ]
    if claim.claim_format == "837P":
        lines += _professional(claim)
    else:
        lines += _institutional(claim)
    return lines, last


def _professional(claim: Claim) -> list[str]:
    total = claim_total(claim)
    lines = [
        # CLM06 Y provider signature on file, CLM07 A assigned, CLM08 Y benefits assigned,
        # CLM09 Y release of information signed.
        _seg("CLM", claim.claim_id, amount(total), "", "",
             (claim.place_of_service, "B", claim.frequency), "Y", "A", "Y", "Y"),
        _hi(claim.diagnoses, "ABK", "ABF"),
    ]
    rendering = claim.rendering_provider
    # The guide: send 2310B only when the rendering provider differs from the billing one.
    if rendering is not None and rendering.npi != claim.billing_provider.npi:
        lines.append(nm1("82", rendering))
        if rendering.taxonomy:
            lines.append(_seg("PRV", "PE", "PXC", rendering.taxonomy))
    for n, line in enumerate(claim.lines, 1):
        pos = line.place_of_service if line.place_of_service != claim.place_of_service else ""
        lines += [
            _seg("LX", str(n)),
            _seg("SV1", ("HC", line.procedure_code, *line.modifiers), amount(line.charge),
                 "UN", str(line.units), pos, "", tuple(str(p) for p in line.diagnosis_pointers)),
            _seg("DTP", "472", "D8", d8(line.service_date)),
        ]
    return lines


def _institutional(claim: Claim) -> list[str]:
    total = claim_total(claim)
    start, end = statement(claim)
    facility = TOB.fullmatch(claim.type_of_bill).group(1)
    status = "30" if claim.frequency in _INTERIM else "01"
    lines = [
        # CLM07 A assigned, CLM08 Y benefits assigned, CLM09 Y release of information.
        _seg("CLM", claim.claim_id, amount(total), "", "", (facility, "A", claim.frequency),
             "", "A", "Y", "Y"),
        _seg("DTP", "434", "RD8", f"{d8(start)}-{d8(end)}"),
    ]
    if claim.admission_date is not None:
        lines.append(_seg("DTP", "435", "D8", d8(claim.admission_date)))
    lines.append(_seg("CL1", _ADMISSION_TYPE, _ADMISSION_SOURCE, status))
    principal, others = claim.diagnoses[0], claim.diagnoses[1:]
    lines += [
        _seg("HI", ("ABK", undotted(principal))),
        # The admitting diagnosis is the principal one: the Claim has no separate field.
        _seg("HI", ("ABJ", undotted(principal))),
    ]
    for chunk in range(0, len(others), 12):
        lines.append(_hi(others[chunk:chunk + 12], "ABF", "ABF"))
    attending = claim.rendering_provider
    lines.append(nm1("71", attending))
    if attending.taxonomy:
        lines.append(_seg("PRV", "AT", "PXC", attending.taxonomy))
    for n, line in enumerate(claim.lines, 1):
        lines += [
            _seg("LX", str(n)),
            _seg("SV2", line.revenue_code, ("HC", line.procedure_code, *line.modifiers),
                 amount(line.charge), "UN", str(line.units)),
            _seg("DTP", "472", "D8", d8(line.service_date)),
        ]
    return lines


def _hi(codes: Sequence[str], first: str, rest: str) -> str:
    return _seg("HI", *((first if i == 0 else rest, undotted(code))
                        for i, code in enumerate(codes)))


def nm1(entity: str, provider: Provider) -> str:
    """NM1 of a provider: a person ("Last, First", NM102 1) or an organization (NM102 2)."""
    name = free_text(provider.name)
    last, comma, first = name.partition(",")
    if comma:
        return _seg("NM1", entity, "1", last.strip(), first.strip(), "", "", "", "XX",
                    provider.npi)
    return _seg("NM1", entity, "2", name, "", "", "", "", "XX", provider.npi)


def _address(address: Address) -> list[str]:
    return [_seg("N3", free_text(address.street)),
            _seg("N4", free_text(address.city), address.state, zip_code(address.zip))]


def _dmg(person: Person) -> str:
    return _seg("DMG", "D8", d8(person.dob), person.gender)
