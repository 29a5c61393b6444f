"""Issue 8, point 2: the suite on systems that keep everything, as a vendor's are.

`kipu-harness mocks up`, every system marked not mocked (no reset, no journal, no clock, no
payer set-up) and no reset allowed: the suite runs twice in a row against the same data, the
second time in two pytest-xdist workers at once. Both runs pass: every scenario finds its own
records, whatever the systems already hold and whatever runs beside it; the scenarios that need a
mock's capability are skipped, each saying why.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib

import pytest

from kipu_harness.apiauth import DEVELOPMENT

CLI = [sys.executable, "-m", "kipu_harness.cli"]


@pytest.fixture
def dirty_profile(mocks_up, tmp_path):
    """`mocks up` in memory on free ports (tests/mockkit.py), and a profile that treats every
    system as a real one."""
    systems = tomllib.loads(mocks_up.read_text())["systems"]
    # settle = 0: mocks up answers a write after making its deliveries, so nothing arrives later
    # for a negative check to wait for; the waiting is not what this test is about.
    lines = ['name = "dirty"', "allow_reset = false", "settle = 0"]
    for system, entry in systems.items():
        lines += ["", f"[systems.{system}]", f'url = "{entry["url"]}"', "mocked = false"]
        if system == "emr":  # a real EMR is signed for with the profile's client
            lines += [f'access_id = "{DEVELOPMENT.access_id}"', f'app_id = "{DEVELOPMENT.app_id}"',
                      'secret_env = "DIRTY_EMR_SECRET"']
        if "mllp" in entry:
            lines.append(f'mllp = "{entry["mllp"]}"')
    profile = tmp_path / "dirty.toml"
    profile.write_text("\n".join(lines) + "\n")
    return profile


def run(profile, reports, *more):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "DIRTY_EMR_SECRET": DEVELOPMENT.secret}
    done = subprocess.run(CLI + ["run", "--profile", str(profile), "--reports", str(reports), *more],
                          capture_output=True, text=True, cwd=reports.parent, env=env, timeout=900)
    return done, json.loads((reports / "requirements.json").read_text())


def outcomes(requirements):
    return {s["nodeid"]: s["outcome"] for r in requirements["requirements"] for s in r["scenarios"] if s["nodeid"]}


def check(done, requirements):
    assert done.returncode == 0, done.stdout[-4000:]
    summary = [line for line in done.stdout.splitlines() if re.search(r" in [\d.]+s\b", line)][-1]
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|errors?)\b", summary)}
    assert counts.get("passed") and not counts.get("failed") and not counts.get("error"), counts
    # Every skip is a capability the profile's systems lack, and says so (pytest -rs prints each reason).
    reasons = re.findall(r"^SKIPPED \[(\d+)\] .*?: (.*)$", done.stdout, re.M)
    assert counts.get("skipped") and sum(int(n) for n, _ in reasons) == counts["skipped"], done.stdout[-4000:]
    assert all("does not declare capability" in why for _, why in reasons), reasons
    assert "failed" not in set(outcomes(requirements).values())


def test_the_suite_passes_twice_on_systems_that_keep_everything_the_second_time_in_parallel(dirty_profile, tmp_path):
    first, first_requirements = run(dirty_profile, tmp_path / "first")
    check(first, first_requirements)
    second, second_requirements = run(dirty_profile, tmp_path / "second", "-n", "2")
    check(second, second_requirements)
    # The workers' shares add up to the whole run: the same scenarios, with the same outcomes.
    assert outcomes(second_requirements) == outcomes(first_requirements)
