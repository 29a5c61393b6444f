"""The EMR's directory in Kipu's API v3 shape: locations with their buildings, users, providers,
roles and user titles, read from what the EMR already keeps (the facility's locations, its users,
its rendering providers). Read only.

Choices where Kipu is silent (docs/ambiguities.md): a user's or provider's id is a uuid made from
the record (stable across resets of the same facility); every provider is also a user, with the
role ``rendering provider``; role and title ids number the names in alphabetical order; everyone
works at every location; the mock restricts no one from any patient.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..common.base import ctx, not_found
from ..common.routes import answers, blueprint, path_model
from .directory_schemas import (Locations, LocationsQuery, ProviderOut, ProvidersPage, RolesPage, UserOut, UserQuery,
                                UserTitles, UsersPage, on, uuid_path)
from .kipu import page
from .schemas import Paged

directory = blueprint("emr_directory", __name__, "/api", "directory",
                      "Locations and buildings, users, providers, roles and titles, as Kipu's API v3 shows them")
UserPath = uuid_path("user_id")
ProviderPath = uuid_path("provider_id")
RolePath = path_model("role_id")
PROVIDER_ROLE = "rendering provider"
_BASIC = ("id", "first_name", "middle_name", "last_name", "title", "email", "mobile", "home_phone")


def person_id(kind: str, record_id: int) -> str:
    """Kipu's uuid for a user (``kind`` "user") or a provider ("provider") of the EMR's stores."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kipu-harness:{kind}:{record_id}"))


def _names(full: str) -> tuple[str, str]:
    """("Elena", "Morgan") from "Morgan, Elena" (the facility file's form) or "Elena Morgan"."""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def people(tx) -> list[dict[str, Any]]:
    """Everyone in the directory: the EMR's users, then its rendering providers, in store order.
    ``roles`` holds role names; ``provider`` says which list a person is in."""
    found = []
    for user in tx.all("user"):
        found.append({"id": person_id("user", user["id"]), "first_name": user.get("first_name") or user["username"],
                      "middle_name": user.get("middle_name"), "last_name": user.get("last_name") or "",
                      "title": user.get("title"), "email": user.get("email"), "mobile": user.get("mobile"),
                      "home_phone": user.get("home_phone"), "username": user["username"],
                      "roles": list(user["roles"]), "provider": False})
    for provider in tx.all("rendering_provider"):
        first, last = _names(provider["name"])
        found.append({"id": person_id("provider", provider["id"]), "first_name": first, "middle_name": None,
                      "last_name": last, "title": provider.get("credential"), "email": None, "mobile": None,
                      "home_phone": None, "npi": provider["npi"], "roles": [PROVIDER_ROLE], "provider": True})
    return found


def full_name(person: dict[str, Any]) -> str:
    return " ".join(n for n in (person["first_name"], person["middle_name"], person["last_name"]) if n)


