"""The models of the EMR's directory as Kipu's API v3 shows it: locations and their buildings,
users and providers (Kipu's uuid ids), their roles and titles. Kipu documents the user object
(id, names, title, email, mobile, home_phone; the full one adds locations, roles and
restricted_patients); a provider is shown the same way, with its NPI."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from ..common.schemas import MAX_ID, Query, Record
from .schemas import Pagination, QueryFlag

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
EXAMPLE_UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
# Kipu's booleans in a query string (kipu-python sends Python's True and False as they print): the
# EMR's one flag type, true, True, 1, false, False or 0.
Flag = QueryFlag


def on(value: bool | None) -> bool:
    return value is True


def _uuid(value: Any) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(UUID, value):
        raise PydanticCustomError("uuid", "must be a uuid (8-4-4-4-12 hex digits)")
    return value.lower()


_UUID_SCHEMA = {"type": "string", "pattern": f"^{UUID}$", "maxLength": 36}
# A uuid in a query string, lower-cased; optional (empty: not given).
QueryUuid = Annotated[str | None, BeforeValidator(_uuid), WithJsonSchema(
    {"anyOf": [_UUID_SCHEMA, {"type": "null"}, {"const": ""}]})]


def _number(value: Any) -> Any:
    """A record's id in a query string: digits, or a number with no fraction (15.0 is the integer 15,
    as JSON Schema has it); empty: not given."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,19}(?:\.0*)?", value):
        value = int(value.partition(".")[0])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise PydanticCustomError("id", f"must be a whole number between 0 and {MAX_ID}")
    return value


QueryNumber = Annotated[int | None, BeforeValidator(_number), WithJsonSchema(
    {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ID}, {"type": "null"}, {"const": ""}]})]


def uuid_path(name: str) -> type[BaseModel]:
    """A path whose one parameter is a Kipu uuid (anything else: 422 naming it)."""
    field = Annotated[str, BeforeValidator(_uuid), WithJsonSchema(
        {**_UUID_SCHEMA, "example": EXAMPLE_UUID, "description": f"the {name.replace('_', ' ')} (a uuid)"})]
    return create_model(f"Path_{name}", **{name: (field, ...)})  # type: ignore[call-overload]


# -- queries -----------------------------------------------------------------------------------

class LocationsQuery(Query):
    include_buildings: Flag = Field(None, description="true: each location lists its buildings")


class UserQuery(Query):
    include_restrictions: Flag = Field(None, description="true: adds restricted_patients (none, in the mock)")


# -- answers -----------------------------------------------------------------------------------

class Building(Record):
    building_id: int
    building_name: str = Field(examples=["North Campus"])


class Location(Record):
    location_id: int
    location_name: str = Field(examples=["Kipu Harness Recovery Center"])
    enabled: bool
    buildings: list[Building] | None = Field(None, description="only with include_buildings=true")


class Locations(BaseModel):
    locations: list[Location]


class LocationRef(BaseModel):
    location_id: int
    location_name: str


class Role(Record):
    id: int
    name: str = Field(examples=["billing", "rendering provider"])


class Person(Record):
    """A user or provider as Kipu lists them; ``username`` (a user) and ``npi`` (a provider) are the mock's."""

    id: str = Field(description="a uuid, stable for the facility", examples=[EXAMPLE_UUID])
    first_name: str
    middle_name: str | None = None
    last_name: str
    title: str | None = Field(None, examples=["Billing Specialist", "MD"])
    email: str | None = None
    mobile: str | None = None
    home_phone: str | None = None
    username: str | None = Field(None, description="a user's name in the X-Kipu-User header (SET-05)")
    npi: str | None = Field(None, description="a provider's NPI: the rendering provider of a charge")


class RestrictedPatient(BaseModel):
    casefile_id: str


class FullPerson(Person):
    locations: list[LocationRef]
    roles: list[Role]
    restricted_patients: list[RestrictedPatient] | None = Field(None, description="only with include_restrictions=true")


class UsersPage(BaseModel):
    pagination: Pagination
    users: list[Person]


class ProvidersPage(BaseModel):
    pagination: Pagination
    providers: list[Person]


class UserOut(BaseModel):
    user: FullPerson


class ProviderOut(BaseModel):
    provider: FullPerson


class RolesPage(BaseModel):
    pagination: Pagination
    roles: list[Role]


class UserTitle(Record):
    id: int
    name: str = Field(examples=["LCSW"])


class UserTitles(BaseModel):
    user_titles: list[UserTitle]

