"""The built-in drivers: the contract of :mod:`kipu_harness.contract`, spoken to the mocks' CRM and
RCM APIs and to the EMR's Kipu API v3, through any transport (Flask test client or HTTP).

A successful call returns domain objects; a refusal raises ``Refusal`` carrying the status and
the problems the system named, so negative scenarios can assert on them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .contract import NotOffered, Refusal
from .model import Patient, Prospect, RcmPatient, TreatmentOpportunity
from .transport import CONTROL_TOKEN_HEADER, Reply, Transport, WithHeaders

__all__ = ["CrmClient", "EmrClient", "RcmClient", "PayerClient", "MockControl", "Window", "Refusal", "NotOffered"]


def refusal(reply: Reply) -> Refusal:
    """A 4xx answer of the mocks (and Kipu's) error shape: {"errors": ..., "problems": [{field, problem}]}."""
    body = reply.body if isinstance(reply.body, dict) else {}
    problems = {p["field"]: p["problem"] for p in body.get("problems", []) if isinstance(p, dict) and "field" in p}
    return Refusal(reply.status, str(body.get("errors") or reply.text[:200]), problems)


def _ok(reply: Reply) -> Any:
    if reply.status >= 500:
        raise RuntimeError(f"server error HTTP {reply.status}: {reply.text[:300]}")
    if not reply.ok:
        raise refusal(reply)
    return reply.body


class CrmClient:
    def __init__(self, transport: Transport):
        self.http = transport

    def create_prospect(self, **fields: Any) -> Prospect:
        return _prospect(_ok(self.http.request("POST", "/crm/prospects", json_body=fields))["prospect"])

    def get_prospect(self, prospect_id: int) -> Prospect:
        return _prospect(_ok(self.http.request("GET", f"/crm/prospects/{prospect_id}"))["prospect"])

    def add_insurance(self, prospect_id: int, **fields: Any) -> Prospect:
        body = _ok(self.http.request("POST", f"/crm/prospects/{prospect_id}/insurance", json_body=fields))
        return _prospect(body["prospect"])

    def create_opportunity(self, prospect_id: int, **fields: Any) -> TreatmentOpportunity:
        body = _ok(self.http.request("POST", f"/crm/prospects/{prospect_id}/opportunities", json_body=fields))
        return _opportunity(body["opportunity"])

    def push_to_emr(self, opportunity_id: int) -> TreatmentOpportunity:
        return _opportunity(_ok(self.http.request("POST", f"/crm/opportunities/{opportunity_id}/push"))["opportunity"])

    def create_payer(self, name: str) -> Any:
        """Only the RCM manages payers (SYS-04): a conforming CRM refuses this."""
        return _ok(self.http.request("POST", "/crm/payers", json_body={"name": name}))

    def edit_payer(self, payer_id: int, **fields: Any) -> Any:
        return _ok(self.http.request("PATCH", f"/crm/payers/{payer_id}", json_body=fields))

    def delete_payer(self, payer_id: int) -> Any:
        return _ok(self.http.request("DELETE", f"/crm/payers/{payer_id}"))


def _prospect(data: dict[str, Any]) -> Prospect:
    return Prospect(id=data["id"], first_name=data["first_name"], last_name=data["last_name"],
                    middle_name=data.get("middle_name") or "", dob=data.get("dob"),
                    insurance=tuple(data.get("insurance", [])),
                    opportunities=tuple(_opportunity(o) for o in data.get("opportunities", [])))


def _opportunity(data: dict[str, Any]) -> TreatmentOpportunity:
    return TreatmentOpportunity(id=data["id"], prospect_id=data["prospect_id"], status=data["status"],
                                level_of_care=data.get("level_of_care"), program=data.get("program"))


class EmrClient:
    """Kipu API v3 conventions: `document` bodies, `patient_master_id` on patient reads."""

    def __init__(self, transport: Transport, recipient_id: str = "kipu-harness"):
        self.http = transport
        self.recipient_id = recipient_id
        self.last_extra: dict[str, Any] = {}

    def _patient(self, reply: Reply) -> Patient:
        body = _ok(reply)
        self.last_extra = {k: v for k, v in body.items() if k != "patient"}
        return Patient.from_api(body["patient"])

    def create_patient(self, **data: Any) -> Patient:
        body = {"document": {"recipient_id": self.recipient_id, "data": data}}
        return self._patient(self.http.request("POST", "/api/patients", json_body=body))

    def update_patient(self, patient: Patient, **data: Any) -> Patient:
        body = {"document": {"recipient_id": self.recipient_id, "data": data}}
        return self._patient(self.http.request("PATCH", f"/api/patients/{patient.id}", json_body=body))

    def get(self, patient: Patient) -> Patient:
        params = {"phi_level": "high", "patient_master_id": patient.patient_master_id}
        return self._patient(self.http.request("GET", f"/api/patients/{patient.id}", params=params))

    def census(self, **params: Any) -> list[Patient]:
        """Every patient of the census, following Kipu's string pagination to the last page."""
        patients, page = [], 1
        while True:
            body = _ok(self.http.request("GET", "/api/patients/census",
                                         params={"phi_level": "high", "page": page, "per": 100, **params}))
            patients += [Patient.from_api(p) for p in body["patients"]]
            if int(body["pagination"]["current_page"]) >= int(body["pagination"]["total_pages"]):
                return patients
            page += 1

    def find_by_prospect(self, prospect_id: int) -> Patient | None:
        found = [p for p in self.census() if p.crm_prospect_id == prospect_id]
        return found[0] if found else None

    def diagnosis_history(self, patient: Patient) -> list[dict[str, Any]]:
        params = {"patient_master_id": patient.patient_master_id}
        body = _ok(self.http.request("GET", f"/api/patients/{patient.id}/diagnosis_history", params=params))
        return body["patient"]["diagnosis_history"]

    def accept(self, patient: Patient) -> Patient:
        return self._patient(self.http.request("POST", f"/api/patients/{patient.id}/accept"))

    def last_send(self) -> dict[str, Any]:
        """What the EMR said about the RCM with its last answer: {"sent": bool, "missing": [...]}."""
        return dict(self.last_extra.get("rcm") or {})

    def add_diagnosis(self, patient: Patient, code: str, *, principal: bool = False) -> Patient:
        body = {"code": code, "principal": principal}
        return self._patient(self.http.request("POST", f"/api/patients/{patient.id}/diagnoses", json_body=body))

    def discharge(self, patient: Patient, when: str) -> Patient:
        body = {"discharge_date": when}
        return self._patient(self.http.request("POST", f"/api/patients/{patient.id}/discharge", json_body=body))

    def create_payor(self, name: str) -> Any:
        """Only the RCM manages payers (SYS-04): a conforming EMR refuses this."""
        return _ok(self.http.request("POST", "/api/settings/payors", json_body={"name": name}))

    def edit_payor(self, payer_id: int, **fields: Any) -> Any:
        return _ok(self.http.request("PATCH", f"/api/settings/payors/{payer_id}", json_body=fields))

    def delete_payor(self, payer_id: int) -> Any:
        return _ok(self.http.request("DELETE", f"/api/settings/payors/{payer_id}"))

    def write_eligibility(self, patient: Patient, **fields: Any) -> Any:
        """Eligibility belongs to the RCM (SYS-03): a conforming EMR refuses a direct write."""
        body = {"document": {"recipient_id": self.recipient_id, "data": fields}}
        return _ok(self.http.request("POST", f"/api/patients/{patient.id}/eligibility", json_body=body))

    def create_claim(self, patient: Patient, **fields: Any) -> Any:
        """Claims are made in the RCM's Work Center (SYS-03, WF-5.4): a conforming EMR refuses."""
        body = {"document": {"recipient_id": self.recipient_id, "data": fields}}
        return _ok(self.http.request("POST", f"/api/patients/{patient.id}/claims", json_body=body))

    def write_insurance(self, patient: Patient, **fields: Any) -> Any:
        """Insurance belongs to the RCM (SYS-03): a conforming EMR refuses a direct write."""
        body = {"document": {"recipient_id": self.recipient_id, "data": fields}}
        return _ok(self.http.request("POST", f"/api/patients/{patient.id}/insurances", json_body=body))

    def write_utilization_review(self, patient: Patient, **fields: Any) -> Any:
        """U/R belongs to the RCM (SYS-03): a conforming EMR refuses a direct write."""
        body = {"document": {"recipient_id": self.recipient_id, "data": fields}}
        return _ok(self.http.request("POST", f"/api/patients/{patient.id}/ur", json_body=body))

    def action(self, patient: Patient, action: str) -> Patient:
        """One of the Facesheet actions: mr_number, send_to_rcm, manage_insurance, manage_review."""
        return self._patient(self.http.request("POST", f"/api/patients/{patient.id}/{action}"))

    def open_window(self, patient: Patient, scope: str) -> "Window":
        """Manage Insurance (scope "insurance") or Manage Review ("review"): the link into the RCM."""
        self.action(patient, f"manage_{scope}")
        window = self.last_extra["window"]
        return Window(window["path"], window["token"], window["expires_at"])

    def insurances(self, patient: Patient) -> list[dict[str, Any]]:
        params = {"phi_level": "high", "patient_master_id": patient.patient_master_id, "insurance_detail": "v121"}
        return _ok(self.http.request("GET", f"/api/patients/{patient.id}", params=params))["patient"]["insurances"]

    def utilization_reviews(self, patient: Patient) -> list[dict[str, Any]]:
        params = {"patient_master_id": patient.patient_master_id}
        return _ok(self.http.request("GET", f"/api/patients/{patient.id}/ur", params=params))["patient"]["utilization_reviews"]

    def latest(self, resource: str, start: str, end: str) -> list[dict[str, Any]]:
        """/api/insurances/latest or /api/utilization_reviews/latest, every page."""
        rows, page = [], 1
        while True:
            body = _ok(self.http.request("GET", f"/api/{resource}/latest",
                                         params={"start_date": start, "end_date": end, "page": page, "per": 100}))
            rows += body[resource]
            if int(body["pagination"]["current_page"]) >= int(body["pagination"]["total_pages"]):
                return rows
            page += 1

    def edit_insurance(self, patient: Patient, insurance_id: int, **fields: Any) -> dict[str, Any]:
        body = {"document": {"recipient_id": self.recipient_id, "data": fields}}
        path = f"/api/patients/{patient.id}/insurances/{insurance_id}"
        return _ok(self.http.request("PATCH", path, json_body=body))["insurance"]

    def edit_utilization_review(self, patient: Patient, review_id: int, **fields: Any) -> dict[str, Any]:
        body = {"document": {"recipient_id": self.recipient_id, "data": fields}}
        return _ok(self.http.request("PATCH", f"/api/patients/{patient.id}/ur/{review_id}", json_body=body))["utilization_review"]

    def add_care_level(self, name: str, days: dict[str, bool]) -> dict[str, Any]:
        body = {"care_level_name": name, "days_of_the_week": days}
        return _ok(self.http.request("POST", "/api/care_levels", json_body=body))["care_level"]

    def care_levels(self) -> list[dict[str, Any]]:
        return _ok(self.http.request("GET", "/api/care_levels"))["care_levels"]

    # -- billing: templates, documentation, the Billing Audit Tool Report -----------------------
    def billable_templates(self) -> list[dict[str, Any]]:
        return _ok(self.http.request("GET", "/api/billable_templates"))["billable_templates"]

    def add_billable_template(self, **fields: Any) -> dict[str, Any]:
        return _ok(self.http.request("POST", "/api/billable_templates", json_body=fields))["billable_template"]

    def document_group_session(self, template_id: int, day: str, attendance: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = {"template_id": template_id, "date": day, "attendance": attendance}
        return _ok(self.http.request("POST", "/api/group_sessions", json_body=body))["billing_items"]

    def document_evaluation(self, patient: Patient, template_id: int, day: str, **fields: Any) -> dict[str, Any]:
        """Kipu's patient evaluation document: the evaluation (template) started on ``day``; ``minutes``
        travels as Kipu's ``duration``, any other field (rendering_provider, end_time) as named."""
        data = {"evaluation_id": template_id, "start_time": day, **fields}
        if "minutes" in data:
            data["duration"] = data.pop("minutes")
        body = {"document": {"recipient_id": self.recipient_id, "data": data}}
        path = f"/api/patients/{patient.id}/patient_evaluations"
        return _ok(self.http.request("POST", path, json_body=body))["billing_item"]

    def billing_items(self, patient: Patient | None = None) -> list[dict[str, Any]]:
        params = {"patient_id": patient.id} if patient else None
        return _ok(self.http.request("GET", "/api/billing_audit_tool", params=params))["billing_items"]

    def edit_billing_item(self, item_id: int, user: str, **fields: Any) -> dict[str, Any]:
        return _ok(self.http.request("PATCH", f"/api/billing_audit_tool/items/{item_id}", json_body=fields,
                                     headers={"X-Kipu-User": user}))["billing_item"]

    def transmit(self, item_ids: list[int], user: str) -> list[dict[str, Any]]:
        return _ok(self.http.request("POST", "/api/billing_audit_tool/transmit", json_body={"item_ids": item_ids},
                                     headers={"X-Kipu-User": user}))["results"]


@dataclass(frozen=True)
class Window:
    """A Manage Insurance / Manage Review link: a path in the RCM and its token."""

    path: str
    token: str
    expires_at: str


class RcmClient:
    def __init__(self, transport: Transport):
        self.http = transport

    def find_patients(self, **query: Any) -> list[RcmPatient]:
        body = _ok(self.http.request("GET", "/rcm/patients", params={k: str(v) for k, v in query.items()}))
        return [RcmPatient.from_api(p) for p in body["patients"]]

    def get(self, patient_id: int) -> RcmPatient:
        return RcmPatient.from_api(_ok(self.http.request("GET", f"/rcm/patients/{patient_id}"))["patient"])

    def edit_profile(self, patient_id: int, **fields: Any) -> RcmPatient:
        reply = self.http.request("PATCH", f"/rcm/patients/{patient_id}/profile", json_body=fields)
        return RcmPatient.from_api(_ok(reply)["patient"])

    def send_hl7(self, text: str) -> Reply:
        return self.http.request("POST", "/rcm/hl7", text=text)

    # -- payers and insurance (the RCM user's own screens) --------------------------------------
    def add_payer(self, **fields: Any) -> dict[str, Any]:
        return _ok(self.http.request("POST", "/rcm/payers", json_body=fields))["payer"]

    def payers(self) -> list[dict[str, Any]]:
        return _ok(self.http.request("GET", "/rcm/payers"))["payers"]

    def save_insurance(self, patient_id: int, episode_id: int, insurance_id: int | None = None,
                       **fields: Any) -> dict[str, Any]:
        path = f"/rcm/patients/{patient_id}/episodes/{episode_id}/insurances"
        if insurance_id is None:
            return _ok(self.http.request("POST", path, json_body=fields))["insurance"]
        return _ok(self.http.request("PATCH", f"{path}/{insurance_id}", json_body=fields))["insurance"]

    def verify_insurance(self, patient_id: int, episode_id: int, insurance_id: int, by: str) -> dict[str, Any]:
        path = f"/rcm/patients/{patient_id}/episodes/{episode_id}/insurances/{insurance_id}/verify"
        return _ok(self.http.request("POST", path, json_body={"verified_by": by}))["insurance"]

    def check_eligibility(self, patient_id: int, episode_id: int, insurance_id: int) -> dict[str, Any]:
        path = f"/rcm/patients/{patient_id}/episodes/{episode_id}/insurances/{insurance_id}/eligibility"
        return _ok(self.http.request("POST", path))["eligibility"]

    def review_eligibility(self, patient_id: int, episode_id: int, insurance_id: int, by: str,
                           note: str = "") -> dict[str, Any]:
        path = f"/rcm/patients/{patient_id}/episodes/{episode_id}/insurances/{insurance_id}/eligibility/review"
        return _ok(self.http.request("POST", path, json_body={"reviewed_by": by, "note": note}))["insurance"]

    def save_authorization(self, patient_id: int, episode_id: int, kind: str = "utilization_reviews",
                           review_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """A U/R entry, or (kind "standalone_authorizations") an authorization for ancillary services."""
        path = f"/rcm/patients/{patient_id}/episodes/{episode_id}/{kind}"
        if review_id is None:
            return _ok(self.http.request("POST", path, json_body=fields))["authorization"]
        return _ok(self.http.request("PATCH", f"{path}/{review_id}", json_body=fields))["authorization"]

    # -- billing: configuration, Attendance Calendar, Work Center --------------------------------
    def services(self) -> list[dict[str, Any]]:
        return _ok(self.http.request("GET", "/rcm/services"))["services"]

    def add_claim_rule(self, **fields: Any) -> dict[str, Any]:
        return _ok(self.http.request("POST", "/rcm/claim_rules", json_body=fields))["claim_rule"]

    def attendance(self, patient_id: int | None = None) -> list[dict[str, Any]]:
        params = {"patient_id": patient_id} if patient_id is not None else None
        return _ok(self.http.request("GET", "/rcm/attendance", params=params))["entries"]

    def submit_for_billing(self, entry_ids: list[int], user: str) -> Any:
        return _ok(self.http.request("POST", "/rcm/attendance/submit", json_body={"entry_ids": entry_ids},
                                     headers={"X-Kipu-User": user}))

    def create_claims(self, user: str, patient_id: int | None = None,
                      patient_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Claims for the submitted treatments: of one RCM patient, of several in one run
        (``patient_ids``), or (neither) of everyone."""
        params: dict[str, Any] = {"patient_id": patient_id} if patient_id is not None else {}
        if patient_ids is not None:
            params["patient_ids"] = ",".join(str(int(p)) for p in patient_ids)
        return _ok(self.http.request("POST", "/rcm/work_center/claims", params=params or None,
                                     headers={"X-Kipu-User": user}))["claims"]

    def claims(self, patient_id: int | None = None) -> list[dict[str, Any]]:
        """The Work Center's claims: of one RCM patient, or (None) all of them."""
        params = {"patient_id": patient_id} if patient_id is not None else None
        return _ok(self.http.request("GET", "/rcm/work_center/claims", params=params))["claims"]

    # -- through a Manage Insurance / Manage Review window from the EMR ------------------------
    def window(self, window: "Window", path: str = "", method: str = "GET", **fields: Any) -> Any:
        return _ok(self.http.request(method, window.path + path, params={"token": window.token},
                                     json_body=fields if method != "GET" else None))


class PayerClient:
    """The mock payer / clearinghouse: member outcomes for eligibility (capability "payer")."""

    def __init__(self, transport: Transport):
        self.http = transport

    def set_member(self, member_id: str, outcome: str) -> dict[str, Any]:
        return _ok(self.http.request("POST", "/payer/members", json_body={"member_id": member_id, "outcome": outcome}))

    def send_270(self, text: str) -> Reply:
        return self.http.request("POST", "/payer/x12/270", text=text)


class MockControl:
    """The control routes only a mock has (capabilities: reset, journal, clock, outbox, faults);
    ``token``: the suite's control token, sent with each request (X-Kipu-Mock-Token)."""

    def __init__(self, transport: Transport, token: str | None = None):
        self.http = WithHeaders(transport, {CONTROL_TOKEN_HEADER: token}) if token else transport

    def reset(self) -> None:
        _ok(self.http.request("POST", "/_mock/reset"))

    def journal(self, channel: str | None = None, after: int | None = None,
                bodies: bool = True) -> list[dict[str, Any]]:
        """The journal, oldest first; ``after``: only entries with a greater id; ``bodies=False``:
        the entries without their bodies (to count them)."""
        params = {"channel": channel, "after": after, "bodies": None if bodies else "false"}
        params = {k: v for k, v in params.items() if v is not None} or None
        return _ok(self.http.request("GET", "/_mock/journal", params=params))["entries"]

    def now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(_ok(self.http.request("GET", "/_mock/clock"))["now"])

    def pin_clock(self, when: dt.datetime | None) -> None:
        _ok(self.http.request("POST", "/_mock/clock", json_body={"now": when.isoformat() if when else None}))

    def outbox(self, status: str | None = None) -> list[dict[str, Any]]:
        params = {"status": status} if status else None
        return _ok(self.http.request("GET", "/_mock/outbox", params=params))["deliveries"]

    def deliver(self) -> list[dict[str, Any]]:
        return _ok(self.http.request("POST", "/_mock/outbox/deliver"))["delivered"]

    def add_faults(self, faults: list[dict[str, Any]]) -> dict[str, Any]:
        """Faults for the suite these mocks belong to (capability: faults; mocks/common/faults.py)."""
        return _ok(self.http.request("POST", "/_mock/faults", json_body={"faults": faults}))

    def faults(self) -> dict[str, Any]:
        return _ok(self.http.request("GET", "/_mock/faults"))

    def clear_faults(self) -> dict[str, Any]:
        return _ok(self.http.request("DELETE", "/_mock/faults"))
