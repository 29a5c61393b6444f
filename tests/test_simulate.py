"""`kipu-harness simulate`: a small facility for a few days on the embedded mocks reconciles; the same
seed gives the same results and another seed others; a broken integration fails the reconciliation
(exit 1); a wrong workload is one line (exit 2); the command end to end in a subprocess."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kipu_harness import plugin_manager
from kipu_harness.cli import main
from kipu_harness.simulation import engine, results, workload
from kipu_harness.target import Target

# A small facility that makes every mistake often, so a few days take every path of the workflow.
SMALL = """
beds = 12
opening_census = 6
[arrivals]
per_day = 2.5
conversion = 0.8
days_to_admit = [0, 1]
emr_direct = 0.3
[review]
days = 3
pending = 0.4
denied = 0.2
[billing]
claims_every_days = 2
[mistakes]
missing_ur = 0.3
expired_authorization = 0.3
provider_not_on_authorization = 0.2
charge_without_service = 0.2
late_diagnosis = 0.3
fix_after_days = 1
"""
# The keys of the JSON another engineer draws the page from (the schema), and of a day.
KEYS = {"seed", "days", "target", "workload", "started", "duration_s", "patient_days", "patient_days_per_second",
        "daily", "charges", "admission_to_first_claim_days", "claims", "messages", "latency_ms", "mistakes",
        "reconciliation"}
DAY = {"day", "census", "arrivals", "admissions", "discharges", "charges_transmitted", "charges_refused",
       "claims_submitted", "claims_accepted", "claims_rejected"}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("workload") / "small.toml"
    path.write_text(SMALL)
    return path


def simulate(path: Path, seed: int = 1, days: int = 4, blocked: tuple[str, ...] = ()) -> dict:
    target = engine.build_target(pm=plugin_manager.make_plugin_manager(blocked=blocked))
    try:
        return engine.simulate(target, workload.load(path), seed=seed, days=days)
    finally:
        target.close()


@pytest.fixture(scope="module")
def first(small) -> dict:
    return simulate(small)


def test_a_short_simulation_reconciles(first):
    assert first["reconciliation"]["passed"], json.dumps(first["reconciliation"], indent=1)
    assert KEYS <= set(first) and len(first["daily"]) == 4 and all(DAY <= set(day) for day in first["daily"])
    assert first["daily"][0]["day"] == "2026-03-02" and first["patient_days"] == sum(d["census"] for d in first["daily"])
    people, charges, claims = first["people"], first["charges"], first["claims"]
    assert people["admissions"] > 0 and people["discharges"] > 0 and charges["transmitted"] > 0
    assert claims["accepted"] > 0 and claims["accepted"] == sum(p["accepted"] for p in claims["by_payer"].values())
    # The mistakes it made were refused by the systems, for their reasons, and counted.
    assert sum(first["mistakes"].values()) > 0 and charges["refused"]
    assert set(charges["refused"]) <= {"no_authorization", "patient_not_in_rcm", "provider_not_on_authorization",
                                       "no_matching_service"}
    assert {"http", "hl7", "x12", "billing"} <= set(first["messages"]["by_channel"])
    assert {"admission", "eligibility", "transmit", "claim"} <= set(first["latency_ms"])
    assert all(check["passed"] for check in first["reconciliation"]["checks"])


def test_the_same_seed_gives_the_same_results_and_another_seed_others(small, first):
    again, other = simulate(small), simulate(small, seed=2)
    assert results.without_timing(again) == results.without_timing(first)
    assert results.without_timing(other) != results.without_timing(first)
    assert other["seed"] == 2 and other["daily"] != first["daily"]


def test_other_mistake_rates_bring_the_same_people(small, first, tmp_path):
    careful = tmp_path / "careful.toml"
    careful.write_text(SMALL.split("[mistakes]")[0] + "[mistakes]\n" + "".join(
        f"{kind} = 0\n" for kind in workload.MISTAKES))
    result = simulate(careful)
    assert result["reconciliation"]["passed"] and not any(result["mistakes"].values())
    assert [d["arrivals"] for d in result["daily"]] == [d["arrivals"] for d in first["daily"]]
    assert result["people"]["arrivals"] == first["people"]["arrivals"]


def test_a_broken_integration_fails_the_reconciliation_and_the_command_exits_1(small, tmp_path, monkeypatch, capsys):
    broken = functools.partial(plugin_manager.make_plugin_manager, blocked=["kipu_harness.plugins.integration"])
    monkeypatch.setattr(plugin_manager, "make_plugin_manager", broken)  # what build_target makes the mocks with
    assert main(["simulate", "--days", "2", "--workload", str(small), "--reports", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "reconciliation: FAIL" in out and "FAIL  every EMR admission is an Admitted RCM patient" in out
    written = json.loads((tmp_path / "simulation" / "simulation.json").read_text())
    failed = {c["name"] for c in written["reconciliation"]["checks"] if not c["passed"]}
    assert "every EMR admission is an Admitted RCM patient with its treatment episode" in failed


def test_what_the_rcm_does_not_send_back_fails_the_mirror_check(small):
    result = simulate(small, days=2, blocked=("kipu_harness.plugins.rcm_to_emr",))
    failed = [c for c in result["reconciliation"]["checks"] if not c["passed"]]
    assert [c["name"] for c in failed] == ["the EMR mirrors each episode's insurance and U/R as the RCM holds them"]


@pytest.mark.parametrize("text, says", [
    ("beds = \"sixty\"", "beds = 'sixty': expected a whole number from 1 to 5000"),
    ("[arrivals]\nconversoin = 0.5", "unknown key arrivals.conversoin; known in arrivals: conversion,"),
    ("[arrivals]\nconversion = 1.5", "arrivals.conversion = 1.5: expected a share from 0 to 1"),
    ("[insurance.payers]\nAcme = 1", "insurance.payers.Acme: unknown; expected one of Aetna,"),
    ("[levels_of_care.Detox]\nshare = 1\nstay_days = [5, 3, 8]", "levels_of_care.Detox.stay_days = [5, 3, 8]: expected"),
    ("start = \"2026-03-02\"", "start = '2026-03-02': expected a date, YYYY-MM-DD without quotes"),
    ("opening_census = 70", "opening_census = 70: expected no more than beds (60)"),
    ("[insurance.eligibility]\nactive = 0", "insurance.eligibility = {'active': 0}: expected at least one weight"),
    ("[mistakes]\nlate_diagnosis = -0.1", "mistakes.late_diagnosis = -0.1: expected a share from 0 to 1"),
    ("beds = [", "is not valid TOML"),
])
def test_a_wrong_workload_is_one_line_naming_the_key_and_exit_2(text, says, tmp_path, capsys):
    path = tmp_path / "w.toml"
    path.write_text(text + "\n")
    assert main(["simulate", "--workload", str(path), "--reports", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kipu-harness: error: workload {path}") and says in err and err.count("\n") == 1, err


def test_a_target_without_the_clock_is_refused_in_one_line():
    target = Target(name="remote (vendor)", crm=None, emr=None, rcm=None, capabilities=frozenset({"journal"}))
    with pytest.raises(ValueError, match="^target remote \\(vendor\\) does not declare capability 'clock'"):
        engine.simulate(target, workload.load(), seed=1, days=1)


def test_the_default_workload_says_what_each_key_is_and_the_readme_shows_it_as_it_is():
    text = workload.DEFAULT.read_text()
    table, bare = "", []
    for line in text.splitlines():
        if line.startswith("["):
            table = line.split("]")[0].strip("[")
        elif "=" in line and not line.lstrip().startswith("#") and "#" not in line:
            if not (table in workload.MIXES or table.startswith("levels_of_care.")):  # a mix's weights
                bare.append(line)
    assert not bare, f"keys without a comment: {bare}"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Simulate a facility", 1)[1].split("\n## ", 1)[0]
    assert f"```toml\n{text}```" in section, "the README's copy of simulation/workload.toml differs from the file"
    assert tomllib.loads(text)["start"].isoformat() == "2026-03-02"


def test_the_default_file_given_as_the_workload_simulates_with_its_load_table_left_to_load(tmp_path, capsys):
    # The default file carries `kipu-harness load`'s [load] table too: simulate takes it as a --workload
    # FILE all the same, and neither it nor its results hold anything of that table.
    assert "load" in tomllib.loads(workload.DEFAULT.read_text())
    given = workload.load(workload.DEFAULT)
    assert given.table == workload.load().table and "load" not in given.table
    assert main(["simulate", "--days", "1", "--workload", str(workload.DEFAULT), "--reports", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "simulated 1 days of a 60-bed facility (seed 1" in out and "reconciliation: PASS" in out, out
    written = json.loads((tmp_path / "simulation" / "simulation.json").read_text())
    assert written["workload"] == {"source": str(workload.DEFAULT), **workload.load().as_json()}
    assert written["daily"][0]["census"] >= 48  # the default's opening census, admitted on the first day


def test_the_command_end_to_end(small, tmp_path):
    done = subprocess.run([sys.executable, "-m", "kipu_harness.cli", "simulate", "--days", "2", "--seed", "3",
                           "--workload", str(small), "--reports", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "simulated 2 days of a 12-bed facility (seed 3" in done.stdout and "reconciliation: PASS" in done.stdout
    assert done.stdout.rstrip().endswith(
        f"results: {tmp_path / 'simulation' / 'simulation.json'}, index.html (open it in a browser)")
    assert "reconciled" in (tmp_path / "simulation" / "index.html").read_text()
    assert done.stderr == ""  # no progress bar off a terminal
    written = json.loads((tmp_path / "simulation" / "simulation.json").read_text())
    assert KEYS <= set(written) and written["seed"] == 3 and written["days"] == 2
