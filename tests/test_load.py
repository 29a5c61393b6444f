"""Issue 13 (point 3): load on a deployment with Locust, through the same drivers as the suite.

`kipu-harness mocks up` on free ports, then `kipu-harness load` headless against its profile:
standalone, and distributed (a master and two workers, each a process). Locust's CSV statistics
must show every role's own operations and no failure at all. The rest: the workload's [load]
table, the reporting of operations, and the command's one-line refusals.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import os
import socket
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from kipu_harness import cli
from kipu_harness.contract import NotOffered, Refusal
from kipu_harness.load import workload as load_workload_module
from kipu_harness.load.command import locust_command
from kipu_harness.load.operations import Failed, Operations
from kipu_harness.load.roles import ROLE_OPERATIONS
from kipu_harness.load.workload import DEFAULT_WEIGHTS, KEYS, Workload, load_workload, simulation_workload
from kipu_harness.simulation import workload as simulation
from loadkit import FACILITY

# Found, never imported here: importing Locust monkey-patches this process (gevent) for good.
LOCUST = importlib.util.find_spec("locust") is not None

CLI = [sys.executable, "-m", "kipu_harness.cli"]
# Quick users (a short think time) and one-day stays: in 5 s every role's work reaches its end.
WORKLOAD = """[load]
intake_coordinator = 1
clinician = 1
utilization_reviewer = 1
biller = 1
think = [0.05, 0.2]
stay_days = 1
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def statistics(prefix) -> dict[tuple[str, str], dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as stats:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(stats) if row["Name"] != "Aggregated"}


def rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as found:
        return list(csv.DictReader(found))


def check_run(prefix, log: str) -> None:
    """Every role's own operations were made, and nothing failed: no failed request, no exception."""
    stats = statistics(prefix)
    table = "\n".join(f"{t} {n}: {r['Request Count']} ({r['Failure Count']} failed)"
                      for (t, n), r in sorted(stats.items()))
    problems = [rows(f"{prefix}_failures.csv"), rows(f"{prefix}_exceptions.csv")]
    why = f"{table}\nfailures and exceptions: {problems}\n{log[-3000:]}"
    for role, operations in ROLE_OPERATIONS.items():
        for operation in operations:
            assert operation in stats and int(stats[operation]["Request Count"]) > 0, f"{role} {operation}\n{why}"
    assert all(row["Failure Count"] == "0" for row in stats.values()) and problems == [[], []], why