def roles(everyone: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The EMR's roles: every role someone holds, and the providers' role, numbered by name."""
    names = sorted({name for person in everyone for name in person["roles"]} | {PROVIDER_ROLE})
    return [{"id": number, "name": name} for number, name in enumerate(names, 1)]


def basic(person: dict[str, Any]) -> dict[str, Any]:
    """A person as Kipu lists them, with the mock's username (a user) or NPI (a provider)."""
    extra = ("npi",) if person["provider"] else ("username",)
    return {key: person[key] for key in (*_BASIC, *extra)}


def _full(tx, person: dict[str, Any], everyone: list[dict[str, Any]], restrictions: bool) -> dict[str, Any]:
    catalogue = roles(everyone)
    view = {**basic(person), "locations": [{"location_id": p["location_id"], "location_name": p["location_name"]}
                                            for p in tx.all("location")],
            "roles": [r for r in catalogue if r["name"] in person["roles"]]}
    if restrictions:
        view["restricted_patients"] = []
    return view


def _one(person_key: str, wanted: str, providers_only: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with ctx().store.read() as tx:
        everyone = people(tx)
    found = [p for p in everyone if p["id"] == wanted and (p["provider"] or not providers_only)]
    if not found:
        raise not_found(person_key, wanted)
    return found[0], everyone


# -- locations -----------------------------------------------------------------------------------

@directory.get("/locations", responses=answers(200, Locations))
def locations(query: LocationsQuery):
    """The facility's locations (not paged); include_buildings=true lists each one's buildings"""
    with ctx().store.read() as tx:
        places = tx.all("location")
    shown = []
    for place in places:
        view = {"location_id": place["location_id"], "location_name": place["location_name"], "enabled": place["enabled"]}
        if on(query.include_buildings):
            view["buildings"] = place["buildings"]
        shown.append(view)
    return {"locations": shown}


# -- users ---------------------------------------------------------------------------------------

@directory.get("/users", responses=answers(200, UsersPage))
def users(query: Paged):
    """The EMR's users, providers included (paged)"""
    with ctx().store.read() as tx:
        return page([basic(p) for p in people(tx)], "users", query)


@directory.get("/users/<user_id>", responses=answers(200, UserOut, 404))
def user(path: UserPath, query: UserQuery):
    """One user with its locations and roles; include_restrictions=true adds restricted_patients"""
    person, everyone = _one("user", path.user_id, providers_only=False)
    with ctx().store.read() as tx:
        return {"user": _full(tx, person, everyone, on(query.include_restrictions))}


@directory.get("/users/<user_id>/roles", responses=answers(200, RolesPage, 404))
def user_roles(path: UserPath, query: Paged):
    """A user's roles (paged)"""
    person, everyone = _one("user", path.user_id, providers_only=False)
    return page([r for r in roles(everyone) if r["name"] in person["roles"]], "roles", query)


@directory.get("/user_titles", responses=answers(200, UserTitles))
def user_titles():
    """The titles users and providers hold (not paged), numbered by name"""
    with ctx().store.read() as tx:
        names = sorted({p["title"] for p in people(tx) if p["title"]})
    return {"user_titles": [{"id": number, "name": name} for number, name in enumerate(names, 1)]}


# -- providers -----------------------------------------------------------------------------------

@directory.get("/providers", responses=answers(200, ProvidersPage))
def providers(query: Paged):
    """The rendering providers (paged)"""
    with ctx().store.read() as tx:
        return page([basic(p) for p in people(tx) if p["provider"]], "providers", query)


@directory.get("/providers/<provider_id>", responses=answers(200, ProviderOut, 404))
def provider(path: ProviderPath):
    """One provider with its locations and roles (a user who is no provider: 404)"""
    person, everyone = _one("provider", path.provider_id, providers_only=True)
    with ctx().store.read() as tx:
        return {"provider": _full(tx, person, everyone, False)}


@directory.get("/providers/<provider_id>/roles", responses=answers(200, RolesPage, 404))
def provider_roles(path: ProviderPath, query: Paged):
    """A provider's roles (paged)"""
    person, everyone = _one("provider", path.provider_id, providers_only=True)
    return page([r for r in roles(everyone) if r["name"] in person["roles"]], "roles", query)


# -- roles ---------------------------------------------------------------------------------------

@directory.get("/roles", responses=answers(200, RolesPage))
def all_roles(query: Paged):
    """The EMR's roles (paged)"""
    with ctx().store.read() as tx:
        return page(roles(people(tx)), "roles", query)


@directory.get("/roles/<id:role_id>/users", responses=answers(200, UsersPage, 404))
def role_users(path: RolePath, query: Paged):
    """The users, providers included, who hold a role (paged)"""
    with ctx().store.read() as tx:
        everyone = people(tx)
    found = [r for r in roles(everyone) if r["id"] == path.role_id]
    if not found:
        raise not_found("role", path.role_id)
    return page([basic(p) for p in everyone if found[0]["name"] in p["roles"]], "users", query)
