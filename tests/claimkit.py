"""What the X12 claim tests share: a facility, a clinician, a subscriber and a dependent, one
837P and one 837I claim, the RCM's and the clearinghouse's envelopes, and readers of the
segments and the 999 pyx12 writes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal

import pytest

from kipu_harness.wire.x12.claims import (
    Address,
    Claim,
    ClaimError,
    Envelope,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
    Validation,
    build_837,
)

FACILITY = Provider(name="KIPU RECOVERY CENTER", npi="1234567893", tax_id="741234567",
                    address=Address("100 MAIN ST", "AUSTIN", "TX", "78701-1234"),
                    taxonomy="324500000X")
CLINICIAN = Provider(name="SMITH, JANE", npi="1245319599", taxonomy="101YA0400X")
HOME = Address("1 ELM ST", "AUSTIN", "TX", "78701")
HOLDER = Person("JOHN", "DOE", dt.date(1980, 1, 2), "M", HOME)
SELF = Subscriber(HOLDER, "W123456789", "ACME HEALTH", "ACME01", group_number="GRP1")
PARENT = replace(SELF, relationship="19")
CHILD = Person("TIM", "DOE", dt.date(2010, 3, 4), "M")  # no address: the subscriber's is used
OP = Claim(
    claim_id="OP1", claim_format="837P", billing_provider=FACILITY,
    rendering_provider=CLINICIAN, subscriber=SELF, patient=None,
    diagnoses=("F11.20", "F10.20", "F33.1", "Z79.891"),
    lines=(ServiceLine("90837", Decimal("150.00"), 1, dt.date(2026, 1, 12),
                       diagnosis_pointers=(1, 2, 3)),
           ServiceLine("90853", Decimal("60.50"), 1, dt.date(2026, 1, 14), modifiers=("HQ",),
                       place_of_service="02")),
    place_of_service="57",
)
RES = Claim(
    claim_id="RES1", claim_format="837I", billing_provider=FACILITY,
    rendering_provider=CLINICIAN, subscriber=SELF, patient=None,
    diagnoses=("F10.20", "F11.20"),
    lines=tuple(ServiceLine("H0018", Decimal("750"), 1, dt.date(2026, 1, day),
                            revenue_code="1002") for day in (5, 6, 7)),
    admission_date=dt.date(2026, 1, 3),
)
RCM = Envelope(sender_id="KIPURCM", receiver_id="CLEARHOUSE", interchange_control=42,
               group_control=7, transaction_control=1,
               created_at=dt.datetime(2026, 1, 15, 9, 30, 5))
CLEARINGHOUSE = Envelope(sender_id="CLEARHOUSE", receiver_id="KIPURCM", interchange_control=77,
                         group_control=3, transaction_control=12,
                         created_at=dt.datetime(2026, 1, 16, 8, 0, 0))
# 25 distinct, well-formed codes: F10.1 ... F34.1
CODES = tuple(f"F{n}.1" for n in range(10, 35))


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def starting(text: str, prefix: str) -> list[str]:
    return [s for s in segments(text) if s.startswith(prefix)]


def accepted(result: Validation) -> bool:
    return "IK5*A~" in result.ack_999 and re.search(r"AK9\*A\*", result.ack_999) is not None


def rejected(result: Validation) -> bool:
    return "IK5*R" in result.ack_999 or "AK9*R" in result.ack_999


def assert_valid(result: Validation) -> None:
    assert result.errors == ()
    assert result.ok
    assert accepted(result), result.ack_999


def raises(claim: Claim, match: str, envelope: Envelope = RCM):
    with pytest.raises(ClaimError, match=match) as info:
        build_837([claim], envelope)
    return str(info.value)

