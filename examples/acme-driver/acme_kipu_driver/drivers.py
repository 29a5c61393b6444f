"""Acme's API, spoken as kipu-harness's contract (``kipu_harness.contract``).

Two ways to write a driver, both shown here:

- :class:`AcmeCrm` implements every CRM operation by hand: Acme calls prospects "leads", names
  their fields its own way and has no payer screen in its CRM at all.
- :class:`AcmeEmr`, :class:`AcmeRcm` and :class:`AcmePayer` reuse the built-in operations over an
  :class:`AcmeTransport`, because Acme's EMR and RCM differ from the built-in API only in their
  routes, their ``{"data": ...}`` envelope and their error shape.

Each class is built by kipu-harness as ``Class(address)``: ``address.url`` and
``address.options`` come from the profile (``[systems.crm.options] api_key = "..."``).
"""

from __future__ import annotations

from typing import Any

import requests

from kipu_harness.clients import EmrClient, PayerClient, RcmClient
from kipu_harness.contract import NotOffered, Refusal
from kipu_harness.model import Prospect, TreatmentOpportunity
from kipu_harness.transport import Reply

# The built-in API's route prefixes -> Acme's.
ROUTES = (("/api/", "/acme/v1/ehr/"), ("/rcm/", "/acme/v1/billing/"), ("/payer/", "/acme/v1/clearinghouse/"))

# The contract's prospect fields -> Acme's lead fields.
LEAD_FIELDS = {"first_name": "givenName", "middle_name": "middleName", "last_name": "familyName",
               "dob": "birthDate", "gender": "sex", "phone": "phone", "email": "email", "ssn": "ssn",
               "address_street": "line1", "address_city": "city", "address_state": "region",
               "address_zip": "postalCode"}
COVERAGE_FIELDS = {"payer_name": "payerName", "policy_number": "policyNumber", "group_number": "groupNumber",
                   "subscriber_name": "subscriberName", "relationship": "relationship"}
OPPORTUNITY_FIELDS = {"level_of_care": "levelOfCare", "program": "program",
                      "expected_admission_date": "expectedAdmissionDate"}


class AcmeHttp:
    """Acme's wire: JSON inside ``{"data": ...}``; errors as ``{"error": {"message", "fields"}}``."""

    def __init__(self, address: Any):
        self.base = address.url.rstrip("/")
        self.session = requests.Session()
        if address.options.get("api_key"):
            self.session.headers["Authorization"] = f"Bearer {address.options['api_key']}"

    def send(self, method: str, path: str, *, data: Any = None, params: dict | None = None,
             text: str | None = None, headers: dict | None = None) -> tuple[int, Any, str]:
        kwargs: dict[str, Any] = {"params": params, "headers": dict(headers or {}), "timeout": 30}
        if data is not None:
            kwargs["json"] = {"data": data}
        elif text is not None:
            kwargs["data"] = text.encode()
            kwargs["headers"]["Content-Type"] = "text/plain"
        response = self.session.request(method, self.base + path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body, response.text

    def json(self, method: str, path: str, data: Any = None) -> Any:
        """Acme's answer's ``data``; an Acme error becomes the contract's Refusal."""
        status, body, text = self.send(method, path, data=data)
        if status >= 500:
            raise RuntimeError(f"Acme server error HTTP {status}: {text[:300]}")
        if status >= 400:
            raise _refusal(status, body, text)
        return body["data"]


def _refusal(status: int, body: Any, text: str) -> Refusal:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    return Refusal(status, error.get("message") or text[:200],
                   {f["name"]: f["reason"] for f in error.get("fields", [])})


def _rename(fields: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(names))
    if unknown:
        raise ValueError(f"Acme has no field for {', '.join(unknown)}")
    return {names[k]: v for k, v in fields.items()}


def _back(data: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {ours: data.get(theirs) for ours, theirs in names.items()}


class AcmeCrm:
    """The CRM operations, by hand, against Acme's leads API."""

    def __init__(self, address: Any):
        self.http = AcmeHttp(address)

    def create_prospect(self, **fields: Any) -> Prospect:
        return _prospect(self.http.json("POST", "/acme/v1/leads", _rename(fields, LEAD_FIELDS)))

    def get_prospect(self, prospect_id: int) -> Prospect:
        return _prospect(self.http.json("GET", f"/acme/v1/leads/{prospect_id}"))

    def add_insurance(self, prospect_id: int, **fields: Any) -> Prospect:
        return _prospect(self.http.json("POST", f"/acme/v1/leads/{prospect_id}/coverages",
                                        _rename(fields, COVERAGE_FIELDS)))

    def create_opportunity(self, prospect_id: int, **fields: Any) -> TreatmentOpportunity:
        return _opportunity(self.http.json("POST", f"/acme/v1/leads/{prospect_id}/opportunities",
                                           _rename(fields, OPPORTUNITY_FIELDS)))

    def push_to_emr(self, opportunity_id: int) -> TreatmentOpportunity:
        return _opportunity(self.http.json("POST", f"/acme/v1/opportunities/{opportunity_id}/push"))

    def create_payer(self, name: str) -> Any:
        # Acme's CRM has no payer screen and no payer endpoint: that is how it obeys SYS-04.
        raise NotOffered("create a payer in Acme's CRM")

    def edit_payer(self, payer_id: int, **fields: Any) -> Any:
        raise NotOffered("change a payer in Acme's CRM")

    def delete_payer(self, payer_id: int) -> Any:
        raise NotOffered("delete a payer in Acme's CRM")


def _prospect(lead: dict[str, Any]) -> Prospect:
    person = _back(lead, LEAD_FIELDS)
    return Prospect(id=lead["leadId"], first_name=person["first_name"], last_name=person["last_name"],
                    middle_name=person["middle_name"] or "", dob=person["dob"],
                    insurance=tuple(_back(c, COVERAGE_FIELDS) for c in lead.get("coverages", [])),
                    opportunities=tuple(_opportunity(o) for o in lead.get("opportunities", [])))


def _opportunity(data: dict[str, Any]) -> TreatmentOpportunity:
    return TreatmentOpportunity(id=data["opportunityId"], prospect_id=data["leadId"], status=data["state"],
                                level_of_care=data.get("levelOfCare"), program=data.get("program"))


class AcmeTransport:
    """The built-in operations' requests, carried over Acme's routes, envelope and errors."""

    def __init__(self, address: Any):
        self.http = AcmeHttp(address)

    def request(self, method: str, path: str, *, json_body: Any = None, params: dict | None = None,
                text: str | None = None, headers: dict | None = None) -> Reply:
        for ours, theirs in ROUTES:
            if path.startswith(ours):
                path = theirs + path[len(ours):]
                break
        status, body, raw = self.http.send(method, path, data=json_body, params=params, text=text, headers=headers)
        if status < 400 and isinstance(body, dict) and "data" in body:
            return Reply(status, body["data"], raw)
        if status >= 400 and status < 500:
            refusal = _refusal(status, body, raw)
            # The shape the built-in operations read a refusal from.
            body = {"errors": refusal.message,
                    "problems": [{"field": f, "problem": p} for f, p in refusal.problems.items()]}
        return Reply(status, body, raw)


class AcmeEmr(EmrClient):
    def __init__(self, address: Any):
        super().__init__(AcmeTransport(address), recipient_id=address.options.get("recipient_id", "kipu-harness"))


class AcmeRcm(RcmClient):
    def __init__(self, address: Any):
        super().__init__(AcmeTransport(address))


class AcmePayer(PayerClient):
    def __init__(self, address: Any):
        super().__init__(AcmeTransport(address))
