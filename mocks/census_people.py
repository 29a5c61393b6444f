"""Who a seeded census is (``mocks up --seed N``): the people drawn from seeded Faker providers, in the
order the census makes them, whichever path then makes them (census.py: through the APIs;
census_bulk.py: straight into the stores). Same seed, same people."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kipu_harness.synthetic import demographics, faker_for

LEVELS_OF_CARE = {  # name -> days of the week it runs
    "Detox": "sun mon tue wed thu fri sat",
    "Residential": "sun mon tue wed thu fri sat",
    "PHP": "mon tue wed thu fri",
    "IOP": "mon wed fri",
    "OP": "tue",
}
DIAGNOSES = ("F10.20", "F11.20", "F11.23", "F12.20", "F14.20", "F15.20", "F33.1", "F41.1", "F43.10", "F32.A")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
IN_PARALLEL_FROM = 5000  # people: a census this large is drawn in a process of its own (see drawn)


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


def drawn(seed: int, size: int, today: dt.date, payer_ids: list[int], *, in_parallel: bool | None = None,
          chunk: int = 1000) -> Iterator[Prospect | Admission]:
    """``draw(faker_for(seed), ...)``; for a large census (``in_parallel`` None: from
    IN_PARALLEL_FROM people) from another process, a chunk at a time, so that drawing the people (a
    third of a bulk seed's time) runs beside writing them. One process draws them all, in order:
    the same people either way."""
    if not (size >= IN_PARALLEL_FROM if in_parallel is None else in_parallel):
        yield from draw(faker_for(seed), size, today, payer_ids)
        return
    spawn = multiprocessing.get_context("spawn")  # not fork: the mocks may be running threads
    chunks = spawn.Queue(maxsize=8)
    process = spawn.Process(target=_draw_into, args=(chunks, seed, size, today, payer_ids, chunk), daemon=True,
                            name="kipu-harness census draws")
    process.start()
    try:
        while True:
            try:
                batch = chunks.get(timeout=1)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError(f"the process drawing the census ended early (exit code {process.exitcode})")
                continue
            if batch is None:
                return
            yield from batch
    finally:
        if process.is_alive():
            process.kill()
        process.join()


def _draw_into(chunks: Any, seed: int, size: int, today: dt.date, payer_ids: list[int], chunk: int) -> None:
    batch: list[Prospect | Admission] = []
    for person in draw(faker_for(seed), size, today, payer_ids):
        batch.append(person)
        if len(batch) == chunk:
            chunks.put(batch)
            batch = []
    chunks.put(batch or None)
    if batch:
        chunks.put(None)
