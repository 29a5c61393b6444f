"""What the X12 eligibility tests share: a subscriber and a dependent, a request with and without
the dependent, the RCM's and the payer's envelopes, and helpers that cut, edit and recount the
segments of a built 270/271."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kipu_harness.wire.x12.eligibility import (
    EligibilityRequest,
    Envelope,
    Party,
    X12Error,
    validate_structure,
)

SUBSCRIBER = Party(member_id="W123456789", first_name="JANE", last_name="DOE",
                   dob=dt.date(1985, 4, 12), gender="F")
DEPENDENT = Party(member_id="", first_name="TIM", last_name="DOE", dob=dt.date(2010, 1, 2),
                  gender="M")
REQUEST = EligibilityRequest(payer_name="ACME HEALTH", payer_id="ACME01",
                             provider_name="KIPU RECOVERY", provider_npi="1234567893",
                             subscriber=SUBSCRIBER, service_date=dt.date(2026, 1, 15),
                             trace_number="TRC-0001")
WITH_DEPENDENT = replace(REQUEST, dependent=DEPENDENT)
RCM = Envelope(sender_id="KIPURCM", receiver_id="ACMEPAYER", interchange_control=42,
               group_control=7, transaction_control=1,
               created_at=dt.datetime(2026, 1, 15, 9, 30, 5))
PAYER = Envelope(sender_id="ACMEPAYER", receiver_id="KIPURCM", interchange_control=9001,
                 group_control=3, transaction_control=12,
                 created_at=dt.datetime(2026, 1, 15, 9, 30, 9), usage="P")


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def edit(text: str, change, *, recount: bool = True) -> str:
    """Apply ``change`` to the list of segments; then fix SE01 so only the intended break shows."""
    segs = change(segments(text))
    if recount:
        st = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
        se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
        segs[se] = "SE*" + str(se - st + 1) + "*" + segs[se].split("*")[2]
    return "".join(s + "~\n" for s in segs)


def swap(old: str, new: str):
    """A change replacing the one segment that starts with ``old`` by ``new``."""
    def change(segs: list[str]) -> list[str]:
        hits = [i for i, s in enumerate(segs) if s.startswith(old)]
        assert len(hits) == 1, (old, segs)
        segs[hits[0]] = new
        return segs
    return change


def drop(prefix: str):
    return lambda segs: [s for s in segs if not s.startswith(prefix)]


def reject(text: str, expected: str, reason: str) -> str:
    with pytest.raises(X12Error) as info:
        validate_structure(text, expected)
    message = str(info.value)
    assert message.startswith(reason), message
    assert "\n" not in message
    return message
