"""``/_mock/faults``: set, see and clear the faults of a suite of mocks (mocks/common/faults.py).
Any mock's route reaches the whole suite; a fault names its system (this one by default)."""

from __future__ import annotations

from typing import Literal

from flask import current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kipu_harness.events import Problem

from .base import CONTROL_PREFIX, ApiError, ctx
from .faults import CHANNELS, KINDS, SYSTEMS, Fault, FaultPlan
from .routes import answers, blueprint
from .schemas import Body, Query, Record, integer

faults_api = blueprint("mock_faults", __name__, CONTROL_PREFIX, "mock control",
                       "Mock-only routes (a real deployment has none): health, reset, journal, clock, outbox, faults")


def _exactly_one_count(schema: dict) -> None:
    """The document says what the check says: next or fraction, one of them, never null."""
    for name in ("next", "fraction", "latency_ms", "system"):
        options = schema["properties"][name].pop("anyOf", None)
        if options:
            schema["properties"][name].update(next(o for o in options if o.get("type") != "null"))
        schema["properties"][name].pop("default", None)
    schema["oneOf"] = [{"required": ["next"]}, {"required": ["fraction"]}]


# JSON Schema's integers (1.0 is one, true is not); null is refused: leave the key out instead.
_Count = integer(required=True, minimum=1, maximum=100_000)
_Status = integer(required=True, minimum=400, maximum=599)
_Millis = integer(required=True, minimum=0, maximum=60_000)


class FaultIn(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_exactly_one_count)

    system: Literal[SYSTEMS] = Field(None, description="who misbehaves (default: this mock)")  # type: ignore[valid-type]
    channel: Literal[CHANNELS] = Field(description="http: its JSON API; hl7: the RCM's ADT; x12: the payer's")  # type: ignore[valid-type]
    kind: Literal[KINDS] = Field(description="latency, error, hang (in the system); reset, drop, duplicate, "  # type: ignore[valid-type]
                                             "reorder (on the way from another mock)")
    # Not nullable: left out means "not given" (null is refused, as the document says).
    next: _Count = Field(None, description="the next N messages")  # type: ignore[valid-type]
    fraction: float = Field(None, gt=0, le=1, description="or this share of messages, until cleared")
    status: _Status = Field(503, description="error: the HTTP status (HL7 gets AE 207)")  # type: ignore[valid-type]
    latency_ms: _Millis = Field(None, description="latency (200) or how long a hang holds (10000)")  # type: ignore[valid-type]

    @field_validator("fraction", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number above 0 and at most 1")
        return value

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
