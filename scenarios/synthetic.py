"""Seeded synthetic people: the same scenario always gets the same made-up demographics."""

from __future__ import annotations

import zlib
from typing import Any

from faker import Faker


def faker_for(seed_text: str) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(zlib.crc32(seed_text.encode()))
    return fake


def demographics(fake: Faker, *, first: str, last: str, middle: str = "", dob: str | None = None,
                 admission_date: str | None = "2026-03-02") -> dict[str, Any]:
    """Everything an admission needs (WF-2.2), in the EMR's write field names."""
    return {
        "first_name": first,
        "middle_name": middle,
        "last_name": last,
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
