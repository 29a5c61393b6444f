"""Kipu API credentials from the user's side: a profile names the secret's environment variable
(never the secret), the built-in EMR driver signs with them, `mocks up` says which clients it
accepts and warns when it accepts anyone, and `kipu-harness call` signs a request by hand."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from kipu_harness.apiauth import DEVELOPMENT, Credential
from kipu_harness.cli import main, write_profile
from kipu_harness.mocks import MockSuite
from kipu_harness.mocks.emr.apiauth import EmrApiAuth
from kipu_harness.mocks.serve import ServedSuite
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.target import Profile, make_drivers
from kipu_harness.waiting import eventually

CLI = [sys.executable, "-m", "kipu_harness.cli"]
NORTH = Credential("north-billing", "north secret", "north-app", "sha256")


def profile(tmp_path, emr_lines: str, crm_lines: str = "", emr_url: str = "http://127.0.0.1:8102") -> str:
    path = tmp_path / "p.toml"
    path.write_text(textwrap.dedent('''
        [systems.crm]
        url = "http://127.0.0.1:8101"
        {crm}
        [systems.emr]
        url = "{emr_url}"
        {emr}
        [systems.rcm]
        url = "http://127.0.0.1:8103"
    ''').format(crm=crm_lines, emr=emr_lines, emr_url=emr_url))
    return str(path)


@pytest.mark.parametrize("emr, crm, says", [
    ('access_id = "a"\napp_id = "b"\nsecret = "s"', "", "never write the secret in this file"),
    ('access_id = "a"\napp_id = "b"\nsecret_env = "KIPU_TEST_UNSET"', "", "KIPU_TEST_UNSET, which is not set"),
    ('access_id = "a"\nsecret_env = "KIPU_TEST_SECRET"', "", "app_id must be given"),
    ('access_id = "a"\napp_id = "b"\nsecret_env = "KIPU_TEST_SECRET"\ndigest = "md5"', "", "digest = 'md5'"),
    ("", 'access_id = "a"\napp_id = "b"\nsecret_env = "KIPU_TEST_SECRET"', "only the EMR speaks Kipu's signed API"),
])
def test_wrong_credentials_are_one_line_before_anything_runs(tmp_path, capsys, monkeypatch, emr, crm, says):
    monkeypatch.setenv("KIPU_TEST_SECRET", "s")
    monkeypatch.delenv("KIPU_TEST_UNSET", raising=False)
    assert main(["run", "--profile", profile(tmp_path, emr, crm), "--reports", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err


def test_the_secret_comes_from_the_environment_and_is_never_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("NORTH_SECRET", "north secret")
    loaded = Profile.load(profile(tmp_path, 'access_id = "north-billing"\napp_id = "north-app"\n'
                                            'secret_env = "NORTH_SECRET"\ndigest = "sha256"'))
    assert loaded.systems["emr"].credential == NORTH
    assert "north secret" not in repr(loaded)


def test_the_built_in_driver_signs_with_the_profiles_client(tmp_path, monkeypatch):
    """A vendor's EMR that knows only its own client: the driver's calls are answered."""
    suite = MockSuite(make_plugin_manager(), emr_auth=EmrApiAuth((NORTH,)))
    served = ServedSuite(suite)
    try:
        monkeypatch.setenv("NORTH_SECRET", "north secret")
        signed = Profile.load(profile(tmp_path, 'access_id = "north-billing"\napp_id = "north-app"\n'
                                                'secret_env = "NORTH_SECRET"\ndigest = "sha256"', emr_url=served.urls["emr"]))
        emr = make_drivers(signed, make_plugin_manager())["emr"]
        patient = emr.create_patient(first_name="Ann", last_name="Lee")
        assert emr.get(patient).first_name == "Ann"
        unsigned = Profile.load(profile(tmp_path, "", emr_url=served.urls["emr"]))
        with pytest.raises(Exception, match="401"):
            make_drivers(unsigned, make_plugin_manager())["emr"].create_patient(first_name="Bo", last_name="Ng")
    finally:
        served.stop()
        suite.close()


def test_a_profile_written_for_configured_clients_names_the_variable_not_the_secret(tmp_path):
    class Served:
        urls = {"crm": "http://127.0.0.1:1", "emr": "http://127.0.0.1:2", "rcm": "http://127.0.0.1:3"}
        mllp = ("127.0.0.1", 4)

    path = tmp_path / "out.toml"
    write_profile(path, Served(), emr_auth=EmrApiAuth((NORTH,)))
    assert "north secret" not in path.read_text()
    assert 'secret_env = "KIPU_HARNESS_EMR_SECRET"' in path.read_text()
    write_profile(path, Served(), emr_auth=EmrApiAuth())  # the development client needs nothing written
    assert "access_id" not in path.read_text()


@pytest.fixture
def served():
    suite = MockSuite(make_plugin_manager())
    served = ServedSuite(suite)
    yield served.urls["emr"]
    served.stop()
    suite.close()


def call(*args):
    return subprocess.run(CLI + ["call", *args], capture_output=True, text=True, timeout=60)


def test_call_signs_prints_the_request_and_masks_ssns(served):
    body = {"document": {"data": {"first_name": "Ann", "last_name": "Lee", "ssn": "123-45-6789"}}}
    done = call("emr", "POST", "/api/patients", "--url", served, "-d", json.dumps(body))
    assert done.returncode == 0, done.stderr
    assert "> POST /api/patients?app_id=kipu-harness-dev-app" in done.stderr
    assert "> Authorization: APIAuth kipu-harness-dev:" in done.stderr and "< 201 CREATED" in done.stderr
    created = json.loads(done.stdout)["patient"]
    assert created["ssn"] == "***-**-6789" and "123-45-6789" not in done.stdout
    census = call("emr", "GET", "/api/patients/census?phi_level=high", "--url", served)
    assert json.loads(census.stdout)["pagination"]["total_records"] == "1"


def test_call_unsigned_is_refused_and_exits_1(served):
    done = call("emr", "GET", "/api/patients/census?phi_level=high", "--url", served, "--unsigned")
    assert done.returncode == 1
    assert json.loads(done.stdout)["errors"] == "Access Denied - API Client app not found"


@pytest.mark.parametrize("args, says", [
    (["emr", "GET", "/api/x", "--url", "http://127.0.0.1:9"], "did not answer"),
    (["emr", "POST", "/api/patients", "-d", "{not json"], "--data is not JSON"),
    (["emr", "GET", "api/x"], "must start with /"),
    (["emr", "GET", "/api/x", "-H", "no colon"], "expected 'NAME: VALUE'"),
])
def test_call_errors_are_one_line(args, says):
    done = call(*args)
    errors = [line for line in done.stderr.splitlines() if not line.startswith("> ")]  # the request as sent
    assert done.returncode == 2 and len(errors) == 1 and says in errors[0], done.stderr


@pytest.mark.parametrize("extra, shows, warns", [
    ([], f"secret {DEVELOPMENT.secret}", False),
    (["--no-auth"], "open to unsigned requests (--no-auth)", True),
])
def test_mocks_up_says_which_clients_it_accepts(extra, shows, warns):
    process = subprocess.Popen(
        CLI + ["mocks", "up", "--memory", "--crm-port", "0", "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0",
               "--mllp-port", "0", "--console-port", "0", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        eventually(lambda: lines.append(process.stdout.readline()) or "Ctrl-C" in lines[-1], timeout=60,
                   what="mocks up")
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    said = "".join(lines) + out
    assert shows in said, said
    assert ("warning: --no-auth" in err) is warns, err
