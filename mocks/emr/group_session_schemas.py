"""The models of the EMR's group sessions: documenting one (the mock's own body, which bills each
patient present, WF-5.1) and reading them as Kipu's API v3 does (GET /api/group_sessions...)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..common.schemas import TIME, Body, Record, RequiredDate, integer, text
from .billing_schemas import BillingItem, Minutes
from .directory_schemas import EXAMPLE_UUID, Flag, QueryNumber, QueryUuid
from .mirror_schemas import KipuCodes
from .schemas import MasterId, Paged, Pagination, QueryDate, Text

Time = text(5, pattern=f"^{TIME}$", what="a time of day (HH:MM)", example="14:00")


# -- documenting a session (the mock's body) ---------------------------------------------------------

class Attendance(Body):
    patient_id: integer(required=True) = Field(description="an EMR patient (unknown: 404)")  # type: ignore[valid-type]
    present: Annotated[bool, Field(strict=True)]
    minutes: Minutes = None
    note: text(500) = Field(None, description="shown as the patient's note in Kipu's patients[]")  # type: ignore[valid-type]


class GroupSessionIn(Body):
    template_id: integer(required=True) = Field(  # type: ignore[valid-type]
        description="a group session template, Kipu's session type (unknown: 404; an evaluation template: 409)")
    date: RequiredDate
    leader: Text = Field(None, description="the leader's name, when group_leader_id does not name one")
    attendance: list[Attendance] = Field(min_length=1)
    start_time: Time = Field(None, description="the time it started; the integration's default_time if not given")
    end_time: Time = Field(None, description="the time it ended, not before start_time (409); if not given, "
                                             "start_time plus the longest attendance, if any minutes are given")
    location_id: integer() = Field(  # type: ignore[valid-type]
        None, description="one of the EMR's locations (GET /api/locations; unknown: 404); the first if not given")
    group_session_topic: Text = None
    group_leader_id: QueryUuid = Field(None, description="a user or provider of GET /api/users (unknown: 404)",
                                       examples=[EXAMPLE_UUID])


# -- reading sessions (Kipu's shape) -------------------------------------------------------------------

class GroupSessionFilters(Paged):
    location_id: QueryNumber = Field(None, description="only sessions at this location")
    group_leader_id: QueryUuid = Field(None, description="only sessions this user or provider led")
    group_session_topic: Text = Field(None, description="only sessions with this topic (letter case aside)")
    billable: Flag = Field(None, description="true: only billable sessions; false: only sessions that bill nothing")
    session_type_id: QueryNumber = Field(None, description="only sessions of this type (its billable template's id)")
    session_start_date: QueryDate = Field(None, description="only sessions on or after this day")
    session_end_date: QueryDate = Field(None, description="only sessions on or before this day (not before "
                                                          "session_start_date: 409)")


class PatientGroupSessionFilters(MasterId, GroupSessionFilters):
    """A patient's sessions: Kipu reads them only with the patient's patient_master_id."""


class SessionPatient(BaseModel):
    """One patient on the session's roster (v3's ``patients[]``; v4 calls it ``episodes[]``)."""

    model_config = ConfigDict(extra="allow")
    patient_id: int = Field(description="Kipu's Location Patient ID")
    casefile_id: str
    present: bool = Field(description="attendance")
    minutes: int | None = Field(None, description="how long the patient attended")
    note: str | None = None


class GroupSession(Record):
    id: int
    session_start_time: str = Field(examples=["2026-03-05T14:00:00"])
    session_end_time: str | None = Field(None, examples=["2026-03-05T15:00:00"])
    group_session_title: str = Field(examples=["Group Therapy"])
    group_session_topic: str | None = None
    group_leader_id: str | None = Field(None, description="the leader in GET /api/users, if named by id")
    group_leader_full_name: str | None = None
    status: str = Field(examples=["Completed"])
    session_type: str = Field(description="the billable template's name", examples=["Group Therapy"])
    session_type_id: int = Field(description="the billable template's id")
    billable: bool
    billing_codes: KipuCodes
    selected_billing_code: str | None = Field(None, examples=["CCode", "HCode"],
                                              description="which of billing_codes the session bills")
    place_of_service: str = Field(examples=["55"])
    ancillary: bool = Field(description="true: billed as an ancillary service; false: per diem (a level of care)")
    billable_claim_format: str = Field(examples=["Professional", "Institutional"])
    location_id: int
    patients: list[SessionPatient]


class GroupSessionsPage(BaseModel):
    pagination: Pagination
    group_sessions: list[GroupSession]


class GroupSessionOne(BaseModel):
    group_session: GroupSession


class GroupSessionOut(BaseModel):
    group_session: GroupSession
    billing_items: list[BillingItem] = Field(description="one per patient present (WF-5.1)")
