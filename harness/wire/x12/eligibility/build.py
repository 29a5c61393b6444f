"""Building the RCM's 270 inquiry and the payer's 271 answer (005010X279A1).

Layout built (``~`` ends each segment, ``*`` separates elements, ``^`` repetitions)::

    ISA ... GS*HS|HB ... ST*270|271*0001*005010X279A1  BHT*0022*13|11*<ST02>*CCYYMMDD*HHMMSS
    HL*1**20*1  NM1*PR*2*payer_name*****PI*payer_id                         2000A / 2100A
    HL*2*1*21*1 NM1*1P*2*provider_name*****XX*npi                           2000B / 2100B
    HL*3*2*22*0|1 [TRN] NM1*IL*1*last*first****MI*member_id DMG*D8*dob[*F|M] 2000C / 2100C
    [HL*4*3*23*0 [TRN] NM1*03*1*last*first[****MI*member_id] DMG ...]       2000D / 2100D
    270, in the patient's loop: DTP*291*D8*service_date  EQ*30^MH^...
    271, in the patient's loop: DTP*307*D8*service_date  EB*1|6*IND*30^MH^... [EB11] [MSG]
                                or, in 2100C: AAA*N**75*C (subscriber not found)

DMG03 is sent only for F and M, the codes X279A1 allows there; an unknown gender sends no
DMG03. The trace number travels as TRN*1 in the 270 and comes back as TRN*2 in the 271, in the
patient's loop (2000C, or 2000D for a dependent). Names go through
:func:`~kipu_harness.wire.x12.envelope.free_text`; identifiers holding a separator are refused.
"""

from __future__ import annotations

import datetime
import re

from ..envelope import Envelope, Repeats, X12Error, check_envelope, d8, free_text, hhmmss, seal
from ..envelope import segment as seg
from ..npi import npi_valid
from .model import (
    AUTH_MESSAGE,
    BHT_PURPOSE,
    FUNCTIONAL_IDS,
    GENDERS,
    LEVELS,
    NOT_FOUND_REASON,
    OUTCOMES,
    SENT_GENDERS,
    TRN_ORIGINATOR,
    VERSION,
    EligibilityRequest,
)

__all__ = ["build_270", "build_271"]

_SERVICE_TYPE = re.compile(r"[A-Z0-9]{1,2}")


def build_270(request: EligibilityRequest, envelope: Envelope) -> str:
    """Build a 270 inquiry for ``request``; one segment per line (``~`` then ``\\n``).

    Raises :class:`X12Error` for values X12 cannot carry: a delimiter inside an identifier,
    an NPI that fails its check digit, a gender outside F/M/U, no or malformed service type
    codes, a trace number over 50 characters, or envelope values out of range. The result
    passes :func:`~kipu_harness.wire.x12.eligibility.structure.validate_structure`.
    """
    _check_request(request)
    check_envelope(envelope)
    patient_level = "23" if request.dependent else "22"
    body = _head(request, "270", envelope)
    body += _person_loop("22", request, patient_level, trn="1")
    if request.dependent:
        body += _person_loop("23", request, patient_level, trn="1")
    body += [seg("DTP", "291", "D8", d8(request.service_date)),
             seg("EQ", Repeats(request.service_types))]
    return seal("270", FUNCTIONAL_IDS["270"], VERSION, body, envelope)


