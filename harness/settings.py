"""Integration settings: where the overview is ambiguous, a deployment may choose (docs/ambiguities.md)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

REQUIRED_DEMOGRAPHICS = (
    "first_name",
    "last_name",
    "dob",
    "gender",
    "address_street",
    "address_city",
    "state",
    "address_zip",
    "phone",
)

_CHOICES = {
    "diagnosis_order": ("principal-then-added", "added"),
    "resend_after_discharge": ("keep-episode", "reopen"),
}


@dataclass(frozen=True)
class IntegrationSettings:
    # AMB-02: which 18 diagnoses are "the first 18".
    diagnosis_order: str = "principal-then-added"
    # PAT-16: the vendor's cap on diagnoses sent per patient.
    max_diagnoses: int = 18
    # AMB-05: the time the RCM gets when the EMR holds only a date.
    default_time: str = "00:00"
    facility_timezone: str = "America/New_York"
    # AMB-08: what a re-send after discharge does to the RCM treatment episode.
    resend_after_discharge: str = "keep-episode"
    # WF-2.2: the demographic fields an admission needs.
    required_demographics: tuple[str, ...] = REQUIRED_DEMOGRAPHICS

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> "IntegrationSettings":
        """Build from a TOML ``[integration]`` table; unknown keys and bad values are errors."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"[integration] has unknown setting(s): {', '.join(unknown)}")
        for key, allowed in _CHOICES.items():
            if key in values and values[key] not in allowed:
                raise ValueError(
                    f"[integration] {key} = {values[key]!r}: expected one of {', '.join(allowed)}"
                )
        values = dict(values)
        if "required_demographics" in values:
            values["required_demographics"] = tuple(values["required_demographics"])
        if "default_time" in values:
            hh, _, mm = str(values["default_time"]).partition(":")
            if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
                raise ValueError(f"[integration] default_time = {values['default_time']!r}: expected HH:MM")
        return cls(**values)
