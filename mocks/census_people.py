"""Who a seeded census is (``mocks up --seed N``): the people drawn from seeded Faker providers, in the
order the census makes them, whichever path then makes them (census.py: through the APIs;
census_bulk.py: straight into the stores). Same seed, same people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kipu_harness.synthetic import demographics

LEVELS_OF_CARE = {  # name -> days of the week it runs
    "Detox": "sun mon tue wed thu fri sat",
    "Residential": "sun mon tue wed thu fri sat",
    "PHP": "mon tue wed thu fri",
    "IOP": "mon wed fri",
    "OP": "tue",
}
DIAGNOSES = ("F10.20", "F11.20", "F11.23", "F12.20", "F14.20", "F15.20", "F33.1", "F41.1", "F43.10", "F32.A")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True)
class Prospect:
    """A CRM prospect (sent on to the RCM as a Prospective Patient) with one open opportunity."""

    person: dict[str, Any]  # ProspectIn's fields
    level_of_care: str


@dataclass(frozen=True)
class Admission:
    """An EMR patient admitted with its diagnoses and MR Number, and the RCM's insurances and U/R."""

    person: dict[str, Any]  # NewPatientData's fields
    diagnoses: tuple[str, ...]
    insurances: tuple[dict[str, Any], ...]  # InsuranceIn bodies, in the order they are saved
    review: dict[str, Any]  # an AuthorizationIn body (a U/R)


def draw(fake: Any, size: int, today: dt.date, payer_ids: list[int]) -> Iterator[Prospect | Admission]:
    """The census of ``size`` people, a third prospects, the rest admitted, in the order they are
    made; the Faker draws are in the order the census has always made them (same seed, same people)."""
    prospects = size // 3
    for _ in range(prospects):
        person = demographics(fake)
        yield Prospect({k: v for k, v in person.items() if k != "admission_date"},
                       fake.random_element(tuple(LEVELS_OF_CARE)))
    for _ in range(size - prospects):
        yield _admission(fake, today, payer_ids)


def _admission(fake: Any, today: dt.date, payer_ids: list[int]) -> Admission:
    admitted_on = today - dt.timedelta(days=fake.random_int(1, 40))
    person = demographics(fake, admission_date=admitted_on.isoformat())
    codes = tuple(fake.random_elements(DIAGNOSES, length=fake.random_int(1, 3), unique=True))
    relationships = ("Self", "Self", "Spouse", "Child")
    insurances = []
    for priority in ("primary", "secondary")[: fake.random_int(1, 2)]:
        relationship = fake.random_element(relationships)
        holder = {"relationship": relationship, **{k: v for k, v in fake.policy().items() if k != "group_number"}}
        if relationship != "Self":
            holder.update(fake.subscriber(relationship, dt.date.fromisoformat(person["dob"])))
        insurances.append({"priority": priority, "payer": fake.random_element(payer_ids),
                           "effective_date": f"{today.year}-01-01", "policy_holder": holder})
    level = fake.random_element(tuple(LEVELS_OF_CARE))
    status = fake.random_element(("Authorized", "Authorized", "Pending", "Authorized - Not Required"))
    review = {"service": level, "start_date": admitted_on.isoformat(),
              "end_date": (admitted_on + dt.timedelta(days=6)).isoformat(), "units": 7,
              "authorization_status": status,
              "authorization_number": fake.bothify("AUTH-######") if status == "Authorized" else None,
              "um_follow_up_date": (admitted_on + dt.timedelta(days=5)).isoformat()}
    return Admission(person, codes, tuple(insurances), review)
