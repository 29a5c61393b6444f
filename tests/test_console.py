"""The console (issue 12, point 3): its JSON in-process (the systems' people and state, outboxes,
the clock, the merged feed with its cursor, SSNs masked, 4xx for bad input), `mocks up`'s console
port, and the page itself in headless Chromium while a patient is admitted over the served APIs."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import threading
import tomllib
from pathlib import Path

import pytest

from browserkit import keep, needs_browser, opened, sync_api
from kipu_harness.apiauth import DEVELOPMENT
from kipu_harness.cli import main
from kipu_harness.mocks.console import create_app
from kipu_harness.transport import HttpTransport
from kipu_harness.waiting import eventually
from mockkit import CLI, SSN
from patientkit import COMPLETE, MASKED, SSN_DIGITS, admit

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "mocks" / "console" / "static"
URLS = {s: f"http://127.0.0.1:{port}" for s, port in (("crm", 8101), ("emr", 8102), ("rcm", 8103), ("payer", 8104))}
GARBAGE_ADT = "MSH|^~\\&|EMR|F|RCM|F|20240105100000||ADT^A01|bad-1|P|2.5.1\nPID|1||x"


@pytest.fixture
def console(mocks):
    app = create_app(mocks.suite, urls=URLS, elsewhere={"payer": "https://payer.example"}, mllp=("127.0.0.1", 2575))
    return app.test_client()


def _feed(client, after=None):
    response = client.get("/api/feed", query_string={"after": after} if after is not None else {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# -- the JSON ----------------------------------------------------------------------------------

def test_the_state_of_empty_mocks_names_every_system_its_links_and_the_clock(console, mocks):
    response = console.get("/api/state")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    state = response.get_json()
    assert set(state["systems"]) == {"crm", "emr", "rcm", "payer"}
    for system, s in state["systems"].items():
        assert s["url"] == URLS[system] and s["api_page"] == f"{URLS[system]}/docs/swagger"
        assert s["people"] == [] and s["total"] == 0
        assert s["outbox"] == {"counts": {"pending": 0, "failed": 0, "rejected": 0, "delivered": 0}, "rows": []}
    assert state["systems"]["payer"]["elsewhere"] == "https://payer.example"
    assert state["systems"]["emr"]["elsewhere"] is None
    assert state["mllp"] == "127.0.0.1:2575" and state["clock"]["pinned"] is False
    mocks.emr.post("/_mock/clock", json={"now": "2024-06-01T12:00:00"})
    assert console.get("/api/state").get_json()["clock"] == {"now": "2024-06-01T12:00:00", "pinned": True}


def test_an_admission_shows_in_every_column_and_the_feed_pairs_the_a01_with_its_ack(console, mocks):
    assert mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee", "ssn": SSN}).status_code == 201
    patient = admit(mocks)
    response = console.get("/api/state")
    text = response.get_data(as_text=True)
    assert SSN not in text and SSN_DIGITS not in text and MASKED in text
    systems = response.get_json()["systems"]
    [prospect] = systems["crm"]["people"]
    assert prospect["status"] == "prospect" and prospect["ssn"] == MASKED
    [emr] = systems["emr"]["people"]
    assert (emr["status"], emr["mr_number"], emr["admitted"], emr["ssn"]) == (
        "admitted", patient["mr_number"], COMPLETE["admission_date"], MASKED)
    assert emr["rcm"] == {"connected": True, "sends": 1} and emr["diagnoses"] == ["F10.20"]
    admitted = [p for p in systems["rcm"]["people"] if p["emr_patient_id"] == str(patient["id"])]
    assert admitted[0]["status"] == "Admitted" and admitted[0]["ssn"] == MASKED
    [episode] = admitted[0]["episodes"]
    assert episode["mr_number"] == patient["mr_number"] and episode["principal_diagnosis"] == "F10.20"
    assert systems["emr"]["outbox"]["counts"]["delivered"] >= 2  # the A04 and the A01
    assert {r["wire"] for r in systems["emr"]["outbox"]["rows"]} == {"hl7v2"}

    feed = _feed(console)
    assert SSN not in json.dumps(feed) and SSN_DIGITS not in json.dumps(feed)
    [a01] = [e for e in feed["entries"] if e["kind"] == "HL7 ADT^A01"]
    assert (a01["system"], a01["from"], a01["to"], a01["failed"]) == ("rcm", "emr", "rcm", False)
    [ack] = [e for e in feed["entries"] if e["kind"] == "HL7 ACK" and e["control_id"] == a01["control_id"]]
    assert (ack["from"], ack["to"], ack["outcome"], ack["failed"]) == ("rcm", "emr", "AA", False)
    assert ack["summary"] == "AA A01 applied" and f"MSA|AA|{a01['control_id']}" in ack["body"]
    webhook = [e for e in feed["entries"] if e["summary"] == "POST /rcm/prospects -> 201"]
    assert webhook and (webhook[0]["from"], webhook[0]["to"], webhook[0]["kind"]) == ("crm", "rcm", "HTTP POST")
    assert feed["entries"] == sorted(feed["entries"], key=lambda e: e["at"])


def test_the_feed_gives_only_what_is_new_after_its_cursor(console, mocks):
    first = _feed(console)
    assert first["entries"] == [] and first["cursor"] == "crm:0,emr:0,rcm:0,payer:0" and first["more"] is False
    mocks.crm.post("/crm/prospects", json={"first_name": "Ann", "last_name": "Lee"})
    second = _feed(console, first["cursor"])
    assert sorted((e["system"], e["summary"]) for e in second["entries"]) == [
        ("crm", "POST /crm/prospects -> 201"), ("rcm", "POST /rcm/prospects -> 201")]
    assert _feed(console, second["cursor"])["entries"] == []
    mocks.rcm.get("/rcm/patients")
    third = _feed(console, second["cursor"])
    assert [e["summary"] for e in third["entries"]] == ["GET /rcm/patients -> 200"]
    assert {e["summary"] for e in _feed(console, "rcm:1")["entries"]} == {  # a system left out: from its first
        "POST /crm/prospects -> 201", "GET /rcm/patients -> 200"}


def test_the_feed_pages_a_long_journal_and_starts_over_after_a_reset(console, mocks):
    for _ in range(5):
        mocks.payer.get("/payer/members")
    page = console.get("/api/feed?after=payer:0&limit=2").get_json()
    assert [e["id"] for e in page["entries"]] == [1, 2] and page["more"] is True
    tail = console.get("/api/feed?limit=2").get_json()  # no cursor: the last entries of each journal
    assert [e["id"] for e in tail["entries"]] == [4, 5] and tail["cursor"].endswith("payer:5")
    assert mocks.payer.post("/_mock/reset").status_code == 200
    mocks.payer.get("/payer/members")
    again = _feed(console, tail["cursor"])
    assert again["reset"] == ["payer"] and [e["id"] for e in again["entries"]] == [1]


def test_failures_are_marked_in_the_feed(console, mocks):
    assert mocks.rcm.post("/rcm/hl7", data=GARBAGE_ADT, content_type="text/plain").status_code in (409, 422)
    mocks.rcm.get("/rcm/patients/999")
    entries = _feed(console)["entries"]
    [ack] = [e for e in entries if e["kind"] == "HL7 ACK"]
    assert ack["outcome"] == "AR" and ack["failed"] is True and ack["control_id"] == "bad-1"
    assert "MSA|AR|bad-1" in ack["body"]
    [missing] = [e for e in entries if e["summary"].startswith("GET /rcm/patients/999")]
    assert missing["failed"] is True and missing["outcome"] == "404"
    assert not [e for e in entries if e["kind"] == "HTTP GET" and e["outcome"] == "200" and e["failed"]]


@pytest.mark.parametrize("query,field", [
    ("after=x", "after"), ("after=crm:-1", "after"), ("after=crm:1,crm:2", "after"), ("after=lab:1", "after"),
    ("after=crm:" + "9" * 30, "after"), ("after=crm:4611686018427387905", "after"), ("after=crm:%C2%B2", "after"),
    ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=1001", "limit"), ("limit=" + "9" * 5000, "limit"),
    ("limit=1&limit=2", "limit"), ("since=3", "since"),
])
def test_bad_input_to_the_feed_is_a_422_naming_the_parameter(console, query, field):
    response = console.get(f"/api/feed?{query}")
    assert response.status_code == 422 and response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status_code"] == 422 and [p["field"] for p in body["problems"]] == [field]


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/api/state?limit=501", 422), ("GET", "/api/state?x=1", 422), ("GET", "/api/nothing", 404),
    ("POST", "/api/state", 405), ("DELETE", "/api/feed", 405), ("GET", "/static/nothing.js", 404),
])
def test_every_refusal_is_a_4xx_in_the_mocks_error_shape(console, method, path, status):
    response = console.open(path, method=method)
    assert response.status_code == status and response.is_json
    body = response.get_json()
    assert set(body) == {"errors", "status_code", "problems"} and body["status_code"] == status


def test_the_console_answers_only_its_own_origin_and_a_loopback_host(console):
    assert console.get("/api/state", headers={"Origin": "http://localhost"}).status_code == 200
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Host": "evil.example:8100"}):
        response = console.get("/api/state", headers=headers)
        assert response.status_code == 403 and response.get_json()["problems"][0]["field"] in headers


def test_the_page_is_static_and_fetches_nothing_from_elsewhere(console):
    page = console.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assert set(re.findall(r'(?:src|href)="([^"]+)"', html)) == {
        "/static/favicon.svg", "/static/console.css", "/static/console.js"}
    for name in ("console.html", "console.css", "console.js"):
        assert not re.search(r"https?://|//[a-z]", (STATIC / name).read_text()), name
        assert console.get(f"/static/{name}").status_code == 200
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "kipu_harness.mocks.console" in config["packages"]
    assert config["package-data"]["kipu_harness.mocks.console"] == ["static/*"]  # the wheel carries the page


# -- mocks up ----------------------------------------------------------------------------------

def test_mocks_up_refuses_a_console_port_out_of_range(capsys):
    with pytest.raises(SystemExit):
        main(["mocks", "up", "--memory", "--console-port", "70000"])
    assert "argument --console-port: 70000 is not a port" in capsys.readouterr().err


def test_mocks_up_names_a_console_port_that_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(CLI + ["mocks", "up", "--memory", *_zero_ports(), "--console-port", str(port)],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"kipu-harness: error: --console-port {port} on 127.0.0.1: address already in use"]


def _zero_ports() -> list[str]:
    return [a for s in ("crm", "emr", "rcm", "payer", "mllp") for a in (f"--{s}-port", "0")]


class MocksUp:
    """`kipu-harness mocks up` in a process of its own; its banner read as it prints it."""

    def __init__(self, *extra: str):
        self.process = subprocess.Popen(CLI + ["mocks", "up", "--memory", *_zero_ports(), "--console-port", "0", *extra],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=lambda s=s, into=into: into.extend(s), daemon=True)
                         for s, into in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()
        eventually(lambda: any(line.startswith("Ctrl-C") for line in self.out) or self.process.poll() is not None,
                   timeout=90, what="mocks up")
        assert self.process.poll() is None, "".join(self.err)
        banner = "".join(self.out)
        self.urls = {s.lower(): url for s, url in re.findall(r"^\s+(CRM|EMR|RCM|PAYER)\s+(http://\S+)", banner, re.M)}
        self.console = re.search(r"^  console   (http://\S+/)$", banner, re.M)[1]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        for reader in self._readers:
            reader.join(timeout=10)
        assert self.process.returncode == 0, "".join(self.err)


# -- the page in a browser ---------------------------------------------------------------------

@needs_browser
def test_the_console_shows_an_admission_live_in_a_browser(browser):
    up = MocksUp("--payer-url", "http://127.0.0.1:9")  # sent elsewhere (nothing here calls the payer)
    try:
        with opened(browser, up.console, (up.console, "data:"), viewport=(1600, 1000), console=("error",)) as watched:
            _watch_an_admission(watched.page, up)
    finally:
        up.stop()
    assert not watched.errors, f"the page logged errors: {watched.errors}"
    assert not watched.outside, f"the page fetched from outside the console: {watched.outside}"


def _watch_an_admission(page, up: MocksUp) -> None:
    expect = sync_api().expect
    expect(page.locator("#link")).to_have_text("live (every second)", timeout=20_000)
    expect(page.locator("#feed-empty")).to_be_visible()
    expect(page.locator("#sys-payer .elsewhere")).to_contain_text("goes to http://127.0.0.1:9 (a real system)")

    # Step 1 to MR Number over the served APIs; the A01 goes to the RCM over MLLP.
    crm, emr = HttpTransport(up.urls["crm"]), HttpTransport(up.urls["emr"], credential=DEVELOPMENT)
    person = {"first_name": "Lena", "last_name": "Marsh", "dob": "1984-02-11", "gender": "Female",
              "phone": "512-555-0101", "ssn": SSN}
    prospect = crm.request("POST", "/crm/prospects", json_body=person).body["prospect"]
    opportunity = crm.request("POST", f"/crm/prospects/{prospect['id']}/opportunities",
                              json_body={"level_of_care": "Residential"}).body["opportunity"]
    assert crm.request("POST", f"/crm/opportunities/{opportunity['id']}/push").status == 200
    census = emr.request("GET", "/api/patients/census", params={"phi_level": "high"}).body["patients"]
    [patient_id] = [p["id"] for p in census if p["first_name"] == "Lena"]
    assert emr.request("POST", f"/api/patients/{patient_id}/accept").status == 200
    visit = {k: COMPLETE[k] for k in ("address_street", "address_city", "address_state", "address_zip")}
    document = {"document": {"recipient_id": 1, "data": {**visit, "admission_date": "2024-01-05T10:00"}}}
    assert emr.request("PATCH", f"/api/patients/{patient_id}", json_body=document).status == 200
    assert emr.request("POST", f"/api/patients/{patient_id}/diagnoses", json_body={"code": "F10.20"}).status == 201
    admitted = emr.request("POST", f"/api/patients/{patient_id}/mr_number").body
    assert admitted["rcm"]["sent"] is True, admitted
    mr_number, control_id = admitted["patient"]["mr_number"], admitted["rcm"]["control_id"]
    rcm = HttpTransport(up.urls["rcm"])
    assert rcm.request("POST", "/rcm/hl7", text=GARBAGE_ADT).status in (409, 422)  # an AR, shown as a failure

    emr_row = page.locator("#sys-emr .person", has_text="Lena Marsh")
    expect(emr_row).to_contain_text("admitted", timeout=20_000)
    expect(emr_row).to_contain_text(mr_number)
    rcm_row = page.locator("#sys-rcm .person", has_text="Lena Marsh")
    expect(rcm_row).to_contain_text("Admitted", timeout=20_000)
    expect(rcm_row.locator(".episode")).to_contain_text(f"MR {mr_number}")
    expect(page.locator("#sys-crm .person", has_text="Lena Marsh")).to_contain_text("pushed to the EMR")
    a01 = page.locator(f'#feed tr[data-kind="HL7 ADT^A01"][data-control-id="{control_id}"]')
    ack = page.locator(f'#feed tr[data-kind="HL7 ACK"][data-control-id="{control_id}"]')
    expect(a01).to_contain_text("EMR→RCM", timeout=20_000)
    expect(ack).to_have_attribute("data-outcome", "AA")
    expect(ack).to_contain_text("AA A01 applied")
    expect(page.locator('#feed tr.failed[data-kind="HL7 ACK"][data-control-id="bad-1"]')).to_contain_text("AR")
    expect(page.locator("#sys-emr .count.delivered")).not_to_have_text("delivered 0")
    text = page.locator("body").inner_text()
    assert SSN not in text and SSN_DIGITS not in text and MASKED in text

    page.locator("#failed-only").check()  # the filter leaves the failures only
    expect(a01).to_be_hidden()
    page.locator("#failed-only").uncheck()
    expect(a01).to_be_visible()
    keep(page, "console.png")
