"""Mutants of the Patient Information rules, EMR to RCM (PAT-01..PAT-17): some in what the EMR
sends (the reference integration), some in what the RCM makes of it (the mock RCM)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from kipu_harness.mocks.common.base import ctx
from kipu_harness.mocks.rcm import patients as rcm_patients
from kipu_harness.plugins import integration
from kipu_harness.wire import hl7v2

from .kit import mutant, patch, wrap


def _sent(change):
    """A mutant of what the EMR sends: ``change(adt)`` returns the AdtPatient to send instead."""
    def adt_patient(original, patient, settings):
        adt, left_out = original(patient, settings)
        return change(adt), left_out

    wrap(integration.adt_patient, adt_patient)


def _stored(change):
    """A mutant of what the RCM keeps: ``change(patient, adt)`` edits the RCM patient after each send."""
    def apply_adt(original, tx, message, context):
        patient = original(tx, message, context)
        change(patient, message.patient)
        tx.put("patient", patient)
        return patient

    wrap(rcm_patients.apply_adt, apply_adt)


def _intake(patient):
    return patient["treatment_episodes"][-1]["intake"] if patient["treatment_episodes"] else {}


@mutant("the initial connection registers instead of admitting", "PAT-01",
        breaks="the first send is an A04, so the RCM patient is made Prospective, never admitted")
def first_send_registers():
    def send(original, context, patient, trigger, *, connect=False):
        original(context, patient, "A04" if connect else trigger, connect=connect)

    wrap(integration._send, send)


@mutant("Manage Insurance and Manage Review do not connect", "PAT-02",
        breaks="only the MR Number and Send to Kipu RCM make the initial connection")
def windows_do_not_connect():
    patch(integration, "CONNECTS", integration.CONNECTS - {"manage_insurance.clicked", "manage_review.clicked"})


@mutant("no re-send on a new diagnosis", "PAT-03", "PAT-15",
        breaks="a diagnosis added after the initial connection is not sent")
def no_resend_on_diagnosis():
    patch(integration, "RESENDS", integration.RESENDS - {"diagnosis.added"})


@mutant("only the first new diagnosis is sent", "PAT-03",
        breaks="the EMR re-sends the patient for the first diagnosis added after the admission, not for later ones")
def first_new_diagnosis_only():
    def emr_event(original, event, context, *rest, **named):
        if event.name == "diagnosis.added" and event.record["rcm"]["sends"] >= 2:
            return
        original(event, context, *rest, **named)

    wrap(integration._emr_event, emr_event)


@mutant("every demographic change is sent at once", "PAT-03",
        breaks="the EMR re-sends on any change to the patient, not only on the three documented triggers")
def sends_every_change():
    def event(original, event, context):
        original(event, context)
        if event.system == "emr" and event.name == "patient.updated" and event.record["rcm"]["connected"]:
            integration._send(context, event.record, "A08")

    wrap(integration.harness_system_event, event)


@mutant("the RCM keeps demographics edited in the RCM", "PAT-04",
        breaks="a profile field changed in the RCM is protected from the next EMR send")
def rcm_edits_win():
    from kipu_harness.mocks.rcm.patients import edit_profile

    def edit(original, path, body):
        answer = original(path=path, body=body)
        fields = sorted(body.model_dump(exclude_unset=True))

        def mark(tx):
            patient = tx.get("patient", path.patient_id)
            patient["edited_in_rcm"] = {f: patient["profile"][f] for f in fields}
            tx.put("patient", patient)
            return patient

        ctx().write(mark)
        return answer

    wrap(edit_profile, edit)
    _stored(lambda patient, adt: patient["profile"].update(patient.get("edited_in_rcm", {})))


@mutant("Patient ID gets the MR Number", "PAT-05", breaks="RCM Profile > Patient ID holds the MR Number")
def patient_id_from_mr():
    _stored(lambda patient, adt: patient["profile"].update(patient_id=adt.mr_number or adt.patient_id))


@mutant("Medical Record Number gets the Patient ID", "PAT-06",
        breaks="Intake > Patient Profile > Medical Record Number holds the EMR Patient ID")
def mr_from_patient_id():
    _stored(lambda patient, adt: _intake(patient).get("patient_profile", {}).update(
        medical_record_number=adt.patient_id) if _intake(patient) else None)


@mutant("the middle initial keeps its case", "PAT-07", breaks="the middle initial is not upper-cased")
def middle_initial_case():
    wrap(rcm_patients.middle_initial, lambda original, middle: (middle or "").strip()[:1])


@mutant("the birthday shifts a day", "PAT-08", breaks="the date of birth is sent as UTC midnight: a day early")
def birthday_shifted():
    _sent(lambda adt: dataclasses.replace(adt, dob=adt.dob - dt.timedelta(days=1) if adt.dob else None))


@mutant("only Female is mapped", "PAT-09", breaks="Birth Sex M reaches the Policy Holder Gender as Unknown")
def birth_sex_one_row():
    patch(rcm_patients, "SEXES", {"F": "Female"})


@mutant("only the street is written", "PAT-10", breaks="City, State and Zip Code stay empty in the intake")
def street_only():
    def change(patient, adt):
        if _intake(patient):
            _intake(patient)["patient_profile"].update(city=None, state=None, zip_code=None)

    _stored(change)


@mutant("the phone is sent as digits", "PAT-11", breaks="the phone arrives reformatted, 5125550142")
def phone_digits():
    _sent(lambda adt: dataclasses.replace(adt, phone="".join(ch for ch in adt.phone if ch.isdigit())))


@mutant("the RCM keeps only the SSN's last four", "PAT-12", breaks="Social Security Number holds ***-**-6789")
def ssn_masked():
    def change(patient, adt):
        ssn = patient["profile"]["social_security_number"]
        if ssn:
            patient["profile"]["social_security_number"] = "***-**-" + ssn[-4:]

    _stored(change)


@mutant("the admission time is dropped", "PAT-13", breaks="an EMR admission time is sent as 00:00")
def admit_time_dropped():
    _sent(lambda adt: dataclasses.replace(
        adt, admit_at=dt.datetime.combine(adt.admit_at.date(), dt.time()) if adt.admit_at else None))


@mutant("the discharge date waits for Send to Kipu RCM", "PAT-14",
        breaks="entering a Discharge/Transition Date sends nothing until the user sends the patient")
def discharge_not_sent():
    patch(integration, "RESENDS", integration.RESENDS - {"discharge.set"})


@mutant("the principal flag is ignored", "PAT-15",
        breaks="the first diagnosis added stays the RCM's principal, whichever the EMR marks principal")
def principal_ignored():
    wrap(integration.ordered_diagnoses,
         lambda original, diagnoses, order: sorted(diagnoses, key=lambda d: (d["added_on"], d["sequence"])))


@mutant("19 diagnoses are sent", "PAT-16", breaks="the cap is off by one: 19 codes reach the RCM")
def cap_off_by_one():
    wrap(integration.adt_patient, lambda original, patient, settings: original(
        patient, dataclasses.replace(settings, max_diagnoses=settings.max_diagnoses + 1)))


@mutant("the latest 18 diagnoses are sent", "PAT-16",
        breaks="over the cap, the oldest codes (the principal among them) are left out instead of the newest")
def cap_keeps_latest():
    def adt_patient(original, patient, settings):
        adt, _ = original(patient, dataclasses.replace(settings, max_diagnoses=10_000))
        kept = adt.diagnoses[-settings.max_diagnoses:]
        left = [d.code for d in adt.diagnoses[: -settings.max_diagnoses]] if len(adt.diagnoses) > settings.max_diagnoses else []
        ranked = tuple(dataclasses.replace(d, rank=n) for n, d in enumerate(kept, start=1))
        return dataclasses.replace(adt, diagnoses=ranked), left

    wrap(integration.adt_patient, adt_patient)


@mutant("DG1 carries the send date", "PAT-17", breaks="each DG1 start date is the day the message was sent")
def dg1_send_date():
    def build(original, trigger, patient, *, control_id, sent_at, **rest):
        sent = tuple(dataclasses.replace(d, added_on=sent_at.date()) for d in patient.diagnoses)
        return original(trigger, dataclasses.replace(patient, diagnoses=sent), control_id=control_id,
                        sent_at=sent_at, **rest)

    wrap(hl7v2.build_adt, build)
