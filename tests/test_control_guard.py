"""Who may change a mock (mocks/common/guard.py): the control routes need the suite's token, a
foreign Origin is refused, and a state-changing route takes JSON (or its own documented text)
only. A refused request changes nothing. Served tests talk to 127.0.0.1 only."""

from __future__ import annotations

import signal
import subprocess
import tomllib

import pytest
import requests

from kipu_harness.cli import is_loopback, write_profile
from kipu_harness.clients import MockControl
from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.mocks.common.guard import TOKEN_HEADER
from kipu_harness.mocks.serve import ServedSuite
from kipu_harness.target import Profile
from kipu_harness.transport import CONTROL_TOKEN_HEADER, HttpTransport, signing_client
from kipu_harness.waiting import eventually
from mockkit import CLI, state

PROSPECT = {"first_name": "Ann", "last_name": "Lee"}
CONTROL = [("GET", "/_mock/journal"), ("POST", "/_mock/reset"), ("GET", "/_mock/clock"),
           ("POST", "/_mock/clock"), ("GET", "/_mock/outbox"), ("POST", "/_mock/outbox/deliver"),
           ("GET", "/_mock/faults")]


@pytest.fixture
def suite(pm):
    suite = MockSuite(pm)
    yield suite
    suite.close()


def bare(suite: MockSuite, system: str):
    """A client that sends no control token (the EMR's still signs: Kipu's API needs it)."""
    return signing_client(suite.apps[system], suite.emr_auth.signer if system == "emr" else None)


def refused(response, status: int, field: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status_code"] == status and [p["field"] for p in body["problems"]] == [field], body


def with_a_prospect(suite: MockSuite):
    client = bare(suite, "crm")
    assert client.post("/crm/prospects", json=PROSPECT).status_code == 201
    return client


# -- the control token --------------------------------------------------------------------------

@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("method,path", CONTROL)
def test_every_control_route_needs_the_token(suite, system, method, path):
    client = bare(suite, system)
    body = {"json": {"now": None}} if path == "/_mock/clock" and method == "POST" else {}
    refused(client.open(path, method=method, **body), 401, TOKEN_HEADER)
    refused(client.open(path, method=method, headers={TOKEN_HEADER: "not-the-token"}, **body), 403, TOKEN_HEADER)
    assert client.open(path, method=method, headers={TOKEN_HEADER: suite.guard.token}, **body).status_code == 200


@pytest.mark.parametrize("system", SYSTEMS)
def test_health_stays_open_and_says_only_ok(suite, system):
    response = bare(suite, system).get("/_mock/health")
    assert response.status_code == 200 and response.get_json() == {"system": system, "status": "ok"}


def test_a_reset_without_the_token_wipes_nothing(suite):
    client = with_a_prospect(suite)
    before = state(suite)
    for headers in ({}, {TOKEN_HEADER: ""}, {TOKEN_HEADER: suite.guard.token[:-1]}):
        assert client.post("/_mock/reset", headers=headers).status_code in (401, 403)
    assert state(suite) == before and before["crm"]["prospect"]


def test_the_harness_header_name_is_the_guards():
    assert CONTROL_TOKEN_HEADER == TOKEN_HEADER == "X-Kipu-Mock-Token"


# -- Origin -------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost.evil.example",
                                    "http://127.0.0.1:1", "https://localhost", "file://"])
def test_a_foreign_origin_is_refused_and_changes_nothing(suite, origin):
    client = with_a_prospect(suite)
    before = state(suite)
    headers = {"Origin": origin}
    refused(client.post("/_mock/reset", headers={**headers, TOKEN_HEADER: suite.guard.token}), 403, "Origin")
    refused(client.post("/crm/prospects", json=PROSPECT, headers=headers), 403, "Origin")
    refused(client.get("/_mock/journal", headers={**headers, TOKEN_HEADER: suite.guard.token}), 403, "Origin")
    assert state(suite) == before


def test_the_mocks_own_origin_is_welcome(suite):
    client = bare(suite, "crm")  # the test client's Host is localhost: its own origin is http://localhost
    assert client.post("/crm/prospects", json=PROSPECT, headers={"Origin": "http://localhost"}).status_code == 201


