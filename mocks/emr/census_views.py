"""Kipu's patient lists beyond the census, and two sub-resources of a patient: patients changed
between two days (latest), the facility's occupancy, care teams, soft-deleted patients (the vault),
a patient's care team and program history. Paths and envelopes as in Kipu's API v3; the literal
routes (/patients/latest ...) are not patient ids, which are digits only."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..common.base import ctx
from ..common.routes import answers, blueprint, path_model
from .census_schemas import (CareTeamOut, CareTeamsPage, CareTeamsQuery, LatestQuery, OccupancyOut, OccupancyQuery,
                             ProgramHistoryOut, VaultPage, VaultQuery)
from .directory import PROVIDER_ROLE, person_id
from .kipu import HEAD, check_range, page, patient_block, present, shown
from .placement import location_of, locations, program_history
from .schemas import MasterId, PatientsPage

views = blueprint("emr_patient_lists", __name__, "/api", "patient lists",
                  "Kipu's lists of patients beyond the census (latest, occupancy, care teams, the vault), and a "
                  "patient's care team and program history")
PatientPath = path_model("patient_id")


# -- care teams ----------------------------------------------------------------------------------

def care_teams(tx) -> dict[int, list[dict[str, Any]]]:
    """{patient id: care team}. The EMR assigns no care teams: a patient's team is the providers who
    documented an evaluation of the patient (its rendering provider), from the first day of service."""
    providers = {p["npi"]: p for p in tx.all("rendering_provider")}
    first: dict[int, dict[str, str]] = {}
    for item in tx.all("billing_item"):
        npi = item.get("rendering_provider")
        if npi in providers:
            days = first.setdefault(item["patient_id"], {})
            days[npi] = min(days.get(npi, item["date_of_service"]), item["date_of_service"])
    return {patient_id: [{"provider_id": person_id("provider", providers[npi]["id"]), "name": providers[npi]["name"],
                          "npi": npi, "credential": providers[npi].get("credential"), "role": PROVIDER_ROLE,
                          "since": since}
                         for npi, since in sorted(days.items(), key=lambda kv: (kv[1], providers[kv[0]]["name"]))]
            for patient_id, days in first.items()}


@views.get("/patients/<id:patient_id>/care_team", responses=answers(200, CareTeamOut))
def care_team(path: PatientPath, query: MasterId):
    """A patient's care team (patient_master_id required): the providers who documented its evaluations"""
    return patient_block(path.patient_id, query.patient_master_id, "care_team",
                         lambda tx, patient: care_teams(tx).get(patient["id"], []))


def _in_stay(patient: dict[str, Any], start: str, end: str, admitted_only: bool) -> bool:
    admitted, discharged = (patient.get("admission_date") or "")[:10], (patient.get("discharge_date") or "")[:10]
    if not admitted:
        return False
    if admitted_only:
        return start <= admitted <= end
    return admitted <= end and (not discharged or discharged >= start)


@views.get("/patients/care_teams", responses=answers(200, CareTeamsPage, 409))
def patients_care_teams(query: CareTeamsQuery):
    """Care teams of the patients in the facility between start_date and end_date (paged)

    A patient is listed when its stay (admission to discharge) meets the range; with admissions=true,
    only when it was admitted in the range.
    """
    check_range(query)
    with ctx().store.read() as tx:
        teams, places = care_teams(tx), locations(tx)
        rows = [p for p in tx.all("patient") if _in_stay(p, query.start_date, query.end_date, bool(query.admissions))]
    listed = []
    for patient in rows:
        view = present(patient, places)
        listed.append({**{k: view[k] for k in (*HEAD, "admission_date", "discharge_date", "mr_number")},
                       "care_team": teams.get(patient["id"], [])})
    return page(listed, "patients", query)


# -- program history -------------------------------------------------------------------------------

@views.get("/patients/<id:patient_id>/program_history", responses=answers(200, ProgramHistoryOut))
def patient_program_history(path: PatientPath, query: MasterId):
    """A patient's programs, levels of care and locations, oldest first (patient_master_id required)

    An entry starts when the program, level of care or location changes (on creation, a PATCH or
    the CRM's push) and ends when the next one starts.
    """
    return patient_block(path.patient_id, query.patient_master_id, "program_history",
                         lambda tx, patient: program_history(patient, locations(tx)))