def build_271(request: EligibilityRequest, outcome: str, envelope: Envelope) -> str:
    """Build the payer's 271 answer to ``request`` for a configured member ``outcome``.

    - ``active``: ``EB*1*IND*<requested service types>`` with EB11 ``N``
    - ``inactive``: ``EB*6*IND*<requested service types>``
    - ``auth_required``: ``EB*1*IND*<types>`` with EB11 ``Y``, then ``MSG*AUTHORIZATION REQUIRED``
    - ``not_found``: ``AAA*N**75*C`` in 2100C and no EB; a requested dependent loop is dropped,
      since the payer never got past the subscriber.

    The request's trace number comes back as ``TRN*2``. Raises :class:`X12Error` for an unknown
    outcome or the same bad input :func:`build_270` refuses.
    """
    if outcome not in OUTCOMES:
        raise X12Error(f"EB01: unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    _check_request(request)
    check_envelope(envelope)
    found = outcome != "not_found"
    patient_level = "23" if request.dependent and found else "22"
    body = _head(request, "271", envelope)
    body += _person_loop("22", request, patient_level, trn="2",
                         reject=None if found else NOT_FOUND_REASON)
    if patient_level == "23":
        body += _person_loop("23", request, patient_level, trn="2")
    if found:
        types = Repeats(request.service_types)
        # DTP*307 (eligibility date): the date the answer applies to, i.e. the one asked about.
        body.append(seg("DTP", "307", "D8", d8(request.service_date)))
        if outcome == "inactive":
            body.append(seg("EB", "6", "IND", types))
        else:
            # EB11 says explicitly whether these services need an authorization.
            auth = "Y" if outcome == "auth_required" else "N"
            body.append(seg("EB", "1", "IND", types, "", "", "", "", "", "", "", auth))
            if outcome == "auth_required":
                body.append(seg("MSG", free_text(AUTH_MESSAGE)))
    return seal("271", FUNCTIONAL_IDS["271"], VERSION, body, envelope)


def _head(request: EligibilityRequest, kind: str, envelope: Envelope) -> list[str]:
    """BHT and the 2000A/2000B levels, which a 270 and its 271 share."""
    return [
        seg("BHT", "0022", BHT_PURPOSE[kind], f"{envelope.transaction_control:04d}",
            d8(envelope.created_at), hhmmss(envelope.created_at)),
        seg("HL", "1", "", "20", "1"),
        seg("NM1", "PR", "2", free_text(request.payer_name), "", "", "", "", "PI",
            request.payer_id),
        seg("HL", "2", "1", "21", "1"),
        seg("NM1", "1P", "2", free_text(request.provider_name), "", "", "", "", "XX",
            request.provider_npi),
    ]


def _person_loop(level: str, request: EligibilityRequest, patient_level: str, *, trn: str,
                 reject: str | None = None) -> list[str]:
    """HL, TRN (patient's loop only), NM1, AAA and DMG of 2000C/2100C or 2000D/2100D."""
    party = request.subscriber if level == "22" else request.dependent
    hl_id, parent = ("3", "2") if level == "22" else ("4", "3")
    lines = [seg("HL", hl_id, parent, level, "1" if level != patient_level else "0")]
    if level == patient_level and request.trace_number:
        lines.append(seg("TRN", trn, request.trace_number, TRN_ORIGINATOR))
    qualifier = "MI" if party.member_id else ""
    lines.append(seg("NM1", LEVELS[level].entity, "1", free_text(party.last_name),
                     free_text(party.first_name), "", "", "", qualifier, party.member_id))
    if reject:
        # AAA01 N (request not valid), AAA03 reject reason, AAA04 C (correct and resubmit).
        lines.append(seg("AAA", "N", "", reject, "C"))
    gender = party.gender if party.gender in SENT_GENDERS else ""
    lines.append(seg("DMG", "D8", d8(party.dob), gender))
    return lines


def _check_request(request: EligibilityRequest) -> None:
    # Checked up front so a bad value is reported by its element, not by a rejecting payer.
    if not free_text(request.payer_name) or not request.payer_id:
        raise X12Error("NM103: 2100A payer name and payer id (NM109) are both required")
    if not free_text(request.provider_name):
        raise X12Error("NM103: 2100B provider name is empty")
    if not npi_valid(request.provider_npi):
        raise X12Error(f"NM109: 2100B NPI {request.provider_npi!r} is not 10 digits with a "
                       f"valid check digit")
    for party, loop in ((request.subscriber, "2100C"), (request.dependent, "2100D")):
        if party is None:
            continue
        # The payer searches by member id, or by name and birth date; a dependent has no id.
        named = free_text(party.last_name) and free_text(party.first_name)
        if (loop == "2100D" or not party.member_id) and not named:
            raise X12Error(f"NM103: {loop} needs last name (NM103) and first name (NM104)"
                           f"{'' if loop == '2100D' else ' when there is no member id (NM109)'}")
        if party.gender not in GENDERS:
            raise X12Error(f"DMG03: {loop} gender {party.gender!r} is not one of "
                           f"{', '.join(GENDERS)}")
        if not isinstance(party.dob, datetime.date):
            raise X12Error(f"DMG02: {loop} date of birth {party.dob!r} is not a date")
    types = request.service_types
    if not isinstance(types, tuple) or not 1 <= len(types) <= 99:
        raise X12Error("EQ01: service_types must be a tuple of 1 to 99 codes")
    for code in types:
        if not isinstance(code, str) or not _SERVICE_TYPE.fullmatch(code):
            raise X12Error(f"EQ01: service type {code!r} is not a 1-2 character code")
    if not isinstance(request.trace_number, str) or len(request.trace_number) > 50:
        raise X12Error(f"TRN02: trace number {request.trace_number!r} is not text of at most "
                       f"50 characters")
    if not isinstance(request.service_date, datetime.date):
        raise X12Error(f"DTP03: service date {request.service_date!r} is not a date")
