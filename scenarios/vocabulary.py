"""The overview's words, mapped to the systems' fields, and typed parsers for step text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from kipu_harness.model import RcmPatient


def parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


parse_date.pattern = r"\d{4}-\d{2}-\d{2}"  # type: ignore[attr-defined]

def parse_text(text: str) -> str:
    return text


parse_text.pattern = r'[^"]*'  # type: ignore[attr-defined]  # a quoted value, possibly empty

TYPES = {"Date": parse_date, "Text": parse_text}


@dataclass(frozen=True)
class PersonName:
    first: str
    middle: str
    last: str

    @classmethod
    def parse(cls, text: str) -> "PersonName":
        """'Ana Maria Lopez' -> first Ana, middle Maria, last Lopez; two words have no middle."""
        words = text.split()
        if len(words) < 2:
            raise ValueError(f"a person needs a first and a last name: {text!r}")
        return cls(words[0], " ".join(words[1:-1]), words[-1])


# Patient Information table, EMR column -> the EMR's write field (None: set by the EMR itself).
EMR_FIELDS: dict[str, str | None] = {
    "Patient ID": None,
    "MR Number": None,
    "Last Name": "last_name",
    "First Name": "first_name",
    "Middle Name": "middle_name",
    "Date of Birth": "dob",
    "Birth Sex": "gender",
    "Address": "address_street",
    "City": "address_city",
    "State": "address_state",
    "Zip": "address_zip",
    "Phone": "phone",
    "SSN": "ssn",
    "Admission Date": "admission_date",
}

# "What is missing", as a scenario says it -> the EMR field it leaves empty.
MISSING: dict[str, str] = {
    "the admission date": "admission_date",
    "the MR Number": "mr_number",
    "a diagnosis": "diagnoses",
    "the date of birth": "dob",
    "the street address": "address_street",
    "the birth sex": "gender",
    "the phone": "phone",
}

ACTIONS = {
    "Send to Kipu RCM": "send_to_rcm",
    "Manage Insurance": "manage_insurance",
    "Manage Review": "manage_review",
}


def _episode(p: RcmPatient):
    assert p.episodes, f"RCM patient {p.id} has no treatment episode"
    return p.episodes[-1]


# Patient Information table, RCM column -> how to read it from an RCM patient. Locations are
# written as in the overview; "Patient > " and "Treatment Episode > Intake > " may be left out.
RCM_LOCATIONS: dict[str, Callable[[RcmPatient], Any]] = {
    "Profile > Patient ID": lambda p: p.profile["patient_id"],
    "Profile > Last Name": lambda p: p.profile["last_name"],
    "Profile > First Name": lambda p: p.profile["first_name"],
    "Profile > Middle Initial": lambda p: p.profile["middle_initial"],
    "Profile > Birthday": lambda p: p.profile["birthday"],
    "Profile > Phone": lambda p: p.profile["phone"],
    "Profile > Social Security Number": lambda p: p.profile["social_security_number"],
    "Patient Profile > Medical Record Number": lambda p: _episode(p).medical_record_number,
    "Patient Profile > Address": lambda p: _episode(p).address["address"],
    "Patient Profile > City": lambda p: _episode(p).address["city"],
    "Patient Profile > State": lambda p: _episode(p).address["state"],
    "Patient Profile > Zip Code": lambda p: _episode(p).address["zip_code"],
    "Insurance > Insurance Set > Policy Holder > Gender": lambda p: _episode(p).policy_holder_gender,
    "Admit/Discharge > Admit Date": lambda p: _episode(p).admit_date,
    "Admit/Discharge > Admit Time": lambda p: _episode(p).admit_time,
    "Admit/Discharge > Discharge Date": lambda p: _episode(p).discharge_date,
    "Admit/Discharge > Discharge Time": lambda p: _episode(p).discharge_time,
    "Behavioral Diagnoses > Admitting Diagnosis": lambda p: _episode(p).admitting_diagnosis,
    "Behavioral Diagnoses > Principal Diagnosis": lambda p: _episode(p).principal_diagnosis,
}


def rcm_location(location: str) -> Callable[[RcmPatient], Any]:
    short = location.removeprefix("Patient > ").removeprefix("Treatment Episode > Intake > ")
    try:
        return RCM_LOCATIONS[short]
    except KeyError:
        raise KeyError(f"unknown RCM location {location!r}; known: {', '.join(RCM_LOCATIONS)}") from None
