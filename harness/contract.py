"""The conformance contract: what a CRM, EMR, RCM and payer must let the suite do, as drivers.

Steps talk only to drivers. A driver turns one operation of the overview's business language
("create a prospect", "generate the MR Number", "list the claims made for one patient") into
calls to one system's API, and hands back the domain objects of :mod:`kipu_harness.model`, or
rows with the keys documented here. The built-in drivers (:mod:`kipu_harness.clients`) speak
the mocks' APIs and the EMR's Kipu API v3; a vendor whose system has another API writes its own
and registers it with the ``harness_register_drivers`` hook (see docs/contract.md).

A system that refuses an operation raises :class:`Refusal` (status, message, the fields it
names); a system that has no such operation at all raises :class:`NotOffered`, which is a
refusal too: for the ownership rules (SYS-03, SYS-04) "there is no way to do it" is the
conforming answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypedDict, runtime_checkable

from .model import Patient, Prospect, RcmPatient, TreatmentOpportunity


class Refusal(Exception):
    """A system said no: ``status`` (the HTTP status, or None), ``message``, and ``problems``
    ({field: problem}) naming each field where the system says which."""

    def __init__(self, status: int | None, message: str = "", problems: dict[str, str] | None = None):
        self.status = status
        self.message = message
        self.problems = dict(problems or {})
        super().__init__(f"{'HTTP ' + str(status) if status else 'refused'}: {message} {self.problems or ''}".strip())


class NotOffered(Refusal):
    """The system has no operation for this at all (a CRM with no payer screen)."""

    def __init__(self, operation: str):
        super().__init__(None, f"the system offers no way to {operation}")


# -- rows: the keys a driver's answer carries, in the overview's terms ---------------------------

class InsuranceRow(TypedDict, total=False):
    """One insurance of an RCM Insurance Set (Insurance table, RCM column)."""
    id: int
    priority: str                      # primary | secondary | tertiary
    payer: dict[str, Any]              # {"id", "name", "phone"}
    effective_date: str
    policy_holder: dict[str, Any]      # insurance_id, plan_name, relationship, first_name, last_name,
                                       # birthday, gender, ssn, address {address, city, state, zip_code}
    verified: dict[str, Any] | None    # {"by", "at"}
    eligibility: dict[str, Any] | None  # {"status", "benefits": [...], "reject_reason", "reviewed"}


class EmrInsuranceRow(TypedDict, total=False):
    """One insurance as the EMR shows it (Insurance table, EMR column; Kipu v3 field names)."""
    id: int
    rcm_insurance_id: int | None
    insurance_company: str
    policy_no: str
    plan_name: str
    effective_date: str
    insurance_type: str                # Primary | Secondary | Tertiary
    insurance_phone: str
    subscriber_first_name: str
    subscriber_last_name: str
    subscriber_relationship: str
    subscriber_SSN: str
    subscriber_DOB: str
    subscriber_gender: str
    subscriber_address_street: str


class ReviewRow(TypedDict, total=False):
    """A U/R or standalone authorization in the RCM (Authorizations table, RCM column)."""
    id: int
    service: str
    start_date: str
    end_date: str
    units: int
    authorization_status: str
    authorization_number: str | None
    um_follow_up_date: str | None
    payer: dict[str, Any] | None


class EmrReviewRow(TypedDict, total=False):
    """A utilization review as the EMR shows it (Authorizations table, EMR column)."""
    id: int
    rcm_review_id: int | None
    start_date: str
    end_date: str
    number_of_days: int
    authorization_date: str
    authorization_number: str | None
    status: str
    managed: str
    level_of_care: str
    next_review: str | None
    days_of_week: dict[str, bool] | None
    insurance: str | None


class BillingItemRow(TypedDict, total=False):
    """A charge on the EMR's Billing Audit Tool Report."""
    id: int
    patient_id: int
    template_id: int
    service_description: str
    date_of_service: str
    status: str                        # open | transmitted | error
    level_of_care: str | None
    level_of_care_uid: str | None      # the LOC's unique ID, shared by the EMR and the RCM (BAT-05)
    claim_format: str | None
    units: int
    codes: dict[str, Any]              # {"revenue", "cpt", "hcpcs"}
    modifier: str | None
    place_of_service: str | None
    rendering_provider: str | None
    warnings: list[str]
    errors: list[str]
    transmission: dict[str, Any] | None  # {"status", "cause", "fix"} after a transmission


class TreatmentRow(TypedDict, total=False):
    """A treatment on the RCM's Attendance Calendar: what a transmitted charge became."""
    id: int
    patient_id: int
    episode_id: int
    service_name: str                  # the RCM service the charge was matched to
    date_of_service: str
    units: int
    rendering_provider: str | None
    facility: str | None               # the RCM facility it bills under (SET-02..SET-04)
    pay_type: str                      # insurance | private
    service_profile: str | None        # the place-of-service profile the RCM chose
    status: str                        # transmitted | submitted | claimed


