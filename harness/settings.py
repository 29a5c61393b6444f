"""Integration settings: where the overview is ambiguous, a deployment may choose (docs/ambiguities.md)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUIRED_DEMOGRAPHICS = (
    "first_name",
    "last_name",
    "dob",
    "gender",
    "address_street",
    "address_city",
    "address_state",
    "address_zip",
    "phone",
)

_CHOICES = {
    "diagnosis_order": ("principal-then-added", "added"),
    "resend_after_discharge": ("keep-episode", "reopen"),
    "auth_not_required_managed": ("nonmanaged", "managed"),
}


@dataclass(frozen=True)
class IntegrationSettings:
    # AMB-02: which 18 diagnoses are "the first 18".
    diagnosis_order: str = "principal-then-added"
    # PAT-16: the vendor's cap on diagnoses sent per patient.
    max_diagnoses: int = 18
    # AMB-05: the time the RCM gets when the EMR holds only a date (facility wall clock).
    default_time: str = "00:00"
    # AMB-08: what a re-send after discharge does to the RCM treatment episode.
    resend_after_discharge: str = "keep-episode"
    # AMB-01: the EMR's Managed flag for "Authorized - Not Required" ("nonmanaged" or "managed").
    auth_not_required_managed: str = "nonmanaged"
    # AMB-07: who picks the rendering provider of a charge with none: Bill by Program, Bill by
    # Building, then the Konnector's default.
    billing_route_precedence: tuple[str, ...] = ("program", "building", "konnector")
    # WF-3.1/WF-4.1: how long a Manage Insurance / Manage Review link into the RCM stays valid.
    window_ttl_minutes: int = 30
    # WF-2.2: the demographic fields an admission needs, by the EMR's write names.
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
        if "billing_route_precedence" in values:
            route = tuple(values["billing_route_precedence"])
            if "konnector" not in route or not set(route) <= {"program", "building", "konnector"}:
                raise ValueError("[integration] billing_route_precedence: a list of program, building and konnector "
                                 "that includes konnector")
            values["billing_route_precedence"] = route
        if "default_time" in values and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(values["default_time"])):
            raise ValueError(f"[integration] default_time = {values['default_time']!r}: expected HH:MM")
        return cls(**values)

    @classmethod
    def from_toml(cls, path: Path) -> "IntegrationSettings":
        """The ``[integration]`` table of a TOML file (a profile or a settings file)."""
        return cls.from_mapping(read_toml(path).get("integration", {}))


def read_toml(path: str | Path, what: str = "") -> dict[str, Any]:
    """A TOML file as a dict; a missing or broken file is a one-line ValueError (``what`` names it)."""
    label = f"{what} {path}".strip()
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ValueError(f"{label} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{label} is not valid TOML: {exc}") from None
