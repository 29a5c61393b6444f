"""The evidence a scenario keeps for its report (harness/evidence.py), the run's metadata, and the
last line of `kipu-harness run` naming only the files the run wrote (harness/written.py)."""

from __future__ import annotations

import os
import time

import pytest
from faker import Faker

from kipu_harness import evidence
from kipu_harness.plugins.targets import inprocess_target
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.target import TargetOptions
from kipu_harness.synthetic import demographics
from kipu_harness.written import reports_line, written_since

SSN = "123-45-6789"


@pytest.fixture
def recording():
    evidence.start()
    yield
    evidence.stop()


def test_nothing_is_kept_unless_a_scenario_is_recording():
    evidence.http_call("emr", "GET", "/api/patients", None, None, 200, "{}")
    evidence.start()
    assert evidence.stop() == ([], 0)


def test_a_call_is_kept_with_its_bodies_masked_and_clipped(recording):
    evidence.http_call("emr", "POST", "/api/patients", {"a": 1}, {"ssn": SSN}, 201, f'{{"ssn": "{SSN}", "x": "{"y" * 9000}"}}')
    evidence.http_call("rcm", "GET", "/rcm/patients", None, None, 404, "{}")
    evidence.http_call("emr", "GET", "/_mock/journal", None, None, 200, "[]")  # plumbing, not evidence
    kept, dropped = evidence.stop()
    assert dropped == 0 and len(kept) == 2
    first, second = kept
    assert (first.system, first.channel, first.summary, first.failed) == ("emr", "http", "POST /api/patients?a=1 -> 201", False)
    assert SSN not in first.request + first.response and "***-**-6789" in first.request
    assert len(first.response) < evidence.MAX_TEXT + 100 and first.response.endswith("more characters)")
    assert second.failed and second.summary == "GET /rcm/patients -> 404"


def test_the_same_call_and_answer_in_a_row_is_kept_once_and_counted(recording):
    for _ in range(5):
        evidence.http_call("rcm", "GET", "/rcm/patients", None, None, 200, "[]")
    evidence.http_call("rcm", "GET", "/rcm/patients", None, None, 200, "[1]")  # a different answer
    kept, _ = evidence.stop()
    assert [(m.response, m.repeat) for m in kept] == [("[]", 5), ("[1]", 1)]


def test_past_the_limit_messages_are_counted_not_kept(recording):
    for n in range(evidence.MAX_MESSAGES + 7):
        evidence.http_call("crm", "GET", f"/crm/prospects/{n}", None, None, 200, "{}")
    kept, dropped = evidence.stop()
    assert (len(kept), dropped) == (evidence.MAX_MESSAGES, 7)


def test_journal_entries_drop_the_harness_own_calls_and_flag_refusals():
    calls = [evidence.Message("harness", "emr", "http", "POST /api/patients -> 201")]
    journals = {
        "emr": [{"id": 1, "channel": "http", "summary": "POST /api/patients?app_id=x -> 201", "body": ""},
                {"id": 2, "channel": "http", "summary": "POST /api/patients?app_id=x -> 201", "body": "pushed"}],
        "rcm": [{"id": 7, "channel": "hl7", "summary": "received", "body": "MSH|^~\\&|..."},
                {"id": 8, "channel": "hl7", "summary": "AR MSH-9: not an ADT", "body": "MSA|AR|1"},
                {"id": 9, "channel": "x12", "summary": "837 rejected: bad NM1", "body": ""},
                {"id": 10, "channel": "http", "summary": "POST /rcm/charges -> 409", "body": ""}],
    }
    found = evidence.journal_messages(journals, calls)
    assert [(m.system, m.summary, m.failed) for m in found] == [
        ("emr", "POST /api/patients?app_id=x -> 201", False),  # one call, one journal line dropped
        ("rcm", "received", False), ("rcm", "AR MSH-9: not an ADT", True), ("rcm", "837 rejected: bad NM1", True),
        ("rcm", "POST /rcm/charges -> 409", True)]
    assert found[0].request == "pushed"


def test_a_scenario_on_the_mocks_gets_the_systems_messages_in_its_evidence():
    """An admission through the in-process target: the harness's calls, then the RCM's journal
    with the A01 and its ACK (the recorder the pytest plugin opens around each scenario)."""
    from kipu_harness.scenario_record import Recorder

    target = inprocess_target(TargetOptions(name="inprocess", pm=make_plugin_manager()))
    try:
        recorder, detail = Recorder(), {"evidence": [], "dropped": 0, "duration": 0.0}
        target.reset()
        recorder.begin(target, journal=True)
        data = demographics(Faker(seed=3), first="Ada", middle="", last="Lovelace")
        patient = target.emr.create_patient(**{**data, "ssn": SSN})
        patient = target.emr.add_diagnosis(patient, "F10.20")
        target.emr.action(patient, "mr_number")  # complete: the EMR admits the patient in the RCM (A01)
        recorder.end(target, detail, journal=True)
    finally:
        target.close()
    kept = [evidence.Message.from_json(m) for m in detail["evidence"]]
    harness = [m for m in kept if m.source == "harness"]
    assert harness and all(m.channel == "http" and m.system == "emr" for m in harness)
    hl7 = [m for m in kept if m.source == "journal" and m.channel == "hl7"]
    assert any("A01" in m.summary and m.summary.startswith("AA") for m in hl7), [m.summary for m in hl7]
    assert any("\rMSA|AA|" in m.request for m in hl7)  # the ACK itself, as the RCM's journal keeps it
    assert all(SSN not in m.request + m.response for m in kept)


def test_only_what_the_run_wrote_is_named(tmp_path):
    reports = tmp_path / "reports"
    (reports / "x12").mkdir(parents=True)
    old = reports / "cucumber.json"
    old.write_text("{}")
    (reports / "x12" / "old.x12").write_text("ISA")
    os.utime(old, (1, 1))
    os.utime(reports / "x12" / "old.x12", (1, 1))
    since = time.time() - 1
    assert reports_line(reports, since) is None
    for name in ("junit.xml", "index.html", "vendor-extra.csv"):
        (reports / name).write_text("x")
    (reports / "x12" / "a.x12").write_text("ISA")
    assert written_since(reports, since) == ["index.html", "junit.xml", "vendor-extra.csv", "x12/ (1 file)"]
    allure = tmp_path / "allure"
    allure.mkdir()
    (allure / "1-result.json").write_text("{}")
    assert reports_line(reports, since, [allure]) == (
        f"reports: {reports}/index.html, junit.xml, vendor-extra.csv, x12/ (1 file), {allure}/ (1 file)")