# -- body types ---------------------------------------------------------------------------------

FORMS = [("text/plain", '{"first_name": "Ann", "last_name": "Lee"}'),
         ("application/x-www-form-urlencoded", "first_name=Ann&last_name=Lee"),
         ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'),
         (None, '{"first_name": "Ann", "last_name": "Lee"}')]


@pytest.mark.parametrize("content_type,data", FORMS, ids=["text", "urlencoded", "multipart", "none"])
def test_a_body_that_is_not_json_is_a_415_and_changes_nothing(suite, content_type, data):
    client = with_a_prospect(suite)
    before = state(suite)
    kwargs = {"data": data, **({"content_type": content_type} if content_type else {})}
    refused(client.post("/crm/prospects", **kwargs), 415, "Content-Type")
    refused(bare(suite, "rcm").patch("/rcm/billing_settings", **kwargs), 415, "Content-Type")
    refused(client.put("/crm/payers/1", **kwargs), 415, "Content-Type")
    refused(client.delete("/_mock/faults", headers={TOKEN_HEADER: suite.guard.token}, **kwargs), 415, "Content-Type")
    refused(client.post("/_mock/clock", headers={TOKEN_HEADER: suite.guard.token}, **kwargs), 415, "Content-Type")
    refused(bare(suite, "rcm").patch("/rcm/patients/1/profile", **kwargs), 415, "Content-Type")
    assert state(suite) == before


def test_json_in_its_own_types_and_a_request_without_a_body_pass(suite):
    client = with_a_prospect(suite)
    made = client.post("/crm/prospects", data='{"first_name": "Bo", "last_name": "Lee"}',
                       content_type="application/json; charset=utf-8")
    assert made.status_code == 201
    opportunity = client.post("/crm/prospects/1/opportunities", json={}).get_json()["opportunity"]
    assert client.post(f"/crm/opportunities/{opportunity['id']}/push").status_code == 200  # no body


@pytest.mark.parametrize("content_type", ["text/plain", "application/hl7-v2"])
def test_the_rcm_hl7_route_keeps_its_text_types_and_refuses_json(suite, content_type):
    adt = ("MSH|^~\\&|EMR|F|RCM|F|20240301120000||ADT^A04^ADT_A01|G1|P|2.5.1\rEVN|A04|20240301120000\r"
           "PID|1||77^^^KIPUEMR^PI||Lee^Ann||19800102|F\rPV1|1|P")
    rcm = bare(suite, "rcm")
    assert rcm.post("/rcm/hl7", data=adt, content_type=content_type).status_code == 200
    refused(rcm.post("/rcm/hl7", data=adt, content_type="application/json"), 415, "Content-Type")


def test_the_document_declares_the_token_and_the_415(suite):
    spec = bare(suite, "rcm").get("/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["MockToken"] == {
        "type": "apiKey", "in": "header", "name": TOKEN_HEADER, "description": spec["components"]["securitySchemes"][
            "MockToken"]["description"]}
    reset = spec["paths"]["/_mock/reset"]["post"]
    assert reset["security"] == [{"MockToken": []}] and {"401", "403"} <= set(reset["responses"])
    assert "security" not in spec["paths"]["/_mock/health"]["get"]
    assert "415" in spec["paths"]["/rcm/patients/{patient_id}/profile"]["patch"]["responses"]


# -- served on loopback: origins, the profile, the remote target ---------------------------------

@pytest.fixture
def served(pm, tmp_path):
    suite = MockSuite(pm)
    served = ServedSuite(suite)
    yield served
    served.stop()
    suite.close()


