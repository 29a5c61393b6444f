"""The models of Kipu's patient lists beyond the census (latest, occupancy, care teams, the vault)
and of a patient's care team and program history: their queries and their answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..common.schemas import Query, Record, text
from .schemas import PHI_HELP, Between, Paged, Pagination, Patient, PatientHead, PhiLevel, QueryDate, QueryFlag


# -- queries -----------------------------------------------------------------------------------

class LatestQuery(Between):
    location_id: text(100) = Field(None, description="only patients of this location")  # type: ignore[valid-type]


class OccupancyQuery(Query):
    phi_level: PhiLevel = Field(description=PHI_HELP + "; on occupancy only dob is PHI, left out at low")


class CareTeamsQuery(Between):
    admissions: QueryFlag = Field(None, description="true (or True, 1): only patients admitted between the dates; "
                                                    "otherwise every patient in the facility on any day of them")


class VaultQuery(Paged):
    start_date: QueryDate = Field(None, description="deleted on or after this day (YYYY-MM-DD)")
    end_date: QueryDate = Field(None, description="deleted on or before this day (YYYY-MM-DD)")


# -- a patient's care team and program history ---------------------------------------------------

class CareTeamMember(Record):
    """A provider who treated the patient: a rendering provider of a documented evaluation."""

    provider_id: str = Field(description="the provider's id, as GET /api/providers/{provider_id} knows it (a uuid)")
    name: str = Field(examples=["Reyes, Priya"])
    npi: str = Field(examples=["1765432103"])
    credential: str | None = Field(None, examples=["PsyD"])
    role: str = Field(examples=["rendering provider"], description="the provider's role in the directory")
    since: str = Field(description="the first day of service the provider documented for the patient",
                       examples=["2024-01-06"])


class PatientCareTeam(PatientHead):
    care_team: list[CareTeamMember]


class CareTeamOut(BaseModel):
    patient: PatientCareTeam


class CensusCareTeam(PatientCareTeam):
    """A patient of /api/patients/care_teams: the head, the stay and the care team."""

    admission_date: str | None = None
    discharge_date: str | None = None
    mr_number: str | None = None


class CareTeamsPage(BaseModel):
    pagination: Pagination
    patients: list[CensusCareTeam]


class ProgramEntry(Record):
    id: int = Field(description="the entry's place in the history, from 1")
    program: str | None = None
    level_of_care: str | None = None
    location_id: str | None = None
    location_name: str | None = None
    start_date: str = Field(description="when the patient took this program, level of care and location")
    end_date: str | None = Field(None, description="when the next entry started; null for the current one")


class PatientProgramHistory(PatientHead):
    program_history: list[ProgramEntry]


class ProgramHistoryOut(BaseModel):
    patient: PatientProgramHistory


# -- occupancy ---------------------------------------------------------------------------------

class OccupancyLocation(Record):
    location_id: int | None = Field(None, description="null for a location_id the facility does not have")
    location_name: str | None = None
    occupied: int = Field(description="patients in the location now")


class OccupancyBuilding(Record):
    building_id: int | None = Field(None, description="the location's building; null for one only a patient names")
    building_name: str
    location_id: int | None = None
    location_name: str | None = None
    occupied: int = Field(description="patients in the building now")


class BedPatient(Record):
    casefile_id: str
    first_name: str
    middle_name: str | None = None
    last_name: str
    dob: str | None = Field(None, description="left out at phi_level=low")
    mr_number: str | None = None
    admission_date: str | None = None


class OccupancyBed(Record):
    bed_name: str
    room_name: str | None = None
    building_name: str | None = None
    location_id: int | None = None
    location_name: str | None = None
    patient: BedPatient = Field(description="who is in the bed")


class OccupancyOut(BaseModel):
    beds: list[OccupancyBed] = Field(description="the occupied beds: one per patient in the facility with a bed_name")
    buildings: list[OccupancyBuilding] = Field(description="every building of every location, empty ones included, "
                                                           "then any other building_name of a patient in the facility")
    locations: list[OccupancyLocation] = Field(description="every location of the EMR, empty ones included")


class VaultPage(BaseModel):
    pagination: Pagination
    patients: list[Patient]
