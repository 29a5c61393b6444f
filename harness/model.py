"""The domain as the overview names it, as frozen dataclasses: what clients hand to steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prospect:
    """A CRM prospect (WF-1.1)."""

    id: int
    first_name: str
    last_name: str
    middle_name: str = ""
    dob: str | None = None
    insurance: tuple[dict[str, Any], ...] = ()
    opportunities: tuple["TreatmentOpportunity", ...] = ()


@dataclass(frozen=True)
class TreatmentOpportunity:
    """What the CRM pushes to the EMR when the prospect is ready to admit (WF-1.3, WF-1.4)."""

    id: int
    prospect_id: int
    status: str
    level_of_care: str | None = None
    program: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    """An ICD-10-CM code on an EMR patient, with the date it was added (PAT-17)."""

    code: str
    description: str
    added_on: str
    principal: bool = False


@dataclass(frozen=True)
class Address:
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


@dataclass(frozen=True)
class Patient:
    """An EMR patient: what the EMR shows on its Facesheet (the Patient Information table's EMR
    column), whatever the EMR's API calls it. ``raw`` is the driver's own answer, for messages only:
    steps never read it."""

    id: int
    patient_master_id: str
    first_name: str
    last_name: str
    middle_name: str | None
    pre_admission_status: str
    mr_number: str | None
    admission_date: str | None
    discharge_date: str | None
    diagnoses: tuple[Diagnosis, ...]
    dob: str | None = None
    gender: str | None = None
    phone: str | None = None
    ssn: str | None = None
    address: Address = Address()
    crm_prospect_id: int | None = None  # the CRM prospect it came from (SYS-05), if any
    rcm_connected: bool = False  # the initial connection to the RCM is made (PAT-01)
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "Patient":
        return cls(
            id=data["id"],
            patient_master_id=data["patient_master_id"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            middle_name=data.get("middle_name"),
            pre_admission_status=data.get("pre_admission_status") or "",
            mr_number=data.get("mr_number"),
            admission_date=data.get("admission_date"),
            discharge_date=data.get("discharge_date"),
            diagnoses=tuple(Diagnosis(d["code"], d.get("description", ""), d["added_on"], d.get("principal", False))
                            for d in data.get("diagnoses", [])),
            dob=data.get("dob"),
            gender=data.get("gender"),
            phone=data.get("phone"),
            ssn=data.get("ssn"),
            address=Address(data.get("address_street"), data.get("address_city"), data.get("state"),
                            data.get("address_zip")),
            crm_prospect_id=data.get("crm_prospect_id"),
            rcm_connected=bool((data.get("rcm_connection") or {}).get("connected")),
            raw=data,
        )


@dataclass(frozen=True)
class TreatmentEpisode:
    """An RCM treatment episode with its intake (WF-2.5)."""

    id: int
    medical_record_number: str | None
    address: dict[str, Any]
    admit_date: str | None
    admit_time: str | None
    discharge_date: str | None
    discharge_time: str | None
    admitting_diagnosis: str | None
    principal_diagnosis: str | None
    diagnoses: tuple[dict[str, Any], ...]
    policy_holder_gender: str | None
    insurances: tuple[dict[str, Any], ...] = ()
    utilization_reviews: tuple[dict[str, Any], ...] = ()
    standalone_authorizations: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "TreatmentEpisode":
        intake = data["intake"]
        profile, admit = intake["patient_profile"], intake["admit_discharge"]
        dx = intake["behavioral_diagnoses"]
        return cls(
            id=data["id"],
            medical_record_number=profile["medical_record_number"],
            address={k: profile[k] for k in ("address", "city", "state", "zip_code")},
            admit_date=admit["admit_date"],
            admit_time=admit["admit_time"],
            discharge_date=admit["discharge_date"],
            discharge_time=admit["discharge_time"],
            admitting_diagnosis=dx["admitting_diagnosis"],
            principal_diagnosis=dx["principal_diagnosis"],
            diagnoses=tuple(dx["diagnoses"]),
            policy_holder_gender=intake["insurance"]["insurance_set"]["policy_holder"]["gender"],
            insurances=tuple(intake["insurance"]["insurance_set"]["insurances"]),
            utilization_reviews=tuple(data["scheduling_and_utilization"]["utilization_reviews"]),
            standalone_authorizations=tuple(data["scheduling_and_utilization"]["standalone_authorizations"]),
        )


@dataclass(frozen=True)
class RcmPatient:
    """What the RCM keeps of a person: status, profile and treatment episodes."""

    id: int
    status: str
    profile: dict[str, Any]
    episodes: tuple[TreatmentEpisode, ...]
    emr_patient_id: str | None = None
    crm_prospect_id: int | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "RcmPatient":
        return cls(
            id=data["id"],
            status=data["status"],
            profile=data["profile"],
            episodes=tuple(TreatmentEpisode.from_api(e) for e in data["treatment_episodes"]),
            emr_patient_id=data.get("emr_patient_id"),
            crm_prospect_id=data.get("crm_prospect_id"),
        )
