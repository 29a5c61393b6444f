"""The payer's and the clearinghouse's models: member outcomes as JSON, X12 as text."""

from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import RawModel
from pydantic import BaseModel, Field

from kipu_harness.wire.x12.eligibility import OUTCOMES

from ..common.schemas import Body, Record, choice, text


class X12Text(RawModel):
    """An X12 interchange, as text (the mocks send text/plain)."""

    mimetypes = ["text/plain", "application/edi-x12"]


def x12_answer(description: str) -> dict[str, Any]:
    """A response that is an X12 interchange, not JSON."""
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


class MemberIn(Body):
    member_id: text(80, required=True, example="W123456789") = Field(  # type: ignore[valid-type]
        description="the subscriber's member id, as the 270 names it (NM109)")
    outcome: choice(*OUTCOMES, required=True) = Field(  # type: ignore[valid-type]
        description="what the 271 answers for this member")


class Member(Record):
    id: int
    member_id: str
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]


class MemberOut(BaseModel):
    member: Member


class MembersOut(BaseModel):
    members: list[Member]


class ClaimsAnswer(BaseModel):
    """What the clearinghouse answers to an 837: pyx12's verdict, its 999 and a 277CA."""

    accepted: bool = Field(description="the 999 accepts the interchange")
    errors: list[str] = Field(description="pyx12's findings, and what it cannot check")
    ack_999: str = Field(description="the 999 implementation acknowledgment (005010X231A1), as X12 text")
    ack_277ca: str = Field(description="the 277CA claim acknowledgment (005010X214); empty when no claim could be read")


class ClaimsBatchAnswer(BaseModel):
    """What the clearinghouse answers to a file of 837 interchanges: one answer each, in order."""

    interchanges: list[ClaimsAnswer] = Field(description="each interchange's answer, in the file's order; one that "
                                                         "cannot be read is not accepted, with no 999")
