"""A realistic starting census for `kipu-harness mocks up --seed N`: payers, levels of care,
prospects, and admitted patients with diagnoses, insurance and utilization reviews. Same seed, same
census.

Who the people are is drawn once (census_people.py), from seeded Faker providers; two paths make
them, with the same end state (tests/test_census_bulk.py compares them record by record):

- ``api``: through the systems' own APIs, one request at a time, so the integration runs as it
  would for a user (HL7 to the RCM, the RCM's saves back to the EMR), each message journaled;
- ``bulk`` (census_bulk.py): the same records written straight into each system's store, a few
  thousand people per transaction, with no messages on the wire (nothing in the journal, the
  outbox or the inbox): what makes 100,000 patients take a minute and not a day.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kipu_harness.clients import CrmClient, EmrClient, RcmClient
from kipu_harness.synthetic import PAYERS
from kipu_harness.transport import FlaskTransport

from . import census_bulk
from .census_people import DAYS, DIAGNOSES, LEVELS_OF_CARE, Admission, Prospect, drawn

__all__ = ["DIAGNOSES", "LEVELS_OF_CARE", "is_empty", "seed", "progress_bar"]

VIA = ("auto", "api", "bulk")
BULK_FROM = 200  # `auto`: a census this large or larger is written in bulk


def is_empty(suite: Any) -> bool:
    with suite.contexts["emr"].store.read() as tx:
        return not tx.count("patient")


def in_bulk(suite: Any, size: int, via: str = "auto") -> bool:
    """Whether :func:`seed` writes the census in bulk; refuses bulk where it cannot be replayed."""
    if via not in VIA:
        raise ValueError(f"via {via!r}: expected one of {', '.join(VIA)}")
    replayable = census_bulk.replayable(suite.pm)
    if via == "bulk" and not replayable:
        raise ValueError("a bulk census replays the reference integration: with other integration plugins, "
                         "seed through the APIs (--seed-via api)")
    return via == "bulk" or (via == "auto" and size >= BULK_FROM and replayable)


def seed(suite: Any, seed: int, size: int = 12, *, via: str = "auto", progress: bool | None = None) -> dict[str, int]:
    """Fill empty mocks with ``size`` people: a third prospects, the rest admitted.

    ``via``: ``api``, ``bulk`` or ``auto`` (bulk from :data:`BULK_FROM` people). ``progress``: a
    progress bar on stderr (None: when stderr is a terminal and the census is large)."""
    bulk = in_bulk(suite, size, via)
    rcm = RcmClient(FlaskTransport(suite.apps["rcm"]))
    emr = EmrClient(FlaskTransport(suite.apps["emr"], suite.emr_auth.signer))
    # The facility's configuration goes through the APIs either way: a dozen requests.
    payers = [rcm.add_payer(name=n, payer_id=i, phone=p, claim_formats=["837P", "837I"]) for n, i, p in PAYERS]
    known = {c["care_level_name"] for c in emr.care_levels()}  # the default facility's, usually
    for name, days in LEVELS_OF_CARE.items():
        if name not in known:
            emr.add_care_level(name, {d: d in days.split() for d in DAYS})
    people = drawn(seed, size, suite.clock.today(), [p["id"] for p in payers], in_parallel=bulk and None)
    with progress_bar(size, progress) as advance:
        if bulk:
            census_bulk.write(suite, people, advance, seed)
        else:
            crm = CrmClient(FlaskTransport(suite.apps["crm"]))
            for person in people:
                _make(person, crm, emr, rcm)
                advance(1)
    prospects = size // 3
    return {"payers": len(payers), "prospects": prospects, "admitted": size - prospects}


def _make(person: Prospect | Admission, crm: CrmClient, emr: EmrClient, rcm: RcmClient) -> None:
    if isinstance(person, Prospect):
        prospect = crm.create_prospect(**person.person)
        crm.create_opportunity(prospect.id, level_of_care=person.level_of_care)
        return
    patient = emr.create_patient(**person.person)
    for code in person.diagnoses:
        patient = emr.add_diagnosis(patient, code)
    patient = emr.action(patient, "mr_number")
    [rcm_patient] = rcm.find_patients(emr_patient_id=patient.id)
    episode = rcm_patient.episodes[-1].id
    for insurance in person.insurances:
        rcm.save_insurance(rcm_patient.id, episode, **insurance)
    rcm.save_authorization(rcm_patient.id, episode, **person.review)


@contextmanager
def progress_bar(total: int, show: bool | None = None) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for a bar on stderr (rich). ``show`` None: only on a terminal, and only for a
    census that takes more than a couple of seconds (from BULK_FROM people)."""
    if show is None:
        show = sys.stderr.isatty() and total >= BULK_FROM
    if not show:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    columns = (TextColumn("seeding the census"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True, force_terminal=True)) as bar:
        task = bar.add_task("census", total=total)
        yield lambda n: bar.advance(task, n)
