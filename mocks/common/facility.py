"""The default facility (harness/facility.toml) loaded into the mock EMR and RCM: billable codes,
services, levels of care with their shared unique IDs, the Konnector, providers and routing,
billing users. Loaded when a store is new and again after every reset, so a scenario always
starts from a configured facility and changes it only through the systems' own APIs."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from decimal import Decimal
from pathlib import Path
from typing import Any

# Shipped as package data of kipu_harness, so it is found from an installed wheel too.
DEFAULT = Path(str(resources.files("kipu_harness") / "facility.toml"))
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Users of the mocks' billing screens (SET-05): who may transmit charges, submit and create claims.
# The EMR's directory (GET /api/users) shows them with these synthetic details.
USERS = ({"username": "biller", "roles": ["billing"], "first_name": "Blair", "middle_name": None,
          "last_name": "Tanaka", "title": "Billing Specialist", "email": "biller@example.com",
          "mobile": "512-555-0101", "home_phone": None},
         {"username": "clinician", "roles": [], "first_name": "Casey", "middle_name": "J",
          "last_name": "Lindqvist", "title": "Clinician", "email": "clinician@example.com",
          "mobile": "512-555-0102", "home_phone": "512-555-0103"})


@functools.lru_cache(maxsize=4)
def load(path: Path = DEFAULT) -> dict[str, Any]:
    return tomllib.loads(Path(path).read_text())


def rcm_services(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The RCM services: one per level of care and ancillary service, under insurance and private pay."""
    base = []
    for loc in data["levels_of_care"]:
        base.append({"name": loc["name"], "revenue_code": loc["revenue_code"], "procedure_code": loc["procedure_code"],
                     "modifier": "", "claim_format": "institutional", "level_of_care_uid": loc["uid"],
                     "place_of_service": "55", "profiles": ["55"], "rate": loc["rate"],
                     "requires_authorization": True})
    for svc in data["ancillary"]:
        base.append({"name": svc["name"], "revenue_code": "", "procedure_code": svc["procedure_code"], "modifier": "",
                     "claim_format": "professional", "level_of_care_uid": None,
                     "place_of_service": svc["place_of_service"],
                     "profiles": svc.get("profiles", [svc["place_of_service"]]), "rate": svc["rate"],
                     "requires_authorization": svc["requires_authorization"]})
    private = data["private_pay"]
    services = [{**s, "pay_type": "insurance"} for s in base]
    services += [{**s, "pay_type": "private", "name": s["name"] + private["suffix"],
                  "rate": str((Decimal(s["rate"]) * Decimal(private["rate_factor"])).quantize(Decimal("0.01")))}
                 for s in base]
    return services


def install_rcm(tx: Any, data: dict[str, Any]) -> None:
    for service in rcm_services(data):
        tx.insert("rcm_service", service)
    for provider in data["providers"]:
        tx.insert("provider", dict(provider))
    tx.put("billing_setting", {"id": 1, "facility": data["facility"], "konnector": data["konnector"],
                               "bill_by_building": data.get("bill_by_building", {}),
                               "bill_by_program": data.get("bill_by_program", {}),
                               "facilities": data.get("facilities", []),
                               "facility_by_building": data.get("facility_by_building", {}),
                               "facility_by_program": data.get("facility_by_program", {})})
    for user in USERS:
        tx.insert("user", dict(user))


def locations(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The EMR's locations (Kipu's GET /api/locations) and the buildings of each: the facility
    file's [[locations]], or else the facility itself with the buildings Bill by Building names."""
    if data.get("locations"):
        return [{"name": place["name"], "buildings": list(place.get("buildings", []))} for place in data["locations"]]
    buildings = sorted({*data.get("bill_by_building", {}), *data.get("facility_by_building", {})})
    return [{"name": data["facility"]["name"], "buildings": buildings}]


def care_level(name: str, days: dict[str, bool], **fields: Any) -> dict[str, Any]:
    """A level of care as the EMR keeps it: Kipu's fields, empty unless given (a live instance
    fills little more than consider_as)."""
    codes = {"HCode": "", "CCode": "", "RCode": "", "Custom": "", **fields.pop("selected_billing_code", {})}
    return {"care_level_name": name, "care_level_uid": None, "hours": None, "billable": any(codes.values()),
            "consider_as": None, "days_of_the_week": days, "place_of_service": None, "selected_billing_code": codes,
            "claim_format": None, "type_of_bill": None, "occurrence_code": None, "occurrence_span_code": None,
            "value_code": None, **fields}


def install_emr(tx: Any, data: dict[str, Any]) -> None:
    building_id = 0
    for place in locations(data):
        buildings = []
        for name in place["buildings"]:
            building_id += 1
            buildings.append({"building_id": building_id, "building_name": name})
        record = tx.insert("location", {"location_name": place["name"], "enabled": True, "buildings": buildings})
        record["location_id"] = record["id"]
        tx.put("location", record)
    for loc in data["levels_of_care"]:
        record = tx.insert("care_level", care_level(
            loc["name"], {d: d in loc["days"].split() for d in DAYS}, care_level_uid=loc["uid"],
            hours=loc.get("hours"), consider_as=loc["name"], claim_format="institutional", place_of_service="55",
            selected_billing_code={"RCode": loc["revenue_code"], "HCode": loc["procedure_code"]}))
        record["care_level_id"] = record["id"]
        tx.put("care_level", record)
    for svc in data["ancillary"]:
        tx.insert("billing_code", {"code": svc["procedure_code"], "type": "CPT", "description": svc["name"]})
    for loc in data["levels_of_care"]:
        tx.insert("billing_code", {"code": loc["procedure_code"], "type": "HCPCS", "description": loc["name"]})
        tx.insert("billing_code", {"code": loc["revenue_code"], "type": "Revenue", "description": loc["name"]})
    for provider in data["providers"]:
        tx.insert("rendering_provider", {**provider, "send_to_rcm": True})
    levels = {lc["name"]: lc for lc in data["levels_of_care"]}
    for template in data.get("templates", []):
        tx.insert("billable_template", emr_template(template, levels))
    for user in USERS:
        tx.insert("user", dict(user))


INSTALLERS = {"rcm": install_rcm, "emr": install_emr}


def emr_template(t: dict[str, Any], levels: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A billable template as the EMR keeps it; a per-diem one takes its codes from its level of care."""
    record = {"name": t["name"], "kind": t["kind"], "billing": t["billing"], "modifier": t.get("modifier", ""),
              "place_of_service": t.get("place_of_service", "55"), "required_minutes": t.get("required_minutes", 0)}
    if t["billing"] == "per_diem":
        loc = levels[t["level_of_care"]]
        return {**record, "level_of_care": loc["name"], "level_of_care_uid": loc["uid"],
                "service_description": loc["name"], "cpt": "", "hcpcs": loc["procedure_code"],
                "revenue_code": loc["revenue_code"], "claim_format": "Institutional"}
    return {**record, "level_of_care": None, "level_of_care_uid": None,
            "service_description": t["service_description"], "cpt": t.get("cpt", ""), "hcpcs": t.get("hcpcs", ""),
            "revenue_code": t.get("revenue_code", ""), "claim_format": t.get("claim_format", "Professional")}
