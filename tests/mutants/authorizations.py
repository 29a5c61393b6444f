"""Mutants of the Authorizations table, RCM to EMR (AUTH-01..AUTH-13)."""

from __future__ import annotations

import datetime as dt

from kipu_harness.mocks.emr import mirror as emr_mirror
from kipu_harness.mocks.rcm import review as rcm_review
from kipu_harness.plugins import rcm_to_emr

from .kit import edited, mutant, patch, wrap
from .insurance import mirrored


@mutant("the EMR keeps its own U/R edits", "AUTH-01",
        breaks="a U/R field edited in the EMR is no longer overwritten by the next RCM save")
def emr_review_edits_win():
    mirrored("utilization_review", lambda tx, pid, incoming, known, key: [
        {**values, **{k: known[values[key]][k] for k in known[values[key]].get("edited_in_emr", [])}}
        if values[key] in known else values for values in incoming])


@mutant("Start Date gets the day it was saved", "AUTH-02", breaks="EMR Start Date holds the date of the RCM save")
def start_is_saved():
    edited(rcm_to_emr.emr_review, lambda row, review: row.update(start_date=(review.get("saved_at") or "")[:10]))


@mutant("End Date is computed from the units", "AUTH-03",
        breaks="EMR End Date is Start Date plus Units days (off by one), not the RCM End Date")
def end_from_units():
    edited(rcm_to_emr.emr_review, lambda row, review: row.update(
        end_date=(dt.date.fromisoformat(review["start_date"]) + dt.timedelta(days=review["units"])).isoformat()))


@mutant("# of Days is computed from the dates", "AUTH-04",
        breaks="EMR # of Days is End Date minus Start Date (off by one), not the RCM Units")
def days_from_dates():
    edited(rcm_to_emr.emr_review, lambda row, review: row.update(number_of_days=(
        dt.date.fromisoformat(review["end_date"]) - dt.date.fromisoformat(review["start_date"])).days))


@mutant("Auth Date gets the day it was saved", "AUTH-05", breaks="EMR Auth Date holds the date of the RCM save")
def auth_date_is_saved():
    edited(rcm_to_emr.emr_review, lambda row, review: row.update(authorization_date=(review.get("saved_at") or "")[:10]))


@mutant("Authorization # gets the RCM's record number", "AUTH-06",
        breaks="EMR Authorization # holds the U/R's internal number, not its Authorization Number")
def auth_number_is_record_id():
    edited(rcm_to_emr.emr_review, lambda row, review: row.update(authorization_number=str(review["id"])))


@mutant("authorization status not mapped", "AUTH-07", breaks='the EMR gets "Authorized" instead of "Approved"')
def status_not_mapped():
    edited(rcm_to_emr.emr_review, lambda row, review: row.update(status=review["authorization_status"]))


@mutant("only Authorized shows as Approved", "AUTH-07",
        breaks='the status mapping has one row: "Authorized - Not Required" reaches the EMR as it is')
def status_one_row():
    patch(rcm_to_emr, "EMR_STATUS", {"Authorized": "Approved"})


@mutant("Managed only for Authorized and Pending", "AUTH-08",
        breaks="Denied and Required - Not Obtained show Nonmanaged")
def managed_two_rows():
    patch(emr_mirror, "MANAGED", {**emr_mirror.MANAGED, "Denied": "Nonmanaged", "Required - Not Obtained": "Nonmanaged"})


@mutant("Level of Care comes from the EMR patient", "AUTH-09",
        breaks="EMR Level of Care is the patient's level of care in the EMR, not the U/R's Service")
def level_from_patient():
    def replace(tx, pid, incoming, known, key):
        level = tx.get("patient", pid).get("level_of_care")
        return [{**values, "level_of_care": level} for values in incoming]

    mirrored("utilization_review", replace)


@mutant("Next Review gets the End Date", "AUTH-10", breaks="EMR Next Review holds the U/R End Date")
def next_review_is_end():
    edited(rcm_to_emr.emr_review, lambda row, review: row.update(next_review=review["end_date"]))


@mutant("Days of Week are every day", "AUTH-11",
        breaks="the EMR fills Days of Week with every day instead of its level of care's configuration")
def every_day():
    wrap(emr_mirror.days_of_week, lambda original, tx, level_of_care: {
        d: True for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")})


@mutant("Insurance comes from the EMR's primary insurance", "AUTH-12",
        breaks="EMR U/R Insurance is the patient's primary insurance in the EMR, not the U/R's Payer")
def insurance_from_primary():
    def replace(tx, pid, incoming, known, key):
        primary = [i for i in tx.find("insurance", patient_id=pid) if i.get("insurance_type") == "Primary"]
        company = primary[0]["insurance_company"] if primary else None
        return [{**values, "insurance": company} for values in incoming]

    mirrored("utilization_review", replace)


@mutant("a standalone authorization is kept as a U/R", "AUTH-13",
        breaks="the RCM has no standalone authorizations: an ancillary authorization lands among the U/R")
def standalone_is_review():
    def save(original, context, kind, patient_id, episode_id, changes, review_id=None):
        return original(context, "utilization_reviews", patient_id, episode_id, changes, review_id)

    wrap(rcm_review.save_review, save)
