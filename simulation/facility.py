"""The simulated facility: its configuration in the systems (payers, levels of care, billable templates,
providers), found or added through the drivers, and the people who come through it (a :class:`Stay`
each, drawn from the seeded generators)."""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from kipu_harness.mocks.census_people import DAYS, DIAGNOSES, LEVELS_OF_CARE
from kipu_harness.synthetic import PAYERS, demographics

from .workload import PRIVATE_PAY, Workload

EVALUATION = "Individual Therapy 60"  # the default facility's evaluation template (needs a standalone authorization)
GROUP = "Group Therapy"  # its ancillary group session (no authorization)
# An evaluation template the EMR has and the RCM has no service for (mistake: charge_without_service).
UNMATCHED = {"name": "Family Therapy 50", "kind": "evaluation", "billing": "ancillary",
             "service_description": "Family Therapy 50", "cpt": "90847"}
# Weekdays (0 = Monday) of the Group Therapy sessions, by sessions a week.
GROUP_DAYS = {0: (), 1: (0,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4),
              6: (0, 1, 2, 3, 4, 5), 7: (0, 1, 2, 3, 4, 5, 6)}


@dataclass
class Facility:
    """What the simulation needs of the systems' configuration, by the names the workflow uses."""

    payer_ids: dict[str, int]
    payer_codes: dict[str, str]
    per_diem: dict[str, int]  # level of care -> its per-diem group session template
    level_days: dict[str, frozenset[int]]  # level of care -> weekdays it runs (0 = Monday)
    group: int
    evaluation: int
    unmatched: int
    other_npi: str  # a rendering provider no authorization names (the Konnector's bills the rest)


def configure(target: Any, workload: Workload) -> Facility:
    """Find the facility's configuration, adding what is missing (payers, per-diem templates for each
    level of care, the unmatched template) through the EMR and RCM drivers."""
    rcm, emr = target.rcm, target.emr
    listed = {p["name"]: p for p in rcm.payers()}
    for name, code, phone in PAYERS:
        if name not in listed:
            listed[name] = rcm.add_payer(name=name, payer_id=code, phone=phone, claim_formats=["837P", "837I"])
    levels = {c["care_level_name"]: c for c in emr.care_levels()}
    for name, days in LEVELS_OF_CARE.items():
        if name not in levels:
            levels[name] = emr.add_care_level(name, {d: d in days.split() for d in DAYS})
    templates = {t["name"]: t for t in emr.billable_templates()}
    per_diem = {}
    for level in workload.levels_of_care:
        found = [t for t in templates.values() if t["billing"] == "per_diem" and t["kind"] == "group_session"
                 and t.get("level_of_care") == level.name]
        per_diem[level.name] = (found[0] if found else emr.add_billable_template(
            name=f"{level.name} Day", kind="group_session", billing="per_diem", level_of_care=level.name))["id"]
    if UNMATCHED["name"] not in templates:
        templates[UNMATCHED["name"]] = emr.add_billable_template(**UNMATCHED)
    for name in (GROUP, EVALUATION):
        if name not in templates:
            raise ValueError(f"the EMR has no billable template {name!r} (the default facility's)")
    npis = _providers()
    return Facility(
        payer_ids={name: listed[name]["id"] for name, _, _ in PAYERS},
        payer_codes={name: code for name, code, _ in PAYERS},
        per_diem=per_diem,
        level_days={name: frozenset((DAYS.index(d) + 6) % 7 for d, on in levels[name]["days_of_the_week"].items()
                                    if on) for name in per_diem},
        group=templates[GROUP]["id"], evaluation=templates[EVALUATION]["id"],
        unmatched=templates[UNMATCHED["name"]]["id"], **npis)


def _providers() -> dict[str, str]:
    """A rendering provider of the default facility (harness/facility.toml) other than the Konnector's."""
    data = tomllib.loads((resources.files("kipu_harness") / "facility.toml").read_text())
    konnector = data["konnector"]["rendering_provider"]
    return {"other_npi": next(p["npi"] for p in data["providers"] if p["npi"] != konnector)}


# -- the people -----------------------------------------------------------------------------------

@dataclass
class Review:
    """A U/R as the simulation saved it in the RCM."""

    id: int
    start: dt.date
    end: dt.date
    status: str  # Authorized | Pending | Denied
    decide_on: dt.date | None = None  # a Pending one's decision day
    denied: bool = False  # what the payer will decide


