"""The seeded census (mocks/census*.py): the bulk path leaves exactly the records the API path
leaves, the same seed gives the same stores, Faker's draws are kept, and the progress bar shows
only when asked or on a terminal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from faker import Faker

from kipu_harness.cli import build_parser
from kipu_harness.mocks import MockSuite, census
from kipu_harness.mocks.census_bulk import replayable
from kipu_harness.mocks.census_people import Prospect, drawn
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.synthetic import HealthcareProvider, demographics, faker_for

# Random on the API path (uuid4), drawn from the seed on the bulk path.
RANDOM = ("patient_master_id", "control_id")


def seeded(via: str, size: int, seed: int = 7) -> MockSuite:
    suite = MockSuite(make_plugin_manager())
    suite.clock.pin(dt.datetime(2026, 11, 20, 9, 30))
    census.seed(suite, seed, size, via=via, progress=False)
    return suite


def records(suite: MockSuite, *, normalize: bool = True) -> dict[str, dict[tuple[str, int], dict]]:
    found = {}
    for name, context in suite.contexts.items():
        rows = context.store._conn.execute("SELECT kind, id, doc FROM records ORDER BY kind, id")
        found[name] = {(kind, id): json.loads(doc) for kind, id, doc in rows}
        for doc in found[name].values() if normalize else ():
            for key in RANDOM:
                if key in doc:
                    doc[key] = "(random)"
    return found


def test_the_bulk_census_leaves_the_records_the_api_census_leaves():
    by_api, in_bulk = seeded("api", 15), seeded("bulk", 15)
    api, bulk = records(by_api), records(in_bulk)
    assert api == bulk
    # What the comparison covers: prospects, admissions, both kinds of subscriber, secondary insurances.
    emr, rcm = api["emr"], api["rcm"]
    insurances = [d for (kind, _), d in emr.items() if kind == "insurance"]
    assert {i["subscriber_relationship"] for i in insurances} >= {"Self", "Spouse"}
    assert {i["insurance_type"] for i in insurances} == {"Primary", "Secondary"}
    assert sum(kind == "patient" for kind, _ in rcm) == 15 and sum(kind == "patient" for kind, _ in emr) == 10
    assert sum(kind == "utilization_review" for kind, _ in emr) == 10
    # The traffic is what bulk leaves out: the API path journaled its messages.
    assert by_api.contexts["rcm"].store.journal_entries("hl7") and not in_bulk.contexts["rcm"].store.journal_entries("hl7")
    assert not [r for r in in_bulk.contexts["emr"].store.outbox() if r["wire"] == "hl7v2"]


def test_the_same_seed_gives_the_same_stores_in_bulk_identifiers_included():
    first, again, other = (records(seeded("bulk", 30, seed), normalize=False) for seed in (3, 3, 4))
    assert first == again
    assert first != other
    masters = [d["patient_master_id"] for (kind, _), d in first["emr"].items() if kind == "patient"]
    assert len(set(masters)) == len(masters) == 20


def test_auto_seeds_a_large_census_in_bulk_and_a_small_one_through_the_apis():
    small = MockSuite(make_plugin_manager())
    census.seed(small, 1, 6, progress=False)
    assert small.contexts["rcm"].store.journal_entries("hl7")
    large = MockSuite(make_plugin_manager())
    assert census.seed(large, 1, census.BULK_FROM, progress=False) == {
        "payers": 6, "prospects": census.BULK_FROM // 3, "admitted": census.BULK_FROM - census.BULK_FROM // 3}
    assert not large.contexts["rcm"].store.journal_entries("hl7")
    with large.contexts["emr"].store.read() as tx:
        assert tx.count("patient") == census.BULK_FROM - census.BULK_FROM // 3


def test_bulk_replays_only_the_reference_integration():
    blocked = MockSuite(make_plugin_manager(blocked=["kipu_harness.plugins.rcm_to_emr"]))
    assert not replayable(blocked.pm)
    with pytest.raises(ValueError, match="--seed-via api"):
        census.seed(blocked, 1, 3, via="bulk", progress=False)
    assert not census.in_bulk(blocked, 100_000)  # auto: through the APIs instead
    assert census.in_bulk(MockSuite(make_plugin_manager()), census.BULK_FROM)
    census.seed(blocked, 1, 3, progress=False)  # nothing was written before the refusal
    assert blocked.contexts["rcm"].store.journal_entries("hl7")


def test_faster_weighted_draws_give_fakers_own_people():
    for seed in (1, 7, 2026):
        plain = Faker("en_US")
        plain.add_provider(HealthcareProvider)
        plain.seed_instance(seed)
        fast = faker_for(seed)
        for fake in (plain, fast):
            fake.people = [(demographics(fake), fake.policy(), fake.subscriber("Child", dt.date(1990, 1, 1)),
                            fake.name(), fake.address(), fake.random_elements(("a", "b", "c"), unique=True))
                           for _ in range(300)]
        assert fast.people == plain.people


def test_the_progress_bar_goes_to_stderr_only_when_asked_or_on_a_terminal(capsys):
    with census.progress_bar(1000) as advance:  # pytest's stderr is no terminal: no bar
        advance(1000)
    assert capsys.readouterr().err == ""
    with census.progress_bar(10, True) as advance:
        advance(10)
    captured = capsys.readouterr()
    assert "seeding the census" in captured.err and "10/10" in captured.err and captured.out == ""


def test_a_bulk_census_is_kept_in_the_data_folder_and_mocks_up_takes_the_options(tmp_path):
    suite = MockSuite(make_plugin_manager(), data_dir=tmp_path)
    assert census.is_empty(suite)
    census.seed(suite, 5, 12, via="bulk", progress=False)
    assert not census.is_empty(suite)
    suite.close()
    reopened = MockSuite(make_plugin_manager(), data_dir=tmp_path)
    with reopened.contexts["rcm"].store.read() as tx:
        assert tx.count("patient") == 12
    reopened.close()
    args = build_parser().parse_args(["mocks", "up", "--seed", "1", "--seed-via", "bulk", "--no-progress"])
    assert (args.seed_via, args.progress) == ("bulk", False)
    assert build_parser().parse_args(["mocks", "up"]).seed_via == "auto"


def test_a_large_census_drawn_in_another_process_is_the_same_people():
    today, payers = dt.date(2026, 11, 20), [1, 2, 3, 4, 5, 6]
    here = list(drawn(9, 700, today, payers, in_parallel=False))
    there = list(drawn(9, 700, today, payers, in_parallel=True, chunk=64))
    assert there == here and len(here) == 700
    assert sum(isinstance(p, Prospect) for p in here) == 700 // 3
