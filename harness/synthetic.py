"""Seeded synthetic data: people, payers, policies and subscribers. Nothing here is real PHI.

Faker providers, so steps, tests and ``kipu-harness mocks up --seed N`` draw from one source:
the same seed always gives the same census.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import zlib
from collections import OrderedDict
from typing import Any

from faker import Faker
from faker.providers import BaseProvider

# Commercial payers as an RCM's payer list would name them; IDs are the usual clearinghouse
# payer IDs and phones are the public member-service numbers, so the data looks familiar.
PAYERS = (
    ("Aetna", "60054", "800-872-3862"),
    ("Cigna", "62308", "800-997-1654"),
    ("UnitedHealthcare", "87726", "866-633-2446"),
    ("Humana", "61101", "800-457-4708"),
    ("Blue Cross Blue Shield of Texas", "84980", "800-521-2227"),
    ("Magellan Behavioral Health", "01260", "800-424-4399"),
)
PLANS = ("Open Access Plus", "Choice POS II", "PPO Select", "HMO Standard", "EPO Advantage", "Gold PPO 1500")


class HealthcareProvider(BaseProvider):
    """``fake.payer()``, ``fake.policy()``, ``fake.subscriber(...)``."""

    def payer(self) -> dict[str, Any]:
        name, payer_id, phone = self.random_element(PAYERS)
        return {"name": name, "payer_id": payer_id, "phone": phone, "claim_formats": ["837P", "837I"]}

    def policy(self) -> dict[str, str]:
        return {"insurance_id": self.bothify("?#########").upper(), "plan_name": self.random_element(PLANS),
                "group_number": self.numerify("GRP######")}

    def subscriber(self, relationship: str, patient_birthday: dt.date) -> dict[str, str]:
        """The insured person for a patient who is their ``relationship`` ("Spouse", "Child", "Other").

        A dependent has a name and birthday of their own: a spouse near the patient's age, a parent
        (relationship "Child": the patient is the insured's child) 20 to 40 years older.
        """
        gender = self.random_element(("Female", "Male"))
        first = self.generator.first_name_female() if gender == "Female" else self.generator.first_name_male()
        offset = {"Spouse": self.random_int(-3650, 3650), "Child": -self.random_int(20 * 365, 40 * 365)}.get(
            relationship, -self.random_int(0, 30 * 365))
        return {"first_name": first, "last_name": self.generator.last_name(),
                "birthday": (patient_birthday + dt.timedelta(days=offset)).isoformat(), "gender": gender}


def faker_for(seed: str | int) -> Faker:
    fake = Faker("en_US")
    fake.add_provider(HealthcareProvider)
    fake.seed_instance(seed if isinstance(seed, int) else zlib.crc32(seed.encode()))
    for provider in fake.get_providers():
        provider.random_elements = _WeightedDraws(provider)
    return fake


class _WeightedDraws:
    """A provider's ``random_elements`` that draws the same elements as Faker's, faster.

    Faker draws from a weighted table (first names, last names, street suffixes: thousands of
    entries) with ``random.choices(keys, weights=...)``, which adds up every weight again on every
    draw: most of the time of a person. This keeps each table's running totals and makes the very
    draw ``random.choices`` makes with them (one ``random()``, one bisect), so the same seed gives
    the same people; any other call goes to Faker's own method.
    """

    def __init__(self, provider: BaseProvider):
        self._provider = provider
        self._faker = type(provider).random_elements.__get__(provider)
        self._tables: dict[int, tuple[Any, tuple[Any, ...], list[float], float]] = {}

    def __call__(self, elements: Any = ("a", "b", "c"), length: int | None = None, unique: bool = False,
                 use_weighting: bool | None = None) -> Any:
        weighted = self._provider.__use_weighting__ if use_weighting is None else use_weighting
        if length is None or unique or not weighted or not isinstance(elements, OrderedDict):
            return self._faker(elements, length, unique, use_weighting)
        table = self._tables.get(id(elements))
        if table is None or table[0] is not elements:
            totals = list(itertools.accumulate(elements.values()))
            table = self._tables[id(elements)] = (elements, tuple(elements), totals, totals[-1] + 0.0)
        _, keys, totals, total = table
        draw, last = self._provider.generator.random.random, len(totals) - 1
        return [keys[bisect.bisect(totals, draw() * total, 0, last)] for _ in range(length)]


def demographics(fake: Faker, *, first: str | None = None, last: str | None = None, middle: str = "",
                 dob: str | None = None, admission_date: str | None = "2026-03-02") -> dict[str, Any]:
    """Everything an admission needs (WF-2.2), in the EMR's write field names."""
    return {
        "first_name": first or fake.first_name(),
        "middle_name": middle,
        "last_name": last or fake.last_name(),
        "dob": dob or fake.date_of_birth(minimum_age=18, maximum_age=75).isoformat(),
        "gender": fake.random_element(("Female", "Male")),
        "ssn": fake.ssn(),
        "phone": fake.numerify("###-555-01##"),
        "address_street": fake.street_address(),
        "address_city": fake.city(),
        "address_state": fake.state_abbr(include_territories=False, include_freely_associated_states=False),
        "address_zip": fake.zipcode(),
        "admission_date": admission_date,
    }
