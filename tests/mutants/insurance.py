"""Mutants of the Insurance table, RCM to EMR (INS-01..INS-15): most in the reference
integration's field mapping, the rest in the RCM's window or the EMR's mirror."""

from __future__ import annotations

from kipu_harness.mocks.common.base import ctx
from kipu_harness.mocks.emr import mirror as emr_mirror
from kipu_harness.mocks.rcm import windows as rcm_windows
from kipu_harness.plugins import rcm_to_emr

from .kit import edited, mutant, patch, wrap


def mirrored(kind, change):
    """A mutant of the EMR's mirror: ``change(tx, patient_id, incoming, known)`` -> rows to keep."""
    def replace(original, tx, record_kind, patient_id, key, incoming):
        if record_kind == kind:
            known = {r[key]: r for r in tx.find(record_kind, patient_id=patient_id)}
            incoming = change(tx, patient_id, incoming, known, key)
        return original(tx, record_kind, patient_id, key, incoming)

    wrap(emr_mirror._replace, replace)


@mutant("the window writes the insurance to the EMR only", "INS-01",
        breaks="insurance entered through Manage Insurance is copied to the EMR but not kept in the RCM's "
               "Insurance Set")
def window_writes_emr_only():
    def add(original, path, query, body):
        answer = original(path=path, query=query, body=body)
        saved = answer[0]["insurance"]["id"]

        def forget(tx):
            patient = tx.find("patient", emr_patient_id=str(path.emr_patient_id))[0]
            insurances = patient["treatment_episodes"][-1]["intake"]["insurance"]["insurance_set"]["insurances"]
            insurances[:] = [i for i in insurances if i["id"] != saved]
            tx.put("patient", patient)
            return patient

        ctx().write(forget)
        return answer

    wrap(rcm_windows.add_insurance, add)


@mutant("the EMR takes an insurance once and ignores its later saves", "INS-02",
        breaks="a change saved in the RCM to an insurance the EMR already has is never shown in the EMR")
def insurance_first_save_only():
    mirrored("insurance", lambda tx, pid, incoming, known, key: [
        {**values, **{k: v for k, v in known[values[key]].items() if k in values}} if values[key] in known else values
        for values in incoming])


@mutant("Company gets the payer ID", "INS-03", breaks="EMR Company holds the payer's ID, not its name")
def company_is_payer_id():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(insurance_company=entry["payer"]["payer_id"]))


@mutant("Policy No. gets the RCM's record number", "INS-04",
        breaks="EMR Policy No. holds the RCM's internal insurance number, not the policy holder's Insurance ID")
def policy_is_record_id():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(policy_no=str(entry["id"])))


@mutant("Plan Name is not sent", "INS-05", breaks="EMR Plan Name stays empty")
def plan_not_sent():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(plan_name=None))


@mutant("Effective Date gets the day it was saved", "INS-06",
        breaks="EMR Effective Date holds the date of the RCM save, not the insurance's Effective Date")
def effective_is_saved():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(effective_date=(entry.get("saved_at") or "")[:10]))


@mutant("Secondary and Tertiary are swapped", "INS-07",
        breaks="the priority mapping has secondary and tertiary the wrong way round")
def priorities_swapped():
    patch(rcm_to_emr, "PRIORITY", {"primary": "Primary", "secondary": "Tertiary", "tertiary": "Secondary"})


@mutant("Phone gets the payer's ID", "INS-08", breaks="EMR Phone holds the payer ID, not the Payer Phone")
def phone_is_payer_id():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(insurance_phone=entry["payer"]["payer_id"]))


@mutant("Subscriber is last name first", "INS-09", breaks="the subscriber's first and last names are swapped")
def subscriber_swapped():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(subscriber_first_name=entry["policy_holder"]["last_name"],
                                          subscriber_last_name=entry["policy_holder"]["first_name"]))


@mutant("Relationship is always Self", "INS-10", breaks="EMR Relationship says Self whoever the subscriber is")
def relationship_self():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(subscriber_relationship="Self"))


@mutant("the subscriber SSN is the patient's for everyone", "INS-11",
        breaks="the EMR fills SSN (Subscriber) from the patient whatever the relationship")
def ssn_for_everyone():
    wrap(emr_mirror.self_fields, lambda original, patient, relationship: {
        **original(patient, relationship), "subscriber_SSN": patient.get("ssn") or ""})


@mutant("the RCM never gets the subscriber SSN", "INS-11",
        breaks="Send to Kipu RCM does not carry the EMR's subscriber SSN to the RCM's Self policy holder")
def rcm_without_subscriber_ssn():
    from kipu_harness.mocks.rcm import patients as rcm_patients

    def apply_self(original, policy_holder, patient, *rest, **named):
        original(policy_holder, patient, *rest, **named)
        policy_holder["ssn"] = None

    wrap(rcm_patients.apply_self, apply_self)


@mutant("Subscriber DOB is the patient's", "INS-12", breaks="EMR DOB (Subscriber) holds the patient's birthday")
def subscriber_dob_is_patient():
    def replace(tx, pid, incoming, known, key):
        dob = tx.get("patient", pid)["dob"]
        return [{**values, "subscriber_DOB": dob} for values in incoming]

    mirrored("insurance", replace)


@mutant("Subscriber Gender is sent as a code", "INS-13", breaks="EMR Gender (Subscriber) holds F or M")
def gender_code():
    edited(rcm_to_emr.emr_insurance, lambda row, entry: row.update(subscriber_gender=(entry["policy_holder"]["gender"] or "U")[:1]))


@mutant("the subscriber address is the patient's for everyone", "INS-14",
        breaks="the EMR fills Subscriber Address from the patient whatever the relationship")
def address_for_everyone():
    def fields(original, patient, relationship):
        filled = original(patient, "Self")
        return {**original(patient, relationship), **{k: v for k, v in filled.items() if k != "subscriber_SSN"}}

    wrap(emr_mirror.self_fields, fields)


@mutant("the RCM never gets the subscriber address", "INS-14",
        breaks="Send to Kipu RCM does not carry the EMR's subscriber address to the RCM's Self policy holder")
def rcm_without_subscriber_address():
    from kipu_harness.mocks.rcm import patients as rcm_patients

    def apply_self(original, policy_holder, patient, *rest, **named):
        original(policy_holder, patient, *rest, **named)
        policy_holder["address"] = None

    wrap(rcm_patients.apply_self, apply_self)


@mutant("the EMR keeps its own insurance edits", "INS-15",
        breaks="a field edited in the EMR is no longer overwritten by the next RCM save")
def emr_insurance_edits_win():
    mirrored("insurance", lambda tx, pid, incoming, known, key: [
        {**values, **{k: known[values[key]][k] for k in known[values[key]].get("edited_in_emr", [])}}
        if values[key] in known else values for values in incoming])
