"""The reference integration's decisions on the ambiguities (docs/ambiguities.md), per setting."""

from __future__ import annotations

import dataclasses

import pytest

from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.settings import IntegrationSettings
from kipu_harness.target import TargetOptions, collect_targets

PERSON = dict(first_name="Omar", middle_name="", last_name="Reyes", dob="1975-12-01", gender="Male",
              phone="512-555-0123", address_street="3 Pine Court", address_city="Austin", address_state="TX",
              address_zip="73301", admission_date="2026-03-02")


@pytest.fixture
def target_with():
    made = []

    def build(**settings):
        pm = make_plugin_manager()
        options = TargetOptions(name="inprocess", pm=pm, settings=IntegrationSettings(**settings))
        made.append(collect_targets(pm)["inprocess"].factory(options))
        return made[-1]

    yield build
    for target in made:
        target.close()


def admit(target, codes, *, principal=None, **person):
    emr = target.emr
    patient = emr.create_patient(**{**PERSON, **person})
    for code in codes:
        patient = emr.add_diagnosis(patient, code, principal=code == principal)
    patient = emr.action(patient, "mr_number")
    [rcm_patient] = target.rcm.find_patients(emr_patient_id=patient.id)
    return patient, rcm_patient


def sent_codes(rcm_patient):
    return [d["code"] for d in rcm_patient.episodes[-1].diagnoses]


def test_amb02_principal_first_then_by_date_added(target_with):
    target = target_with(max_diagnoses=2)
    _, rcm_patient = admit(target, ["F10.20", "F33.1", "F11.23"], principal="F11.23")
    assert sent_codes(rcm_patient) == ["F11.23", "F10.20"]
    assert rcm_patient.episodes[-1].principal_diagnosis == "F11.23"


def test_amb02_added_order_setting_cuts_by_date_only(target_with):
    target = target_with(max_diagnoses=2, diagnosis_order="added")
    _, rcm_patient = admit(target, ["F10.20", "F33.1", "F11.23"], principal="F11.23")
    assert sent_codes(rcm_patient) == ["F10.20", "F33.1"]


def test_amb02_codes_over_the_cap_are_reported_and_journaled(target_with):
    target = target_with(max_diagnoses=2)
    patient, _ = admit(target, ["F10.20", "F33.1", "F41.1"])
    assert target.emr.last_extra["rcm"]["diagnoses_not_sent"] == ["F41.1"]
    notes = [e["summary"] for e in target.controls["emr"].journal("integration")]
    assert len(notes) == 1 and notes[0].endswith("diagnoses not sent (over the cap of 2): F41.1")


def test_amb05_default_time_setting(target_with):
    _, rcm_patient = admit(target_with(default_time="08:30"), ["F10.20"])
    assert (rcm_patient.episodes[-1].admit_date, rcm_patient.episodes[-1].admit_time) == ("2026-03-02", "08:30")


def test_amb05_a_time_in_the_emr_is_kept(target_with):
    _, rcm_patient = admit(target_with(default_time="08:30"), ["F10.20"], admission_date="2026-03-02T21:05")
    assert rcm_patient.episodes[-1].admit_time == "21:05"


@pytest.mark.parametrize("middle, initial", [("benedict", "B"), ("  ana", "A"), ("", "")])
def test_amb06_middle_initial(target_with, middle, initial):
    _, rcm_patient = admit(target_with(), ["F10.20"], middle_name=middle)
    assert rcm_patient.profile["middle_initial"] == initial


@pytest.mark.parametrize("setting, episodes", [("keep-episode", 2), ("reopen", 1)])
def test_amb08_readmission_after_discharge(target_with, setting, episodes):
    target = target_with(resend_after_discharge=setting)
    patient, _ = admit(target, ["F10.20"])
    patient = target.emr.discharge(patient, "2026-03-20")
    patient = target.emr.update_patient(patient, admission_date="2026-04-02")
    assert patient.discharge_date is None  # a new stay has no discharge yet
    target.emr.action(patient, "send_to_rcm")
    [rcm_patient] = target.rcm.find_patients(emr_patient_id=patient.id)
    assert len(rcm_patient.episodes) == episodes
    assert rcm_patient.episodes[-1].admit_date == "2026-04-02"
    assert rcm_patient.episodes[-1].discharge_date is None


def test_a_resend_after_discharge_keeps_the_discharge(target_with):
    target = target_with()
    patient, _ = admit(target, ["F10.20"])
    patient = target.emr.discharge(patient, "2026-03-20T10:15")
    target.emr.action(patient, "send_to_rcm")
    [rcm_patient] = target.rcm.find_patients(emr_patient_id=patient.id)
    episode = rcm_patient.episodes[-1]
    assert len(rcm_patient.episodes) == 1
    assert (episode.discharge_date, episode.discharge_time) == ("2026-03-20", "10:15")


def test_required_demographics_is_a_setting(target_with):
    strict = dataclasses.replace(IntegrationSettings()).required_demographics + ("ssn",)
    target = target_with(required_demographics=strict)
    patient = target.emr.add_diagnosis(target.emr.create_patient(**PERSON), "F10.20")
    patient = target.emr.action(patient, "mr_number")
    assert target.emr.last_extra["rcm"]["sent"] is False
    assert target.emr.last_extra["rcm"]["missing"] == [{"field": "ssn", "problem": "is a required demographic field"}]
