"""What the console shows of each system, read from the suite's stores: its people and their state,
its outbox, and the mocks' clock. Every SSN is masked (kipu_harness.phi) before it leaves here."""

from __future__ import annotations

from typing import Any

from kipu_harness.phi import mask, mask_data

TITLES = {"crm": "CRM", "emr": "EMR", "rcm": "RCM", "payer": "Payer / clearinghouse"}
OUTBOX_STATUSES = ("pending", "failed", "rejected", "delivered")
TEXT_LIMIT = 300  # characters of an outbox row's body and detail


def state(suite: Any, urls: dict[str, str], elsewhere: dict[str, str], mllp: tuple[str, int] | None,
          limit: int) -> dict[str, Any]:
    """The console's page of every system: at most ``limit`` people each (the newest first)."""
    systems = {}
    for system, title in TITLES.items():
        store = suite.contexts[system].store
        with store.read() as tx:
            records = _READERS[system](tx, limit)
        counts, rows = store.outbox_summary(limit)
        url = urls.get(system)
        systems[system] = {
            "title": title, "url": url, "api_page": f"{url}/docs/swagger" if url else None,
            "openapi": f"{url}/openapi.json" if url else None, "elsewhere": elsewhere.get(system),
            **records,
            "outbox": {"counts": {s: counts.get(s, 0) for s in OUTBOX_STATUSES},
                       "rows": [_outbox_row(r) for r in reversed(rows)]},
        }
    now = suite.clock.now()
    return mask_data({"clock": {"now": now.isoformat(), "pinned": suite.clock.pinned},
                      "mllp": f"{mllp[0]}:{mllp[1]}" if mllp else None, "systems": systems})


def _newest(tx: Any, kind: str, limit: int) -> tuple[int, list[dict[str, Any]]]:
    total = tx.count(kind)
    _, page = tx.page(kind, max(0, total - limit), limit)
    return total, list(reversed(page))


def _ssn(value: Any) -> str | None:
    return mask(value) if value else None


def _name(first: Any, last: Any) -> str:
    return " ".join(str(part) for part in (first, last) if part) or "(no name)"


def _crm(tx: Any, limit: int) -> dict[str, Any]:
    total, prospects = _newest(tx, "prospect", limit)
    people = []
    for p in prospects:
        opportunities = tx.find("opportunity", prospect_id=p["id"])
        pushed = [o for o in opportunities if o.get("status") == "pushed"]
        status = "pushed to the EMR" if pushed else "opportunity open" if opportunities else "prospect"
        people.append({"id": p["id"], "name": _name(p.get("first_name"), p.get("last_name")), "dob": p.get("dob"),
                       "ssn": _ssn(p.get("ssn")), "status": status,
                       "opportunities": [{"id": o["id"], "status": o.get("status"),
                                          "level_of_care": o.get("level_of_care"),
                                          "emr_patient_id": o.get("emr_patient_id")} for o in opportunities]})
    return {"noun": "prospects", "total": total, "people": people}


def _emr(tx: Any, limit: int) -> dict[str, Any]:
    total, patients = _newest(tx, "patient", limit)
    people = []
    for p in patients:
        admitted, discharged = p.get("admission_date"), p.get("discharge_date")
        status = ("discharged" if discharged else "admitted" if admitted and p.get("mr_number")
                  else p.get("pre_admission_status") or "pre-admission")
        rcm = p.get("rcm") or {}
        people.append({"id": p["id"], "name": _name(p.get("first_name"), p.get("last_name")), "dob": p.get("dob"),
                       "ssn": _ssn(p.get("ssn")), "status": status, "mr_number": p.get("mr_number"),
                       "pre_admission_status": p.get("pre_admission_status"), "admitted": admitted,
                       "discharged": discharged, "level_of_care": p.get("level_of_care"),
                       "crm_prospect_id": p.get("crm_prospect_id"),
                       "diagnoses": [d.get("code") for d in p.get("diagnoses") or []],
                       "rcm": {"connected": bool(rcm.get("connected")), "sends": rcm.get("sends", 0)}})
    return {"noun": "patients", "total": total, "people": people}


def _rcm(tx: Any, limit: int) -> dict[str, Any]:
    total, patients = _newest(tx, "patient", limit)
    people = []
    for p in patients:
        profile = p.get("profile") or {}
        episodes = []
        for e in p.get("treatment_episodes") or []:
            intake = e.get("intake") or {}
            visit = intake.get("admit_discharge") or {}
            reviews = (e.get("scheduling_and_utilization") or {}).get("utilization_reviews") or []
            episodes.append({"id": e.get("id"), "admit_date": visit.get("admit_date"),
                             "discharge_date": visit.get("discharge_date"),
                             "mr_number": (intake.get("patient_profile") or {}).get("medical_record_number"),
                             "principal_diagnosis": (intake.get("behavioral_diagnoses") or {}).get("principal_diagnosis"),
                             "insurances": len(((intake.get("insurance") or {}).get("insurance_set") or {})
                                               .get("insurances") or []),
                             "reviews": len(reviews)})
        people.append({"id": p["id"], "name": _name(profile.get("first_name"), profile.get("last_name")),
                       "dob": profile.get("birthday"), "ssn": _ssn(profile.get("social_security_number")),
                       "status": p.get("status"), "emr_patient_id": p.get("emr_patient_id"),
                       "crm_prospect_id": p.get("crm_prospect_id"), "episodes": episodes})
    return {"noun": "patients", "total": total, "people": people}


def _payer(tx: Any, limit: int) -> dict[str, Any]:
    total, members = _newest(tx, "member", limit)
    people = [{"id": m["id"], "name": m.get("member_id"), "status": m.get("outcome")} for m in members]
    return {"noun": "members with a set outcome", "total": total, "people": people,
            "interchanges": tx.count("x12_interchange")}


_READERS = {"crm": _crm, "emr": _emr, "rcm": _rcm, "payer": _payer}


def _outbox_row(row: dict[str, Any]) -> dict[str, Any]:
    texts = {k: row.get(k) or "" for k in ("body", "detail", "last_error")}
    return {"id": row["id"], "destination": row["destination"], "wire": row["wire"], "path": row["path"],
            "status": row["status"], "attempts": row["attempts"], "created_at": row["created_at"],
            "delivered_at": row["delivered_at"], **{k: v[:TEXT_LIMIT] for k, v in texts.items()},
            "truncated": any(len(v) > TEXT_LIMIT for v in texts.values())}
