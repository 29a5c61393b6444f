"""Where an EMR patient is: the EMR's locations (with their buildings), a location's name, and the
history of the patient's program, level of care and location (Kipu's program_history)."""

from __future__ import annotations

from typing import Any

from ..common import facility

PLACEMENT = ("program", "level_of_care", "location_id")


def locations(tx) -> list[dict[str, Any]]:
    """The EMR's locations, each ``{location_id, location_name, buildings: [{building_id,
    building_name}]}``; an EMR configured with none has one: the facility, location 1."""
    found = [{"location_id": r["location_id"], "location_name": r["location_name"],
              "buildings": list(r.get("buildings") or [])} for r in tx.all("location")]
    return found or [{"location_id": 1, "location_name": facility.load()["facility"]["name"], "buildings": []}]


def location_of(location_id: str | None, places: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A patient's location: the one its location_id names; without a location_id, the first (the
    facility), where a patient is unless placed elsewhere; None for an id the EMR does not have."""
    wanted = str(location_id) if location_id else str(places[0]["location_id"])
    return next((place for place in places if str(place["location_id"]) == wanted), None)


def location_name(location_id: str | None, places: list[dict[str, Any]]) -> str | None:
    place = location_of(location_id, places)
    return place["location_name"] if place else None


def track(patient: dict[str, Any], now: str) -> None:
    """Add a program_history entry when the program, level of care or location changed: the open
    entry ends now and a new one starts. A patient with none of the three has no history yet."""
    history = patient.setdefault("program_history", [])
    current = {k: patient.get(k) for k in PLACEMENT}
    if history and {k: history[-1][k] for k in PLACEMENT} == current:
        return
    if not history and not any(current.values()):
        return
    if history:
        history[-1]["end_date"] = now
    history.append({**current, "start_date": now, "end_date": None})


def program_history(patient: dict[str, Any], places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history as Kipu shows it, each entry numbered from 1 and with its location's name."""
    return [{"id": number, **entry, "location_name": location_name(entry["location_id"], places)}
            for number, entry in enumerate(patient.get("program_history", []), start=1)]
