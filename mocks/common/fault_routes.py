"""``/_mock/faults``: set, see and clear the faults of a suite of mocks (mocks/common/faults.py).
Any mock's route reaches the whole suite; a fault names its system (this one by default)."""

from __future__ import annotations

from typing import Literal

from flask import current_app, jsonify
from pydantic import BaseModel, Field, model_validator

from kipu_harness.events import Problem

from .base import CONTROL_PREFIX, ApiError, ctx
from .faults import CHANNELS, KINDS, SYSTEMS, Fault, FaultPlan
from .routes import answers, blueprint
from .schemas import Body, Query, Record

faults_api = blueprint("mock_faults", __name__, CONTROL_PREFIX, "mock control",
                       "Mock-only routes (a real deployment has none): health, reset, journal, clock, outbox, faults")


class FaultIn(Body):
    system: Literal[SYSTEMS] | None = Field(None, description="who misbehaves (default: this mock)")  # type: ignore[valid-type]
    channel: Literal[CHANNELS] = Field(description="http: its JSON API; hl7: the RCM's ADT; x12: the payer's")  # type: ignore[valid-type]
    kind: Literal[KINDS] = Field(description="latency, error, hang (in the system); reset, drop, duplicate, "  # type: ignore[valid-type]
                                             "reorder (on the way from another mock)")
    next: int | None = Field(None, ge=1, le=100_000, description="the next N messages")
    fraction: float | None = Field(None, gt=0, le=1, description="or this share of messages, until cleared")
    status: int = Field(503, ge=400, le=599, description="error: the HTTP status (HL7 gets AE 207)")
    latency_ms: int | None = Field(None, ge=0, le=60_000, description="latency (200) or how long a hang holds (10000)")

    @model_validator(mode="after")
    def _one_count(self) -> "FaultIn":
        if (self.next is None) == (self.fraction is None):
            raise ValueError("give either next (a number of messages) or fraction (0 to 1)")
        return self


class FaultsIn(Body):
    faults: list[FaultIn] = Field(min_length=1, max_length=100)


class FaultOut(Record):
    system: str
    channel: str
    kind: str
    left: int | None = Field(description="messages still to meet it (null: a fraction, until cleared)")
    injected: int


class Faults(BaseModel):
    faults: list[FaultOut]
    injected: dict[str, int] = Field(description="faults injected so far, per kind")
    held: int = Field(description="messages held by a reorder, waiting for the next one")


class ClearQuery(Query):
    system: Literal[SYSTEMS] | None = Field(None, description="only this system's faults")  # type: ignore[valid-type]


def plan() -> FaultPlan:
    found = current_app.extensions.get("kipu_faults")
    if found is None:
        raise ApiError(404, "this mock takes no faults", [Problem("faults", "not served by a suite of mocks")])
    return found


@faults_api.get("/faults", responses=answers(200, Faults, 404))
def faults_get():
    """The faults in force, and how many were injected"""
    return jsonify(plan().view())


@faults_api.post("/faults", responses=answers(201, Faults, 404))
def faults_add(body: FaultsIn):
    """Add faults: each for the next N messages or a fraction of them, on one system and channel"""
    found = plan()
    for fault in body.faults:
        found.add(Fault.from_mapping({**fault.model_dump(exclude_none=True), "system": fault.system or ctx().system}))
    return jsonify(found.view()), 201


@faults_api.delete("/faults", responses=answers(200, Faults, 404))
def faults_clear(query: ClearQuery):
    """Clear the faults (of one system), and deliver any message a reorder still holds"""
    found = plan()
    found.clear(query.system)
    found.flush()
    return jsonify(found.view())
