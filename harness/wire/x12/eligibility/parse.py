"""Reading a 005010X279A1 270 (the payer's side) and 271 (the RCM's side) into the dataclasses
of :mod:`~kipu_harness.wire.x12.eligibility.model`.

Both run the structure checks first (:func:`~kipu_harness.wire.x12.eligibility.structure.read`)
and read one transaction for one subscriber and at most one dependent.
"""

from __future__ import annotations

import datetime

from ..envelope import Envelope, X12Error
from ..npi import npi_valid
from ..reader import Segment, date8, time
from .model import (
    ACTIVE,
    GENDERS,
    INACTIVE,
    Benefit,
    EligibilityRequest,
    EligibilityResponse,
    Party,
)
from .structure import Interchange, Loop, Transaction, read

__all__ = ["parse_270", "parse_271"]


def parse_270(text: str) -> tuple[EligibilityRequest, Envelope]:
    """Read a 270 with one transaction for one subscriber (and optionally one dependent).

    Runs the :func:`validate_structure` checks first. Service types are the EQ01 repetitions
    of every EQ in the patient's loop. The service date is DTP*291 there (the start of an RD8
    range); without one, the inquiry is for the day it was made (BHT04), as X279A1 provides.
    Raises :class:`X12Error`.
    """
    interchange = read(text, "270")
    transaction = _single(interchange, "parse_270")
    source, receiver, subscriber_loop, *rest = transaction.loops
    patient_loop = transaction.loops[-1]
    payer = _name(source)
    provider = _name(receiver)
    if provider.get(8) != "XX":
        raise X12Error(f"NM108: 2100B qualifier {provider.get(8)!r}, expected XX (NPI)")
    if not npi_valid(provider.get(9)):
        raise X12Error(f"NM109: 2100B NPI {provider.get(9)!r} is not 10 digits with a valid "
                       f"check digit")
    if not payer.get(9):
        raise X12Error("NM109: 2100A payer has no identifier")

    types: list[str] = []
    for eq in patient_loop.all("EQ"):
        types += [t for t in eq.get(1).split(interchange.repetition) if t]
    if not types:
        raise X12Error(f"EQ01: {patient_loop.level.loop} asks about no service type; only "
                       f"service-type inquiries are read")
    service_date = None
    for dtp in patient_loop.all("DTP"):
        if dtp.get(1) == "291":
            service_date = date8(dtp.get(3)[:8], "DTP03")
            break
    if service_date is None:
        service_date = date8(transaction.bht.get(4), "BHT04")

    request = EligibilityRequest(
        payer_name=payer.get(3),
        payer_id=payer.get(9),
        provider_name=provider.get(3),
        provider_npi=provider.get(9),
        subscriber=_party(subscriber_loop, required=True),
        dependent=_party(rest[0], required=True) if rest else None,
        service_types=tuple(types),
        service_date=service_date,
        trace_number=_trace(transaction, "1"),
    )
    group = interchange.groups[0]
    gs = group.gs
    envelope = Envelope(
        sender_id=interchange.isa[6].rstrip(),
        receiver_id=interchange.isa[8].rstrip(),
        interchange_control=int(interchange.isa[13]),
        group_control=int(gs.get(6)),
        transaction_control=int(transaction.st.get(2)),
        created_at=datetime.datetime.combine(date8(gs.get(4), "GS04"),
                                             time(gs.get(5), "GS05")),
        usage=interchange.isa[15],
    )
    return request, envelope