def test_served_mocks_take_each_others_origins_and_refuse_a_rebound_host(served):
    crm, emr = served.urls["crm"], served.urls["emr"]
    port = crm.rsplit(":", 1)[1]
    for origin in (emr, crm, f"http://localhost:{port}", f"http://[::1]:{port}"):
        answer = requests.post(f"{crm}/crm/prospects", json=PROSPECT, headers={"Origin": origin}, timeout=10)
        assert answer.status_code == 201, (origin, answer.text)
    # DNS rebinding: a page of evil.example resolved to 127.0.0.1 is its own origin, but not the mocks'.
    rebound = requests.post(f"{crm}/crm/prospects", json=PROSPECT, timeout=10,
                            headers={"Origin": f"http://evil.example:{port}", "Host": f"evil.example:{port}"})
    assert rebound.status_code == 403
    form = requests.post(f"{crm}/crm/prospects", data="first_name=Ann&last_name=Lee", timeout=10,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415


def test_the_profile_carries_the_token_and_the_remote_target_sends_it(served, tmp_path):
    path = tmp_path / "mocks.toml"
    write_profile(path, served, allow_reset=True, control_token=served.suite.guard.token)
    assert tomllib.loads(path.read_text())["control_token"] == served.suite.guard.token
    profile = Profile.load(path)
    assert {a.control_token for a in profile.systems.values()} == {served.suite.guard.token}
    control = MockControl(HttpTransport(profile.systems["rcm"].url), profile.systems["rcm"].control_token)
    assert control.journal() == [] and control.reset() is None
    with pytest.raises(Exception, match="401"):
        MockControl(HttpTransport(profile.systems["rcm"].url)).journal()


def test_a_systems_own_token_wins_and_a_bad_one_is_named(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('control_token = "top-level-token"\n[systems.crm]\nurl = "http://127.0.0.1:1"\nmocked = true\n'
                    'control_token = "crm-only-token"\n[systems.emr]\nurl = "http://127.0.0.1:2"\n'
                    '[systems.rcm]\nurl = "http://127.0.0.1:3"\n')
    systems = Profile.load(path).systems
    assert (systems["crm"].control_token, systems["emr"].control_token) == ("crm-only-token", "top-level-token")
    path.write_text("control_token = 12\n" + path.read_text().split("\n", 1)[1])
    with pytest.raises(ValueError, match="control_token"):
        Profile.load(path)


# -- mocks up -----------------------------------------------------------------------------------

def test_mocks_up_prints_the_token_it_was_given_and_writes_it_into_its_profile(tmp_path):
    profile, token = tmp_path / "mocks.toml", "given-token-0123456789"
    process = subprocess.Popen(
        CLI + ["mocks", "up", "--memory", "--crm-port", "0", "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0",
               "--mllp-port", "0", "--console-port", "0", "--control-token", token, "--profile-out", str(profile)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        eventually(lambda: profile.exists() and "mllp" in profile.read_text(), timeout=60, what="mocks up")
        written = tomllib.loads(profile.read_text())
        url = written["systems"]["crm"]["url"]
        assert written["control_token"] == token
        assert requests.get(f"{url}/_mock/journal", timeout=10).status_code == 401
        assert requests.get(f"{url}/_mock/journal", headers={TOKEN_HEADER: token}, timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert f"control   token {token}" in out and "warning" not in err, err


def test_mocks_up_warns_in_one_line_when_it_is_not_on_loopback(tmp_path):
    # 192.0.2.1 (TEST-NET-1) is nobody's address: the bind fails after the warning, nothing listens.
    done = subprocess.run(CLI + ["mocks", "up", "--memory", "--host", "192.0.2.1", "--crm-port", "0",
                                 "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0", "--mllp-port", "0",
                                 "--console-port", "0"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "192.0.2.1 is not loopback" in warnings[0], done.stderr
    assert done.returncode == 2
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "::", "example.com"]))


@pytest.mark.parametrize("token", ["short", "has space in it", 'quote"inside-token', "x" * 201])
def test_a_bad_control_token_is_one_line_and_exit_2(token, tmp_path):
    done = subprocess.run(CLI + ["mocks", "up", "--memory", "--control-token", token, "--crm-port", "0",
                                 "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0", "--mllp-port", "0"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2 and "control token" in done.stderr, done.stderr


def test_a_method_no_route_takes_is_a_405_whatever_its_body(suite):
    response = bare(suite, "rcm").put("/rcm/hl7", data="MSH|\rPID|", content_type="text/plain")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert bare(suite, "crm").post("/crm/nowhere", data="x", content_type="text/plain").status_code == 404
