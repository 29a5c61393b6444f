"""The kipu-harness command: help, argument errors, and the suite against `mocks up` via a profile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from kipu_harness.apiauth import DEVELOPMENT, Credential, KipuAuth
from kipu_harness.cli import main
from kipu_harness.waiting import eventually

CLI = [sys.executable, "-m", "kipu_harness.cli"]


@pytest.mark.parametrize("argv", [["--help"], ["mocks", "--help"], ["mocks", "up", "--help"], ["run", "--help"]])
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    assert "usage: kipu-harness" in capsys.readouterr().out


@pytest.mark.parametrize("argv, says", [
    ([], "required"),
    (["launch"], "invalid choice"),
    (["mocks", "up", "--frobnicate"], "unrecognized arguments"),
    (["run", "--target", "local", "--profile", "x.toml"], "not allowed with"),
    (["mocks", "up", "--crm-port", "eighty"], "argument --crm-port: 'eighty' is not a port number"),
])
def test_a_wrong_argument_is_one_line_and_exit_2(argv, says, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert says in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, says", [
    (["run", "--target", "nope"], "unknown target 'nope'; known: inprocess, local, remote"),
    (["run", "--profile", "missing.toml"], "missing.toml does not exist"),
])
def test_a_wrong_value_is_one_line_and_exit_2(argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_a_broken_profile_is_one_line_and_exit_2(capsys, tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[systems.crm]\nurl = "http://127.0.0.1:1"\n')
    assert main(["run", "--profile", str(profile), "--reports", str(tmp_path / "r")]) == 2
    assert "[systems.emr] needs a url" in capsys.readouterr().err


def run_cli(*args, cwd, env=None):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(CLI + ["run", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_the_suite_passes_through_a_profile_pointing_at_mocks_up(mocks_up, tmp_path):
    reports = tmp_path / "reports"
    done = run_cli("--profile", str(mocks_up), "--reports", str(reports), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "requirements (remote (kipu-harness mocks))" in done.stdout
    requirements = json.loads((reports / "requirements.json").read_text())
    covered = [r for r in requirements["requirements"] if r["catalogue_status"] == "covered"]
    assert covered and all(r["outcome"] == "proved" for r in covered)
    cucumber = json.loads((reports / "cucumber.json").read_text())
    tags = {t["name"] for feature in cucumber for element in feature["elements"] for t in element["tags"]}
    assert {"REQ-SYS-05", "REQ-PAT-16", "needs-clock"} <= tags
    assert (reports / "junit.xml").read_text().count("<testcase") > 50


def test_a_real_system_in_the_profile_removes_mock_only_capabilities(mocks_up, tmp_path):
    # As a vendor would: their EMR is real (here: the same server, but not marked mocked), so
    # nothing may be reset and the scenarios that need the clock or the journal are skipped.
    profile = tmp_path / "vendor.toml"
    # A real EMR is signed for with the profile's credentials: the secret from the environment.
    profile.write_text(mocks_up.read_text().replace(
        "[systems.emr]\n", "[systems.emr]\n# the vendor's own EMR\n"
                           'access_id = "kipu-harness-dev"\napp_id = "kipu-harness-dev-app"\nsecret_env = "VENDOR_EMR_SECRET"\n'
    ).replace("mocked = true\n\n[systems.rcm]", "mocked = false\n\n[systems.rcm]"))
    assert "mocked = false" in profile.read_text()
    done = run_cli("--profile", str(profile), "--reports", str(tmp_path / "r"), "--", "-k", "PAT-17 or DG1 or diagnosis",
                   cwd=tmp_path, env={"VENDOR_EMR_SECRET": "kipu-harness-dev-secret"})
    assert done.returncode == 0, done.stdout[-3000:]
    assert "does not declare capability 'clock'" in done.stdout, done.stdout
    assert "SKIPPED" in done.stdout and " passed" in done.stdout, done.stdout


def test_mocks_up_with_a_seed_starts_with_a_census_once(tmp_path):
    """`--seed N` fills empty mocks through their own APIs; a restart on the same data keeps it."""
    import requests

    data, profile = tmp_path / "data", tmp_path / "p.toml"

    def up():
        return subprocess.Popen(
            CLI + ["mocks", "up", "--data", str(data), "--seed", "3", "--census", "6", "--profile-out", str(profile),
                   "--crm-port", "0", "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0", "--mllp-port", "0",
                   "--console-port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def rcm_url():
        import tomllib

        return tomllib.loads(profile.read_text())["systems"]["rcm"]["url"]

    outputs = []
    for _ in range(2):
        profile.unlink(missing_ok=True)
        process = up()
        try:
            eventually(lambda: profile.exists() and "mllp" in profile.read_text(), timeout=60, what="mocks up")
            patients = requests.get(rcm_url() + "/rcm/patients", timeout=10).json()["patients"]
            assert len(patients) == 6
            assert sorted(p["status"] for p in patients) == ["Admitted"] * 4 + ["Prospective Patient"] * 2
        finally:
            process.send_signal(signal.SIGINT)
            outputs.append(process.communicate(timeout=30)[0])
    assert "census (seed 3): 6 payers, 2 prospects, 4 admitted" in outputs[0]
    assert "not seeded, the data folder already has patients" in outputs[1]


def _free_ports(count):
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_a_vendors_real_emr_runs_against_the_mock_crm_and_rcm(tmp_path):
    """The vendor case: their EMR (here another `mocks up`, standing in for it) is real; the
    harness's CRM, RCM and payer send to it and it sends to them; the suite runs through a profile."""
    import requests

    a_emr, a_crm, a_rcm, a_payer, a_mllp, b_emr, b_crm, b_rcm, b_payer, b_mllp = _free_ports(10)
    profile, config = tmp_path / "vendor.toml", tmp_path / "vendor-config.toml"
    # The vendor's EMR knows its own API client, not the harness's development one.
    config.write_text('[[emr_api.clients]]\naccess_id = "harness-ci"\napp_id = "vendor-app-7"\n'
                      'secret = "s3cret of the vendor"\ndigest = "sha256"\n')
    vendor = subprocess.Popen(
        CLI + ["mocks", "up", "--memory", "--crm-port", str(a_crm), "--emr-port", str(a_emr), "--rcm-port", str(a_rcm),
               "--payer-port", str(a_payer), "--mllp-port", str(a_mllp), "--console-port", "0", "--config", str(config),
               "--rcm-url", f"http://127.0.0.1:{b_rcm}", "--rcm-mllp", f"127.0.0.1:{b_mllp}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    harness = subprocess.Popen(
        CLI + ["mocks", "up", "--memory", "--crm-port", str(b_crm), "--emr-port", str(b_emr), "--rcm-port", str(b_rcm),
               "--payer-port", str(b_payer), "--mllp-port", str(b_mllp), "--console-port", "0",
               "--emr-url", f"http://127.0.0.1:{a_emr}",
               "--profile-out", str(profile)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        eventually(lambda: profile.exists() and "mllp" in profile.read_text(), timeout=60, what="mocks up")
        def answers(port):
            try:
                return requests.get(f"http://127.0.0.1:{port}/_mock/health", timeout=5).ok
            except requests.ConnectionError:
                return False

        eventually(lambda: answers(a_emr), timeout=60, what="the vendor's EMR")
        assert f'url = "http://127.0.0.1:{a_emr}"\nmocked = false' in profile.read_text()
        profile.write_text(profile.read_text().replace(
            f'url = "http://127.0.0.1:{a_emr}"\n', f'url = "http://127.0.0.1:{a_emr}"\naccess_id = "harness-ci"\n'
            'app_id = "vendor-app-7"\ndigest = "sha256"\nsecret_env = "VENDOR_EMR_SECRET"\n'))
        done = run_cli("--profile", str(profile), "--reports", str(tmp_path / "r"), "--", "-k",
                       "prospect or initial_connection or insurance_and_a_treatment", cwd=tmp_path,
                       env={"VENDOR_EMR_SECRET": "s3cret of the vendor"})
        assert done.returncode == 0, done.stdout[-3000:]
        assert " passed" in done.stdout and "failed" not in done.stdout.split("requirements (")[-1]
        # The vendor's EMR did the work; the harness's own EMR mock stayed idle.
        vendor_client = Credential("harness-ci", "s3cret of the vendor", "vendor-app-7", "sha256")

        def census(port, credential):
            return requests.get(f"http://127.0.0.1:{port}/api/patients/census?phi_level=high", timeout=5,
                                auth=KipuAuth(credential)).json()

        assert int(census(a_emr, vendor_client)["pagination"]["total_records"]) > 0
        assert census(b_emr, DEVELOPMENT)["patients"] == []
        assert census(a_emr, DEVELOPMENT)["status_code"] == 401  # its only client is the configured one
    finally:
        for process in (harness, vendor):
            process.send_signal(signal.SIGINT)
        outputs = [process.communicate(timeout=30) for process in (harness, vendor)]
    assert [p.returncode for p in (harness, vendor)] == [0, 0], [err for _, err in outputs]
    assert f"EMR traffic goes to http://127.0.0.1:{a_emr}" in outputs[0][0]


@pytest.mark.parametrize("inherited", ["ignored", "blocked"])
def test_mocks_up_stops_on_ctrl_c_even_if_it_began_with_sigint_ignored_or_blocked(tmp_path, inherited):
    # Both are inherited from a parent (a shell's background job; a thread that blocks signals
    # while it spawns): the fresh-clone CI saw mocks up not stop on SIGINT in a long test run.
    def start_child():
        if inherited == "ignored":
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    profile = tmp_path / "mocks.toml"
    process = subprocess.Popen(
        CLI + ["mocks", "up", "--memory", "--crm-port", "0", "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0",
               "--mllp-port", "0", "--console-port", "0", "--profile-out", str(profile)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=start_child)
    try:
        eventually(lambda: profile.exists() and "mllp" in profile.read_text(), timeout=60, what="mocks up")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0 and out.rstrip().endswith("stopped."), (out[-200:], err)


def test_mocks_up_refuses_a_port_out_of_range_in_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["mocks", "up", "--memory", "--crm-port", "99999"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "argument --crm-port: 99999 is not a port (0 to 65535" in err and "Traceback" not in err


def test_mocks_up_names_the_port_that_is_taken(tmp_path):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        done = subprocess.run(CLI + ["mocks", "up", "--memory", "--crm-port", "0", "--emr-port", str(taken),
                                     "--rcm-port", "0", "--payer-port", "0", "--mllp-port", "0"],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"kipu-harness: error: --emr-port {taken} on 127.0.0.1: address already in use"], done.stderr