def parse_271(text: str) -> EligibilityResponse:
    """Read a 271 with one transaction for one subscriber (and optionally one dependent).

    Runs the :func:`validate_structure` checks first. Status, in this order:

    - ``not_found`` when any AAA in the transaction has AAA01 ``N``; ``reject_reason`` is the
      first such AAA03 (75 subscriber not found, 42 unable to respond, ...). The four statuses
      have no separate "rejected" state, so the code is kept for the RCM to tell them apart.
    - ``auth_required`` when the patient's loop has an active-coverage EB (EB01 1-5) and any
      EB there has EB11 ``Y``;
    - ``active`` when it has an active-coverage EB; ``inactive`` when it has EB01 6-8 only.

    Raises :class:`X12Error`, also for a 271 whose EBs state no coverage either way.
    """
    interchange = read(text, "271")
    transaction = _single(interchange, "parse_271")
    patient_loop = transaction.loops[-1]

    benefits: list[Benefit] = []
    messages: list[list[str]] = []
    for segment in patient_loop.segments:
        if segment.tag == "EB":
            types = tuple(t for t in segment.get(3).split(interchange.repetition) if t)
            benefits.append(Benefit(info=segment.get(1), service_types=types,
                                    authorization_required=segment.get(11) == "Y"))
            messages.append([])
        elif segment.tag == "MSG" and benefits:
            messages[-1].append(segment.get(1))
    benefits = [Benefit(b.info, b.service_types, b.authorization_required, " ".join(m))
                for b, m in zip(benefits, messages)]

    rejects = [s.get(3) for loop in transaction.loops for s in loop.all("AAA") if s.get(1) == "N"]
    if rejects:
        status = "not_found"
    elif any(b.info in ACTIVE for b in benefits):
        status = "auth_required" if any(b.authorization_required for b in benefits) else "active"
    elif any(b.info in INACTIVE for b in benefits):
        status = "inactive"
    else:
        infos = ", ".join(b.info for b in benefits) or "none"
        raise X12Error(f"EB01: {patient_loop.level.loop} states no coverage (EB01 1-8); "
                       f"EB01 values: {infos}")
    return EligibilityResponse(
        status=status,
        benefits=tuple(benefits),
        reject_reason=rejects[0] if rejects else "",
        trace_number=_trace(transaction, "2"),
        subscriber=_party(transaction.loops[2], required=False),
    )


def _single(interchange: Interchange, caller: str) -> Transaction:
    """The one transaction of a single-patient exchange, with levels 20/21/22[/23]."""
    if len(interchange.groups) != 1:
        raise X12Error(f"IEA01: {len(interchange.groups)} functional groups; {caller} reads one")
    transactions = interchange.groups[0].transactions
    if len(transactions) != 1:
        raise X12Error(f"GE01: {len(transactions)} transaction sets; {caller} reads one")
    transaction = transactions[0]
    levels = tuple(loop.level.code for loop in transaction.loops)
    if levels not in (("20", "21", "22"), ("20", "21", "22", "23")):
        raise X12Error(f"HL03: levels {'/'.join(levels)}; {caller} reads one payer (20), one "
                       f"provider (21), one subscriber (22) and at most one dependent (23)")
    return transaction


def _name(loop: Loop) -> Segment:
    # _read made sure the loop has its NM1 with the right NM101.
    return next(s for s in loop.segments if s.tag == "NM1")


def _party(loop: Loop, *, required: bool) -> Party | None:
    nm1 = _name(loop)
    where = loop.level.name_loop
    dmg = loop.first("DMG")
    if dmg is None or dmg.get(1) != "D8" or not dmg.get(2):
        if not required:
            return None
        raise X12Error(f"DMG02: {where} has no date of birth (DMG*D8)")
    gender = dmg.get(3) or "U"  # DMG03 is optional in X12; absent means unknown
    if gender not in GENDERS:
        raise X12Error(f"DMG03: {where} gender {gender!r} is not one of {', '.join(GENDERS)}")
    return Party(member_id=nm1.get(9), first_name=nm1.get(4), last_name=nm1.get(3),
                 dob=date8(dmg.get(2), "DMG02"), gender=gender)


def _trace(transaction: Transaction, kind: str) -> str:
    """TRN02 of the TRN with TRN01 ``kind`` in the patient's loop, else in the subscriber's."""
    for loop in reversed(transaction.loops[2:]):
        for trn in loop.all("TRN"):
            if trn.get(1) == kind:
                return trn.get(2)
    return ""
