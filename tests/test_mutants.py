"""The suite tests itself: every requirement has a mutant (a deliberately broken mock or reference
integration, tests/mutants/), and every mutant is killed by the scenarios of its own rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mutants
from kipu_harness.catalogue import load_catalogue
from mutants.kit import MutantOutOfDate

RUNNER = Path(__file__).resolve().parent / "mutants"


def test_every_requirement_has_a_mutant_and_every_mutant_a_known_requirement():
    named = {rid for m in mutants.all_mutants() for rid in m.requirements}
    catalogue = set(load_catalogue())
    assert sorted(catalogue - named) == [], "requirements with no mutant"
    assert sorted(named - catalogue) == [], "mutants of requirements the catalogue does not have"


def test_a_wrapped_function_changes_for_every_holder_of_it():
    def price(amount, *, rate=2):
        return amount * rate

    held = {"view": price}  # as a Flask app or a plugin manager holds a function
    mutants.wrap(price, lambda original, amount, rate=2: original(amount, rate=rate) + 1)
    assert (held["view"](3), held["view"](3, rate=10)) == (7, 31)
    mutants.replace(price, lambda amount, rate=2: -amount)
    assert held["view"](3) == -3


def test_a_mutant_that_no_longer_fits_its_function_says_so():
    def send(patient, trigger):
        return (patient, trigger)

    mutants.wrap(send, lambda original, patient: original(patient, "A08"))  # written for an older send(patient)
    with pytest.raises(MutantOutOfDate, match="send is called with 2 arguments"):
        send("p", "A01")


def test_every_mutant_is_killed_by_the_scenarios_of_its_rule(tmp_path):
    verdicts = tmp_path / "verdicts.json"
    # Output to a file, not a pipe: nothing can stall on a full pipe. The runner forks 2 at a time.
    with open(tmp_path / "output.txt", "w") as out:
        code = subprocess.run([sys.executable, str(RUNNER), "--json", str(verdicts), "--keep", str(tmp_path / "runs")],
                              stdout=out, stderr=subprocess.STDOUT, timeout=1500).returncode
    output = (tmp_path / "output.txt").read_text()
    assert verdicts.exists(), f"the runner wrote no verdicts (exit {code}):\n{output[-3000:]}"
    not_killed = [
        f"{v['name']} [{', '.join(v['requirements'])}]: {v['verdict']}; ran "
        + (", ".join(f"{s['name']} ({s['outcome']})" for s in v["scenarios"]) or "no scenario")
        for v in json.loads(verdicts.read_text()) if v["verdict"] != "killed"
    ]
    assert not_killed == [], "mutants the suite does not kill:\n" + "\n".join(not_killed)
    assert code == 0, output[-3000:]