@pytest.mark.skipif(not LOCUST, reason="kipu-harness load needs Locust: pip install 'kipu-harness[load]'")
def test_locust_runs_every_role_standalone_and_distributed_with_no_failure(mocks_up, tmp_path):
    started = time.monotonic()
    workload = tmp_path / "workload.toml"
    workload.write_text(WORKLOAD)
    run = ["load", "--profile", str(mocks_up), "--workload", str(workload)]
    users = ["--headless", "-u", "4", "-r", "4", "-t", "5s"]

    # 10 s on the fresh mocks: each role's first task must end a second before the run does (Locust
    # rewrites the CSV once a second), and on a busy machine a biller's first one (an admission, the
    # insurance and authorizations, the mocks' first claim) may take 5 s.
    alone = subprocess.run(CLI + run + users[:-1] + ["10s", "--csv", str(tmp_path / "alone")], capture_output=True,
                           text=True, timeout=40)
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert "answers" in alone.stdout and "mix: intake_coordinator 1, clinician 1" in alone.stderr
    # The drivers' imports (requests among them) come after gevent's monkey-patching: no warning of it.
    assert "MonkeyPatchWarning" not in alone.stderr and "Traceback" not in alone.stderr
    check_run(tmp_path / "alone", alone.stderr)

    port = free_port()
    master = subprocess.Popen(
        CLI + run + ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                     "--expect-workers", "2", "--expect-workers-max-wait", "30", *users,
                     "--csv", str(tmp_path / "spread")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    worker = ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    # One worker with the profile and workload of its own, one with the master's.
    workers = [subprocess.Popen(CLI + command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for command in (run + worker, ["load", *worker])]
    try:
        _, master_err = master.communicate(timeout=45)
        ended = [w.communicate(timeout=15) for w in workers]
    finally:
        for process in (master, *workers):
            if process.poll() is None:
                process.kill()
    assert master.returncode == 0, master_err[-3000:]
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _, err in ended]
    assert "2 workers connected" in master_err
    check_run(tmp_path / "spread", master_err)
    assert time.monotonic() - started < 60


# -- the workload ------------------------------------------------------------------------------------

def test_without_a_file_load_reads_the_default_workload_files_load_table_with_the_documented_values():
    assert simulation_workload() == simulation.DEFAULT
    text = simulation.DEFAULT.read_text()
    table = tomllib.loads(text)["load"]
    assert set(table) == set(KEYS)  # every key written out in the file, none left to the code
    workload = load_workload(None)
    assert workload.path == simulation.DEFAULT and workload == Workload(path=simulation.DEFAULT)
    assert workload.weights == DEFAULT_WEIGHTS == {"intake_coordinator": 3, "clinician": 3, "utilization_reviewer": 2,
                                                   "biller": 2}
    assert (workload.think, workload.stay_days, workload.billing_user) == ((0.5, 2.0), 3, "biller")
    assert (workload.payer, workload.payer_id, workload.payer_phone) == ("Aetna", "60054", "800-872-3862")
    # The docstring and the README's Locust section show that table as the file has it.
    shown = text[text.index("\n[load]") + 1:]
    assert textwrap.indent(shown, "    ") in load_workload_module.__doc__, "load/workload.py's copy differs"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Load on a deployment with Locust", 1)[1].split("\n## ", 1)[0]
    assert f"```toml\n{shown}```" in section, "the README's copy of the [load] table differs from the file"


def test_one_file_with_the_simulations_tables_and_a_load_table_serves_both_commands(tmp_path):
    both = tmp_path / "facility.toml"
    both.write_text('beds = 20\nopening_census = 5\n[arrivals]\nper_day = 1.5\n[insurance.payers]\nCigna = 1\n'
                    '[load]\nclinician = 0\nbiller = 5\nthink = [0, 1]\nbilling_user = "pat"\n')
    facility = simulation.load(both)
    assert (facility.beds, facility.opening_census, facility.arrivals_per_day) == (20, 5, 1.5)
    assert facility.payers == (("Cigna", 1.0),) and facility.conversion == simulation.load().conversion
    assert "load" not in facility.as_json()
    workload = load_workload(both)
    assert workload.weights == {**DEFAULT_WEIGHTS, "clinician": 0, "biller": 5}
    assert (workload.think, workload.billing_user, workload.stay_days) == ((0.0, 1.0), "pat", 3)
    assert workload.path == both and load_workload(str(both)) == workload


@pytest.mark.parametrize("table, wrong", [
    ("nurse = 1", "unknown key(s) nurse; known: intake_coordinator"),
    ('clinician = "2"', "clinician = '2': expected a whole number"),
    ("biller = -1", "biller = -1: expected a whole number"),
    ("intake_coordinator = 0\nclinician = 0\nutilization_reviewer = 0\nbiller = 0", "every role's weight is 0"),
    ("think = [2, 1]", "think = [2, 1]: expected [MIN, MAX] seconds"),
    ("stay_days = 40", "stay_days = 40: expected 1 to 28"),
    ('payer = ""', "payer = '': expected a non-empty string"),
    ('admitted_on = "2026-03-02"', "admitted_on = '2026-03-02': expected a date, YYYY-MM-DD without quotes"),
    ("authorized_until = 2026-03-31T08:00:00", "authorized_until = 2026-03-31T08:00:00: expected a date"),
    ("insurance_effective_date = 1", "insurance_effective_date = 1: expected a date"),
    ("authorized_until = 2026-03-01", "authorized_until = 2026-03-01: expected 2026-03-05 or later (admitted_on "
                                      "2026-03-02 + stay_days 3: the authorizations cover every day billed)"),
    ("admitted_on = 2026-03-30", "authorized_until = 2026-03-31: expected 2026-04-02 or later"),
    ("stay_days = 28\nadmitted_on = 2026-03-04", "authorized_until = 2026-03-31: expected 2026-04-01 or later"),
    ("insurance_effective_date = 2026-03-03", "insurance_effective_date = 2026-03-03: expected 2026-03-02 or earlier"),
    ('level_of_care = " "', "level_of_care = ' ': expected a non-empty string"),
    ("per_diem_template = 5", "per_diem_template = 5: expected a non-empty string (in quotes)"),
    ("group_template = true", "group_template = True: expected a non-empty string"),
    ('therapy = "Individual Therapy 60"', "unknown key(s) therapy; known: intake_coordinator"),
])
def test_a_wrong_load_table_is_one_line_naming_the_key(tmp_path, table, wrong):
    path = tmp_path / "w.toml"
    path.write_text(f"[load]\n{table}\n")
    with pytest.raises(ValueError, match="^workload .*w.toml: \\[load\\] ") as raised:
        load_workload(path)
    assert wrong in str(raised.value) and "\n" not in str(raised.value)


def test_the_facility_keys_read_as_given_and_default_to_the_default_facility(tmp_path):
    defaults = Workload()
    assert (defaults.admitted_on, defaults.authorized_until, defaults.insurance_effective_date) == (
        dt.date(2026, 3, 2), dt.date(2026, 3, 31), dt.date(2026, 1, 1))
    assert (defaults.level_of_care, defaults.per_diem_template, defaults.group_template, defaults.therapy_template) == (
        "Residential", "Residential Day", "Group Therapy", "Individual Therapy 60")
    path = tmp_path / "w.toml"
    path.write_text(FACILITY)
    workload = load_workload(path)
    assert (workload.admitted_on, workload.authorized_until, workload.insurance_effective_date) == (
        dt.date(2026, 4, 6), dt.date(2026, 4, 30), dt.date(2026, 4, 1))
    assert (workload.level_of_care, workload.per_diem_template, workload.therapy_template) == (
        "PHP", "PHP Day", "Psychiatric Evaluation")
    assert workload.group_template == "Group Therapy" and workload.stay_days == 2  # left out: the default


# -- reporting -----------------------------------------------------------------------------------------

def test_each_operation_is_reported_by_name_and_a_failure_once():
    fired = []
    ops = Operations(lambda **event: fired.append(event), "biller", wait_timeout=0)
    assert ops("RCM", "claims", lambda patient_id: [{"id": patient_id}], 7) == [{"id": 7}]
    assert fired[-1]["request_type"] == "RCM" and fired[-1]["name"] == "claims"
    assert fired[-1]["exception"] is None and fired[-1]["response_length"] == len(b'[{"id":7}]')
    assert fired[-1]["response_time"] >= 0 and fired[-1]["context"] == {"role": "biller"}

    def refused():
        raise Refusal(409, "no", {"x": "wrong"})

    with pytest.raises(Failed):
        ops("EMR", "transmit", refused)
    assert fired[-1]["name"] == "transmit" and isinstance(fired[-1]["exception"], Refusal) and len(fired) == 2

    def not_offered():
        raise NotOffered("no evaluations here")

    assert ops("EMR", "document evaluation", not_offered) is None
    assert ops("EMR", "document evaluation", lambda: 1 / 0) is None  # not offered: never called again
    assert len(fired) == 2


def test_a_wait_reports_its_whole_time_and_fails_when_it_runs_out():
    fired, answers = [], iter([None, None, "here"])
    ops = Operations(lambda **event: fired.append(event), "intake_coordinator", wait_timeout=30, poll_interval=0)
    assert ops.wait("RCM admits the patient", lambda: next(answers)) == "here"
    assert [(e["request_type"], e["name"], e["exception"]) for e in fired] == [("wait", "RCM admits the patient", None)]
    never = Operations(lambda **event: fired.append(event), "biller", wait_timeout=0)
    with pytest.raises(Failed, match="RCM receives the charges: not within 0 s"):
        never.wait("RCM receives the charges", lambda: None)
    assert isinstance(fired[-1]["exception"], TimeoutError)


# -- the command ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments, problem", [
    (["load"], "kipu-harness load needs a profile: --profile FILE"),
    (["load", "--profile", "missing.toml"], "missing.toml does not exist"),
    (["load", "--profile", "p.toml", "-f", "mine.py"], "runs the harness's locustfile"),
    (["load", "--profile", "p.toml", "--workload", "w.toml"], "workload w.toml: [load] unknown key(s) nurse"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, capsys, monkeypatch, arguments, problem):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIPU_HARNESS_PROFILE", raising=False)
    (tmp_path / "w.toml").write_text("[load]\nnurse = 2\n")
    (tmp_path / "p.toml").write_text('[systems.crm]\nurl = "http://127.0.0.1:9"\n')
    assert cli.main(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith("kipu-harness: error: ") and problem in err and err.count("\n") == 1, err


def test_without_locust_the_command_says_how_to_install_it(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a))
    assert cli.main(["load", "--profile", "p.toml"]) == 2
    assert "needs Locust: pip install 'kipu-harness[load]'" in capsys.readouterr().err


def test_the_locust_command_is_headless_unless_the_web_ui_or_a_worker(tmp_path):
    args = cli.build_parser().parse_known_args(["load", "--profile", "p.toml"])[0]
    command = locust_command(args, ["-u", "3"])
    assert command[:3] == [sys.executable, "-m", "locust"] and command[4].endswith("locustfile.py")
    assert command[5:] == ["--kipu-profile", os.path.abspath("p.toml"), "--headless", "-u", "3"]
    assert "--headless" not in locust_command(args, ["--worker"])
    assert locust_command(args, ["--headless", "-t", "1s"]).count("--headless") == 1
    web = cli.build_parser().parse_known_args(["load", "--profile", "p.toml", "--web", "--web-port", "8090"])
    assert web[1] == ["--web-port", "8090"] and "--headless" not in locust_command(*web)