# -- latest, the vault -------------------------------------------------------------------------------

@views.get("/patients/latest", responses=answers(200, PatientsPage, 409))
def patients_latest(query: LatestQuery):
    """Patients whose last_updated_at falls between start_date and end_date (paged; location_id filters)

    Kipu's latest takes no phi_level: it shows everything, as phi_level=high does. A patient is
    updated by a PATCH, an accept, its MR Number, a diagnosis, a discharge or the CRM's push.
    """
    check_range(query)
    with ctx().store.read() as tx:
        rows = [p for p in tx.all("patient") if query.start_date <= p["last_updated_at"][:10] <= query.end_date
                and (query.location_id is None or p.get("location_id") == query.location_id)]
        places = locations(tx)
    return page([present(p, places) for p in rows], "patients", query)


@views.get("/vaults/patients", responses=answers(200, VaultPage, 409))
def vault_patients(query: VaultQuery):
    """Soft-deleted patients, deleted between start_date and end_date (paged)

    The mock EMR has no delete operation, so the vault is always empty: the envelope is Kipu's.
    """
    if query.start_date and query.end_date:
        check_range(query)
    with ctx().store.read() as tx:
        rows = [p for p in tx.all("patient") if p.get("deleted_at")
                and (query.start_date or "") <= p["deleted_at"][:10] <= (query.end_date or "9999-12-31")]
        places = locations(tx)
    return page([present(p, places) for p in rows], "patients", query)


# -- occupancy ---------------------------------------------------------------------------------------

def _here(patient: dict[str, Any], now: str) -> bool:
    """In the facility now: admitted (not in the future) and not discharged yet."""
    admitted, discharged = patient.get("admission_date"), patient.get("discharge_date")
    return bool(admitted) and admitted <= now and (not discharged or discharged > now)


@views.get("/patients/occupancy", responses=answers(200, OccupancyOut))
def occupancy(query: OccupancyQuery):
    """Who is in the facility now, by location, building and bed (phi_level required)

    In the facility now: admitted (the admission not in the future) and not discharged yet.
    locations: every location of the EMR, with how many such patients are in it; a patient without
    a location_id is in the first (the facility). buildings: every building of every location, then
    any other building_name such a patient has, each with its count. beds: one per such patient who
    has a bed_name, with room and building, and the patient's casefile_id, names, dob, mr_number and
    admission_date; phi_level=low leaves out the dob, medium and high show it (AMB-09).
    """
    now = ctx().clock.now().isoformat()
    with ctx().store.read() as tx:
        places = locations(tx)
        here = [present(p, places) for p in tx.all("patient") if _here(p, now)]

    def where(view: dict[str, Any]) -> dict[str, Any]:
        place = location_of(view["location_id"], places) or {"location_id": None, "location_name": None}
        return {"location_id": place["location_id"], "location_name": place["location_name"]}

    per_location = Counter(where(v)["location_id"] for v in here)
    listed = [{"location_id": p["location_id"], "location_name": p["location_name"],
               "occupied": per_location[p["location_id"]]} for p in places]
    if per_location[None]:  # patients at a location_id the EMR does not have
        listed.append({"location_id": None, "location_name": None, "occupied": per_location[None]})
    # Every building of every location, then any other building a patient in the facility is in.
    buildings = {(b["building_name"], p["location_id"]): {"building_id": b.get("building_id"),
                                                          "building_name": b["building_name"],
                                                          "location_id": p["location_id"],
                                                          "location_name": p["location_name"], "occupied": 0}
                 for p in places for b in p["buildings"]}
    for view in here:
        if view["building_name"]:
            spot = where(view)
            building = buildings.setdefault((view["building_name"], spot["location_id"]),
                                            {"building_id": None, "building_name": view["building_name"], **spot,
                                             "occupied": 0})
            building["occupied"] += 1
    beds = [{"bed_name": v["bed_name"], "room_name": v["room_name"], "building_name": v["building_name"], **where(v),
             "patient": shown({k: v[k] for k in (*HEAD, "mr_number", "admission_date")}, query.phi_level)}
            for v in here if v["bed_name"]]
    return {"beds": beds, "buildings": list(buildings.values()), "locations": listed}