class ClaimRow(TypedDict, total=False):
    """A claim or statement in the RCM's Work Center."""
    id: int
    patient_id: int
    format: str | None                 # 837I | 837P | None for a private-pay statement
    pay_type: str
    status: str                        # accepted | rejected | private pay statement | ...
    x12: str | None                    # the 837 as sent
    ack_999: str | None
    ack_277ca: str | None


# -- the drivers -----------------------------------------------------------------------------------

@runtime_checkable
class CrmDriver(Protocol):
    """The CRM: prospects before admission (Step 1)."""

    def create_prospect(self, **fields: Any) -> Prospect: """Save a new prospect (WF-1.1)."""
    def get_prospect(self, prospect_id: int) -> Prospect: """Read one prospect with its insurance and opportunities."""
    def add_insurance(self, prospect_id: int, **fields: Any) -> Prospect: """Attach insurance (WF-1.3)."""
    def create_opportunity(self, prospect_id: int, **fields: Any) -> TreatmentOpportunity: """(WF-1.3)"""
    def push_to_emr(self, opportunity_id: int) -> TreatmentOpportunity: """Push it to the EMR (WF-1.4)."""
    def create_payer(self, name: str) -> Any: """Try to create a payer: a conforming CRM refuses (SYS-04)."""
    def edit_payer(self, payer_id: int, **fields: Any) -> Any: """Try to change an RCM payer: refused (SYS-04)."""
    def delete_payer(self, payer_id: int) -> Any: """Try to delete an RCM payer: refused (SYS-04)."""


@runtime_checkable
class EmrDriver(Protocol):
    """The EMR: demographics, diagnoses, the Facesheet actions, documentation and charges."""

    def create_patient(self, **fields: Any) -> Patient: """A pre-admitted patient entered in the EMR (WF-1.5)."""
    def update_patient(self, patient: Patient, **fields: Any) -> Patient: """Change demographics."""
    def get(self, patient: Patient) -> Patient: """Read the patient as the Facesheet shows it."""
    def find_by_prospect(self, prospect_id: int) -> Patient | None: """The record a CRM push made, if any."""
    def census(self, **params: Any) -> list[Patient]: """Every patient of the census (all pages)."""
    def accept(self, patient: Patient) -> Patient: """Accept a record pushed from the CRM (WF-2.1)."""
    def add_diagnosis(self, patient: Patient, code: str, *, principal: bool = False) -> Patient: """(PAT-15)"""
    def diagnosis_history(self, patient: Patient) -> list[dict[str, Any]]: """[{code, added_on}] (PAT-17)"""
    def discharge(self, patient: Patient, when: str) -> Patient: """Set the Discharge/Transition Date (PAT-14)."""
    def action(self, patient: Patient, action: str) -> Patient:
        """A Facesheet action: ``mr_number``, ``send_to_rcm``, ``manage_insurance``, ``manage_review``.
        A send the EMR could not make is reported by :meth:`last_send` (PROC-01)."""
    def last_send(self) -> dict[str, Any]:
        """What the EMR said about the RCM after the last action: {"sent": bool, "missing": [{field}]}."""
    def open_window(self, patient: Patient, scope: str) -> Any:
        """Manage Insurance (``insurance``) or Manage Review (``review``): a :class:`Window` into the RCM."""
    def insurances(self, patient: Patient) -> list[EmrInsuranceRow]: """Insurance Information (read copy)."""
    def edit_insurance(self, patient: Patient, insurance_id: int, **fields: Any) -> EmrInsuranceRow: """(INS-15)"""
    def utilization_reviews(self, patient: Patient) -> list[EmrReviewRow]: """Utilization Reviews (read copy)."""
    def edit_utilization_review(self, patient: Patient, review_id: int, **fields: Any) -> EmrReviewRow: """(AUTH-01)"""
    def write_insurance(self, patient: Patient, **fields: Any) -> Any: """Must be refused (SYS-03)."""
    def write_utilization_review(self, patient: Patient, **fields: Any) -> Any: """Must be refused (SYS-03)."""
    def create_payor(self, name: str) -> Any: """Must be refused (SYS-04)."""
    def edit_payor(self, payer_id: int, **fields: Any) -> Any: """Must be refused (SYS-04)."""
    def delete_payor(self, payer_id: int) -> Any: """Must be refused (SYS-04)."""
    def write_eligibility(self, patient: Patient, **fields: Any) -> Any: """Must be refused (SYS-03)."""
    def create_claim(self, patient: Patient, **fields: Any) -> Any: """Must be refused (SYS-03, WF-5.4)."""
    def care_levels(self) -> list[dict[str, Any]]: """Levels of care with their days of the week (AUTH-11)."""
    def add_care_level(self, name: str, days: dict[str, bool]) -> dict[str, Any]: """(AUTH-11)"""
    def billable_templates(self) -> list[dict[str, Any]]: """Group Session / Evaluation templates (SET-06)."""
    def add_billable_template(self, **fields: Any) -> dict[str, Any]: """(SET-01, SET-06)"""
    def document_group_session(self, template_id: int, day: str,
                               attendance: list[dict[str, Any]]) -> list[BillingItemRow]: """(WF-5.1)"""
    def document_evaluation(self, patient: Patient, template_id: int, day: str,
                            **fields: Any) -> BillingItemRow: """(WF-5.1)"""
    def billing_items(self, patient: Patient | None = None) -> list[BillingItemRow]: """The Billing Audit Tool Report."""
    def edit_billing_item(self, item_id: int, user: str, **fields: Any) -> BillingItemRow: """(WF-5.2)"""
    def transmit(self, item_ids: list[int], user: str) -> list[dict[str, Any]]: """Transmit selected items (WF-5.2)."""


