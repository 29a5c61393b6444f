"""The workload of ``kipu-harness load``: how many users of each role Locust starts (their weights)
and what they use on the deployment.

It is read from the ``[load]`` table of a workload TOML file: the simulation's workload file may
carry one beside its own tables, or a file may hold only this; ``load`` reads no other table (and
``simulate`` nothing of this one). Without a file, the ``[load]`` table of the simulation's default
``workload.toml`` holds (:func:`simulation_workload`). Every key is optional; one left out has the
value of that table, which is also :class:`Workload`'s default (tests/test_load.py keeps this copy
the file's own)::

    [load]                      # `kipu-harness load`: Locust users playing the facility's people on a deployment
    intake_coordinator = 3      # weight of the intake coordinators: their share of Locust's users (0: none)
    clinician = 3               # weight of the clinicians (group sessions, evaluations, discharges)
    utilization_reviewer = 2    # weight of the utilization reviewers (insurance, eligibility, U/R)
    biller = 2                  # weight of the billers (charges transmitted, claims); at least one weight above 0
    think = [0.5, 2.0]          # seconds a user waits between two tasks, at random in this range
    stay_days = 3               # days a clinician documents, and a biller bills, per patient (1 to 28)
    billing_user = "biller"     # the user on billing actions (X-Kipu-User; needs the billing role)
    payer = "Aetna"             # the RCM payer reviewers insure patients with; added to the payer list if missing
    payer_id = "60054"          # the payer ID it is added with
    payer_phone = "800-872-3862"  # the phone number it is added with
    admitted_on = 2026-03-02    # every stay's admission date; its days of care, one a task, follow it
    authorized_until = 2026-03-31  # the U/R and standalone authorization's last day (admitted_on + stay_days or later)
    insurance_effective_date = 2026-01-01  # the effective date of the insurance reviewers add (admitted_on or earlier)
    level_of_care = "Residential"  # of the opportunity and the U/R: a level of care the RCM has a service for
    per_diem_template = "Residential Day"  # EMR billable template of the per-diem session billers document (at that level)
    group_template = "Group Therapy"  # EMR billable template of the group session clinicians document
    therapy_template = "Individual Therapy 60"  # EMR billable template of evaluations (the standalone authorization's)

A weight of 0 leaves a role out; at least one must be above 0. The dates are TOML dates (no
quotes); the authorizations must cover every day a biller bills (``authorized_until`` no earlier
than ``admitted_on`` + ``stay_days``), and the insurance be in force at the admission. An unknown
key or a value of the wrong kind or out of range is a one-line ValueError naming the file and the
key. The level of care and the templates are names the deployment must have: the roles look them
up once per Locust process, and one it lacks fails the task that needs it, naming the key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROLES = ("intake_coordinator", "clinician", "utilization_reviewer", "biller")
DEFAULT_WEIGHTS = {"intake_coordinator": 3, "clinician": 3, "utilization_reviewer": 2, "biller": 2}
ENV = "KIPU_HARNESS_WORKLOAD"  # where the locustfile finds the workload file when --kipu-workload is not given


@dataclass(frozen=True)
class Workload:
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    think: tuple[float, float] = (0.5, 2.0)
    stay_days: int = 3
    billing_user: str = "biller"
    payer: str = "Aetna"
    payer_id: str = "60054"
    payer_phone: str = "800-872-3862"
    # What the default facility has (every stay the same dates): a deployment set up otherwise names its own.
    admitted_on: dt.date = dt.date(2026, 3, 2)
    authorized_until: dt.date = dt.date(2026, 3, 31)
    insurance_effective_date: dt.date = dt.date(2026, 1, 1)
    level_of_care: str = "Residential"
    per_diem_template: str = "Residential Day"
    group_template: str = "Group Therapy"
    therapy_template: str = "Individual Therapy 60"
    path: Path | None = None


_TEXT_KEYS = ("billing_user", "payer", "payer_id", "payer_phone")
_DATE_KEYS = ("admitted_on", "authorized_until", "insurance_effective_date")
_FACILITY_KEYS = ("level_of_care", "per_diem_template", "group_template", "therapy_template")
KEYS = (*ROLES, "think", "stay_days", *_TEXT_KEYS, *_DATE_KEYS, *_FACILITY_KEYS)


def simulation_workload() -> Path | None:
    """The simulation's own workload file (``kipu-harness simulate``'s default) when it has a ``[load]``
    table, as the installed one does: that table is what a run without a workload file uses."""
    import importlib.util
    import tomllib

    try:
        spec = importlib.util.find_spec("kipu_harness.simulation")  # found, not imported
    except ImportError:
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "workload.toml"
        try:
            if isinstance(tomllib.loads(candidate.read_text()).get("load"), dict):
                return candidate
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return None


def load_workload(path: str | Path | None) -> Workload:
    """The workload of ``path``'s ``[load]`` table (defaults for what it leaves out); None: the
    simulation's workload file if it has a ``[load]`` table, else the defaults."""
    path = path or simulation_workload()
    if path is None or str(path) == "":
        return Workload()
    from kipu_harness.settings import read_toml

    path = Path(path)
    data = read_toml(path, "workload")
    table = data.get("load", {})
    where = f"workload {path}: [load]"
    if not isinstance(table, dict):
        raise ValueError(f"workload {path}: load must be a table ([load])")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ValueError(f"{where} unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
    weights = {role: _count(where, role, table.get(role, DEFAULT_WEIGHTS[role])) for role in ROLES}
    if not any(weights.values()):
        raise ValueError(f"{where} every role's weight is 0: give one of {', '.join(ROLES)} a weight above 0")
    think = table.get("think", [0.5, 2.0])
    if (not isinstance(think, list) or len(think) != 2 or not all(_number(t) and t >= 0 for t in think)
            or think[0] > think[1]):
        raise ValueError(f"{where} think = {think!r}: expected [MIN, MAX] seconds, 0 <= MIN <= MAX")
    stay = _count(where, "stay_days", table.get("stay_days", 3))
    if not 1 <= stay <= 28:
        raise ValueError(f"{where} stay_days = {stay}: expected 1 to 28 (the days of one month's authorization)")
    texts = {}
    for key in (*_TEXT_KEYS, *_FACILITY_KEYS):
        value = table.get(key, getattr(Workload, key))
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where} {key} = {_shown(value)}: expected a non-empty string (in quotes)")
        texts[key] = value
    dates = {key: _date(where, key, table.get(key, getattr(Workload, key))) for key in _DATE_KEYS}
    admitted, last_day = dates["admitted_on"], dates["admitted_on"] + dt.timedelta(days=stay)
    if dates["authorized_until"] < last_day:  # the biller's charges run to admitted_on + stay_days
        raise ValueError(f"{where} authorized_until = {dates['authorized_until']}: expected {last_day} or later "
                         f"(admitted_on {admitted} + stay_days {stay}: the authorizations cover every day billed)")
    if dates["insurance_effective_date"] > admitted:
        raise ValueError(f"{where} insurance_effective_date = {dates['insurance_effective_date']}: expected "
                         f"{admitted} or earlier (admitted_on: the insurance is in force when the stay starts)")
    return Workload(weights, (float(think[0]), float(think[1])), stay, path=path, **texts, **dates)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _date(where: str, key: str, value: Any) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValueError(f"{where} {key} = {_shown(value)}: expected a date, YYYY-MM-DD without quotes")
    return value


def _shown(value: Any) -> str:
    """A value as the TOML file wrote it: a date or time bare, a string in quotes."""
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else repr(value)


def _count(where: str, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{where} {key} = {value!r}: expected a whole number, 0 or more (no quotes)")
    return value
