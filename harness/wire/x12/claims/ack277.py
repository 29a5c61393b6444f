"""The clearinghouse's 277CA claim acknowledgement (005010X214): built for one 837's claims,
and read back by the RCM as claim id -> accepted / rejected.

Per payer a 2000A loop (information source), under it the receiver (2000B, the submitter) and
the billing provider (2000C), then per claim a 2000D patient with 2200D: ``TRN*2*<CLM01>`` and
``STC*A2:20`` (accepted into adjudication, ``REF*1K`` the payer's claim number) or ``STC*A3:21``
(returned as unprocessable, the reason in STC12), plus the claim's service period in DTP*472.
The reason and every name go through :func:`~kipu_harness.wire.x12.envelope.free_text`, so a
pyx12 message quoting an element (``DTP03: ...``) still makes a readable 277CA.
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Sequence

from ..envelope import Envelope, X12Error, d8, free_text, hhmmss, seal
from ..envelope import segment as _segment
from ..reader import split
from .build837 import nm1
from .checks import (
    check_envelope_as_claim,
    check_id,
    check_money,
    check_name,
    check_person,
    check_provider,
)
from .model import VERSION_277CA, Claim, ClaimError, amount, claim_total, is_date, statement

__all__ = ["build_277ca", "parse_277ca"]

_seg = functools.partial(_segment, error=ClaimError)
_ACCEPTED_CATEGORIES = ("A1", "A2")  # acknowledgement: receipt / accepted into adjudication
_REJECTED_CATEGORIES = ("A3", "A4", "A6", "A7", "A8")  # returned / not found / rejected
_ACCEPT_STATUS = ("A2", "20")  # STC01: accepted into adjudication, "accepted for processing"
_REJECT_STATUS = ("A3", "21")  # STC01: returned as unprocessable, "missing or invalid info"
_RECEIPT_STATUS = ("A1", "19", "PR")  # receiver/provider levels: payer acknowledges receipt


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
    check_envelope_as_claim(envelope)
    if not isinstance(reason, str):
        raise ClaimError(f"STC12: reason {reason!r} is not text")
    reason = free_text(reason)
    if len(reason) > 264:
        raise ClaimError(f"STC12: reason is {len(reason)} characters; at most 264")
    billing = claims[0].billing_provider
    seen: set[str] = set()
    for claim in claims:
        if claim.billing_provider != billing:
            raise ClaimError(f"claim {claim.claim_id!r}: NM1*85: billing provider differs from "
                             f"claim {claims[0].claim_id!r}'s; one 837's claims per 277CA")
        if claim.claim_id in seen:
            raise ClaimError(f"claim {claim.claim_id!r}: TRN02: CLM01 appears twice")
        seen.add(claim.claim_id)
        check_id("TRN02", claim.claim_id, claim.claim_id)
        check_person(claim.patient or claim.subscriber.person, "2100D patient", claim.claim_id)
        check_name("NM103 (2100A payer)", claim.subscriber.payer_name, claim.claim_id)
        for value in (claim.subscriber.member_id, claim.subscriber.payer_id):
            check_id("NM109", value, claim.claim_id)
        if not claim.lines or not all(is_date(line.service_date) for line in claim.lines):
            raise ClaimError(f"claim {claim.claim_id!r}: DTP*472: the claim needs dated lines "
                             f"for its service period")
        for n, line in enumerate(claim.lines, 1):
            check_money(line.charge, f"claim {claim.claim_id!r} line {n}: STC04")
    check_provider(billing, "2100C billing provider", claims[0].claim_id)

    payers: dict[tuple[str, str], list[Claim]] = {}
    for claim in claims:
        key = (claim.subscriber.payer_name, claim.subscriber.payer_id)
        payers.setdefault(key, []).append(claim)
    today = d8(envelope.created_at)
    batch = f"{envelope.transaction_control:04d}"
    status = _ACCEPT_STATUS if accepted else _REJECT_STATUS
    body = [_seg("BHT", "0085", "08", batch, today, hhmmss(envelope.created_at), "TH")]
    hl = 0
    for (payer_name, payer_id), group in payers.items():
        total = amount(sum((claim_total(c) for c in group), decimal.Decimal(0)))
        count = str(len(group))
        source, receiver, provider = hl + 1, hl + 2, hl + 3
        hl += 3
        body += [
            _seg("HL", str(source), "", "20", "1"),
            _seg("NM1", "PR", "2", free_text(payer_name), "", "", "", "", "PI", payer_id),
            _seg("TRN", "1", batch),
            _seg("DTP", "050", "D8", today),  # received
            _seg("DTP", "009", "D8", today),  # processed
            _seg("HL", str(receiver), str(source), "21", "1"),
            _seg("NM1", "41", "2", free_text(billing.name), "", "", "", "", "46",
                 envelope.receiver_id),
            _seg("TRN", "2", batch),
            _seg("STC", _RECEIPT_STATUS, today, "WQ", total),
            _seg("QTY", "90" if accepted else "AA", count),
            _seg("AMT", "YU" if accepted else "YY", total),
            _seg("HL", str(provider), str(receiver), "19", "1"),
            nm1("85", billing),
            _seg("TRN", "1", batch),
            _seg("STC", _RECEIPT_STATUS, "", "WQ", total),  # STC02 is not used at 2200C
            _seg("QTY", "QA" if accepted else "QC", count),
            _seg("AMT", "YU" if accepted else "YY", total),
        ]
        for claim in group:
            hl += 1
            person = claim.patient or claim.subscriber.person
            start, end = statement(claim)
            period = (("D8", d8(start)) if start == end
                      else ("RD8", f"{d8(start)}-{d8(end)}"))
            body += [
                _seg("HL", str(hl), str(provider), "PT"),  # HL04 is not used at 2000D
                _seg("NM1", "QC", "1", free_text(person.last_name), free_text(person.first_name),
                     "", "", "",
                     "MI", claim.subscriber.member_id),
                _seg("TRN", "2", claim.claim_id),
                _seg("STC", status, today, "WQ" if accepted else "U",
                     amount(claim_total(claim)), *([""] * 7 + [reason] if reason else [])),
            ]
            if accepted:
                # The payer's claim number: interchange and position make it unique per answer.
                body.append(_seg("REF", "1K",
                                 f"{envelope.interchange_control:09d}{hl:05d}"))
            body.append(_seg("DTP", "472", *period))
    return seal("277", "HN", VERSION_277CA, body, envelope, error=ClaimError)


def parse_277ca(text: str) -> dict[str, str]:
    """CLM01 -> ``"accepted"`` | ``"rejected"`` from the 2200D loops of a 277CA.

    A claim's status is the category of its first claim-level STC: A1/A2 accepted; A3, A4, A6,
    A7, A8 rejected. Raises :class:`ClaimError` for anything else, for a missing TRN or STC, or
    for input that is not a 005010X214 277.
    """
    try:
        isa, element, repetition, segments = split(text)
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