@runtime_checkable
class RcmDriver(Protocol):
    """The RCM: patients and treatment episodes, payers, insurance, eligibility, U/R, billing."""

    def find_patients(self, **query: Any) -> list[RcmPatient]:
        """RCM patients linked to ``emr_patient_id=`` or ``crm_prospect_id=``."""
    def get(self, patient_id: int) -> RcmPatient: """One patient with its treatment episodes."""
    def edit_profile(self, patient_id: int, **fields: Any) -> RcmPatient: """An RCM user's own edit (PAT-04)."""
    def payers(self) -> list[dict[str, Any]]: """The payer list (SYS-04)."""
    def add_payer(self, **fields: Any) -> dict[str, Any]: """Add a payer: only the RCM can (SYS-04)."""
    def save_insurance(self, patient_id: int, episode_id: int, insurance_id: int | None = None,
                       **fields: Any) -> InsuranceRow: """Add or change an insurance of the Insurance Set."""
    def verify_insurance(self, patient_id: int, episode_id: int, insurance_id: int, by: str) -> InsuranceRow: ...
    def check_eligibility(self, patient_id: int, episode_id: int, insurance_id: int) -> dict[str, Any]: """(WF-3.4)"""
    def review_eligibility(self, patient_id: int, episode_id: int, insurance_id: int, by: str,
                           note: str = "") -> InsuranceRow: ...
    def save_authorization(self, patient_id: int, episode_id: int, kind: str = "utilization_reviews",
                           review_id: int | None = None, **fields: Any) -> ReviewRow:
        """A U/R (``utilization_reviews``) or a standalone authorization (``standalone_authorizations``)."""
    def services(self) -> list[dict[str, Any]]: """RCM services with their codes (SET-01)."""
    def add_claim_rule(self, **fields: Any) -> dict[str, Any]:
        """A claim rule (BAT-09): ``name``, ``procedure_code``, ``add_modifier``, and ``payer`` (a payer id) so
        that it applies only to that payer's claims and changes nothing another scenario observes."""
    def attendance(self, patient_id: int | None = None) -> list[TreatmentRow]: """The Attendance Calendar."""
    def submit_for_billing(self, entry_ids: list[int], user: str) -> Any: """(WF-5.3)"""
    def create_claims(self, user: str, patient_id: int | None = None,
                      patient_ids: Iterable[int] | None = None) -> list[ClaimRow]:
        """Create claims in the Work Center (WF-5.4) for one RCM patient's submitted treatments (the
        suite always names its own patient: other work on a shared system is not its to bill), or
        for several in one run (``patient_ids``: the simulation's biller, on the mocks)."""
    def claims(self, patient_id: int | None = None) -> list[ClaimRow]:
        """The claims made for one RCM patient (``patient_id``), as the Work Center's patient filter shows them."""
    def window(self, window: Any, path: str = "", method: str = "GET", **fields: Any) -> Any:
        """Act inside a Manage Insurance / Manage Review window opened from the EMR (WF-3.1, WF-4.1)."""


@runtime_checkable
class PayerDriver(Protocol):
    """The mock payer / clearinghouse (capability ``payer``): set a member's eligibility outcome."""

    def set_member(self, member_id: str, outcome: str) -> dict[str, Any]: ...


DRIVERS: dict[str, type] = {"crm": CrmDriver, "emr": EmrDriver, "rcm": RcmDriver, "payer": PayerDriver}


def missing_operations(system: str, driver: object) -> list[str]:
    """The contract's operations ``driver`` lacks (empty when it offers them all)."""
    protocol = DRIVERS[system]
    wanted = [name for name in vars(protocol) if not name.startswith("_") and callable(vars(protocol)[name])]
    return [name for name in wanted if not callable(getattr(driver, name, None))]