@dataclass
class Stay:
    """One person's way through the facility, and where each system keeps them."""

    key: int
    arrival: dt.date
    person: dict[str, Any]
    level: str
    length: int  # days of treatment
    direct: bool  # entered in the EMR, no CRM prospect
    converts: bool
    admit_on: dt.date
    diagnoses: tuple[str, ...]
    insurances: tuple[dict[str, Any], ...]  # RCM InsuranceIn bodies (primary first); () for private pay
    payer: str
    outcome: str  # what the payer answers the primary's eligibility check
    late_diagnosis: bool = False
    missing_ur: bool = False
    opening: bool = False  # in treatment on the first day
    prospect_id: int | None = None
    opportunity_id: int | None = None
    emr: Any = None  # the EMR Patient
    rcm_id: int | None = None
    episode_id: int | None = None
    insurance_ids: list[int] = field(default_factory=list)
    admitted: dt.date | None = None  # the admission date
    discharge_on: dt.date | None = None
    discharged: dt.date | None = None
    connected: bool = False  # the RCM admitted it
    set_up: bool = False  # insurance, eligibility and authorizations done (Steps 3 and 4)
    reviews: list[Review] = field(default_factory=list)
    next_review: dt.date | None = None  # when the next U/R is to be added
    review_from: dt.date | None = None  # the day that U/R starts
    fix_on: dt.date | None = None  # when a late diagnosis is noticed and added
    first_claim: dt.date | None = None

    @property
    def insured(self) -> bool:
        return bool(self.insurances)

    @property
    def in_care(self) -> bool:
        return self.admitted is not None and self.discharged is None and self.emr is not None


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*mix)
    return rng.choices(names, weights)[0]


def draw(key: int, today: dt.date, rng: random.Random, fake: Any, workload: Workload, facility: Facility,
         *, opening: bool = False) -> Stay:
    """A person arriving ``today``, and everything chance decides about their stay, in a fixed order
    of draws (same seed, same people)."""
    longest = max(lc.stay_days[2] for lc in workload.levels_of_care)
    while True:
        level = rng.choices(workload.levels_of_care, [lc.share for lc in workload.levels_of_care])[0]
        low, mode, high = level.stay_days
        length = max(1, round(rng.triangular(low, high, mode)))
        # Who is in treatment on a given day is biased to long stays (a stay of 40 days is there
        # eight times as often as one of 5): the opening census is drawn so.
        if not opening or rng.random() < length / longest:
            break
    person = demographics(fake, admission_date=None)
    person["dob"] = (workload.start - dt.timedelta(days=rng.randint(18 * 365, 70 * 365))).isoformat()
    payer = _pick(rng, workload.payers)
    insurances = []
    if payer != PRIVATE_PAY:
        names = [payer]
        if rng.random() < workload.secondary_insurance:
            names.append(rng.choice([p for p in facility.payer_ids if p != payer]))
        for priority, name in zip(("primary", "secondary"), names):
            relationship = _pick(rng, workload.relationships)
            policy = fake.policy()
            holder = {"relationship": relationship, "insurance_id": policy["insurance_id"],
                      "plan_name": policy["plan_name"]}
            if relationship != "Self":
                holder.update(fake.subscriber(relationship, dt.date.fromisoformat(person["dob"])))
            insurances.append({"priority": priority, "payer": facility.payer_ids[name],
                               "effective_date": f"{today.year}-01-01", "policy_holder": holder})
    direct = opening or rng.random() < workload.emr_direct
    converts = opening or rng.random() < workload.conversion
    low_wait, high_wait = workload.days_to_admit
    return Stay(
        key=key, arrival=today, person=person, level=level.name, length=length, direct=direct, converts=converts,
        admit_on=today if opening else today + dt.timedelta(days=rng.randint(low_wait, high_wait)),
        diagnoses=tuple(rng.sample(DIAGNOSES, rng.randint(1, 3))), insurances=tuple(insurances), payer=payer,
        outcome=_pick(rng, workload.eligibility),
        late_diagnosis=not opening and rng.random() < workload.mistake("late_diagnosis"),
        missing_ur=not opening and bool(insurances) and rng.random() < workload.mistake("missing_ur"),
        opening=opening)
