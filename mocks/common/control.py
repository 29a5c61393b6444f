"""Mock-only routes, kept under /_mock so they never collide with a system's own API: health,
reset, the journal, the clock and the outbox. A real deployment has none of them; the harness uses
them only behind a declared capability."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import jsonify
from pydantic import BaseModel, Field

from kipu_harness.events import Problem
from kipu_harness.phi import mask_data

from .base import CONTROL_PREFIX, ApiError, ctx
from .routes import answers, blueprint
from .schemas import DATE, TIME, Body, Query, Record, text

control = blueprint("mock_control", __name__, CONTROL_PREFIX, "mock control",
                    "Mock-only routes (a real deployment has none): health, reset, journal, clock, outbox")


class Health(BaseModel):
    system: str = Field(examples=["crm"])
    status: Literal["ok"]


class ResetDone(BaseModel):
    system: str
    reset: Literal[True]


class JournalQuery(Query):
    channel: Literal["http", "hl7", "x12", "integration", "billing"] | None = Field(
        None, description="only entries of this channel")
    after: int | None = Field(None, ge=0, le=2**62, description="only entries with a greater id (what is new since then)")
    bodies: bool = Field(True, description="false: each entry without its body (the messages themselves), "
                                           "to count or list entries cheaply")


class JournalEntry(Record):
    id: int
    at: str
    channel: str
    summary: str
    body: str = Field("", description="the message as received or sent; left out with bodies=false")


class Journal(BaseModel):
    system: str
    entries: list[JournalEntry]


class Now(BaseModel):
    now: str = Field(examples=["2024-03-01T09:00:00"], description="the mocks' clock, ISO 8601")


_INSTANT = f"^{DATE}(?:T{TIME}(?::[0-5][0-9](?:\\.[0-9]{{1,6}})?)?)?$"


class PinClock(Body):
    now: text(26, pattern=_INSTANT, what="a date or date and time (ISO 8601, no zone)",  # type: ignore[valid-type]
              example="2024-03-01T09:00:00", required=True, nullable=True) = Field(
        description="the instant to pin the clock to; null lets it run")


class OutboxQuery(Query):
    status: Literal["pending", "delivered", "rejected", "failed"] | None = None


class Delivery(Record):
    id: int
    destination: str
    wire: str
    status: str
    attempts: int


class Outbox(BaseModel):
    system: str
    deliveries: list[Delivery]


class Delivered(BaseModel):
    system: str
    delivered: list[dict[str, Any]]


@control.get("/health", responses=answers(200, Health))
def health():
    """Is this mock up, and which system is it"""
    return jsonify({"system": ctx().system, "status": "ok"})


@control.post("/reset", responses=answers(200, ResetDone))
def reset():
    """Empty the system and configure it again (the default facility); unpin the clock"""
    ctx().reset()
    return jsonify({"system": ctx().system, "reset": True})


@control.get("/journal", responses=answers(200, Journal))
def journal(query: JournalQuery):
    """What the system received and sent, oldest first; SSNs masked"""
    entries = ctx().store.journal_entries(query.channel, query.after, bodies=query.bodies)
    # Masked when written; again here for entries a data folder kept from before that.
    return jsonify({"system": ctx().system, "entries": mask_data(entries)})


@control.get("/clock", responses=answers(200, Now))
def clock_get():
    """The mocks' clock"""
    return jsonify({"now": ctx().clock.now().isoformat()})


@control.post("/clock", responses=answers(200, Now, 409))
def clock_set(body: PinClock):
    """Pin the clock to a date and time, or let it run (null)"""
    when = None if body.now is None else dt.datetime.fromisoformat(body.now)
    if when is not None and not dt.datetime(1900, 1, 1) <= when <= dt.datetime(9000, 1, 1):
        raise ApiError(409, "the clock cannot be set there", [Problem("now", "must be between 1900 and 9000")])
    ctx().clock.pin(when)
    return jsonify({"now": ctx().clock.now().isoformat()})


@control.get("/outbox", responses=answers(200, Outbox))
def outbox(query: OutboxQuery):
    """Deliveries to other systems, with their status; SSNs masked in their bodies and details"""
    return jsonify({"system": ctx().system, "deliveries": mask_data(ctx().store.outbox(query.status))})


@control.post("/outbox/deliver", responses=answers(200, Delivered))
def deliver():
    """Deliver what is pending now"""
    return jsonify({"system": ctx().system, "delivered": ctx().deliver_pending()})
