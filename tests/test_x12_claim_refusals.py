"""837P/837I refusals: everything pyx12 cannot see or a payer would refuse is a ClaimError
naming the claim and the element, raised before anything is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from claimkit import (
    CHILD,
    CLINICIAN,
    CODES,
    FACILITY,
    HOLDER,
    OP,
    PARENT,
    RCM,
    RES,
    SELF,
    raises,
    starting,
)

from kipu_harness.wire.x12.claims import MAX_DIAGNOSES, ClaimError, build_837


# --------------------------------------------------------------------------- ClaimError

def test_13_diagnoses_on_837p_is_refused():
    message = raises(replace(OP, diagnoses=CODES[:13]), "13 diagnoses")
    assert "'OP1'" in message and "HI" in message and str(MAX_DIAGNOSES["837P"]) in message


def test_26_diagnoses_on_837i_is_refused():
    raises(replace(RES, diagnoses=CODES + ("Z59.00",)), r"26 diagnoses; an 837I carries at most 25")


@pytest.mark.parametrize("where, change, field", [
    ("billing", lambda c: replace(c, billing_provider=replace(FACILITY, npi="1234567890")),
     "2010AA billing provider NPI"),
    ("rendering", lambda c: replace(c, rendering_provider=replace(CLINICIAN, npi="124531959")),
     "2310B rendering provider NPI"),
])
def test_bad_npi_is_refused_naming_the_field(where, change, field):
    message = raises(change(OP), "NM109")
    assert field in message and "'OP1'" in message


def test_bad_attending_npi_on_837i():
    raises(replace(RES, rendering_provider=replace(CLINICIAN, npi="1245319598")),
           "NM109 \\(2310A attending provider NPI\\)")


@pytest.mark.parametrize("pointers, match", [
    ((1, 2, 3, 4, 1), "5 diagnosis pointers; at most 4"),
    ((5,), "pointer 5, but the claim has 4 diagnoses"),
    ((0,), "pointer 0"),
    ((), "non-empty"),
    ((1, 1), "repeat"),
])
def test_bad_pointers_are_refused(pointers, match):
    line = replace(OP.lines[0], diagnosis_pointers=pointers)
    message = raises(replace(OP, lines=(line,)), match)
    assert "SV107" in message and "line 1" in message


def test_five_pointers_refused_even_with_twelve_diagnoses():
    line = replace(OP.lines[0], diagnosis_pointers=(1, 2, 3, 4, 5))
    raises(replace(OP, diagnoses=CODES[:12], lines=(line,)), "SV107: 5 diagnosis pointers")


@pytest.mark.parametrize("code", ["XYZ99", "F1", "f10.20", "F10.", "F10.12345", "F10-20", "110.2"])
def test_malformed_icd10_is_refused(code):
    raises(replace(OP, diagnoses=("F11.20", code)), r"HI \(diagnosis 2\)")


def test_icd10_forms_accepted():
    text = build_837([replace(OP, diagnoses=("F32.A", "F1020", "T40.2X1A", "C4A.0"))], RCM)
    assert starting(text, "HI*") == ["HI*ABK:F32A*ABF:F1020*ABF:T402X1A*ABF:C4A0"]


def test_duplicate_diagnosis_is_refused():
    raises(replace(OP, diagnoses=("F10.20", "F1020")), "listed twice")


@pytest.mark.parametrize("change, match", [
    (lambda c: replace(c, claim_format="837X"), "claim_format"),
    (lambda c: replace(c, lines=(replace(c.lines[0], charge=150.0),)), "SV102.*not a Decimal"),
    (lambda c: replace(c, lines=(replace(c.lines[0], charge=Decimal("1.005")),)),
     "more than 2 decimals"),
    (lambda c: replace(c, lines=(replace(c.lines[0], units=0),)), "SV104"),
    (lambda c: replace(c, lines=(replace(c.lines[0], modifiers=("HQ", "GT", "95", "59",
                                                                 "XU")),)), "SV1013"),
    (lambda c: replace(c, lines=(replace(c.lines[0], procedure_code="9083"),)), "SV101-2"),
    (lambda c: replace(c, lines=()), "LX"),
    (lambda c: replace(c, place_of_service="5"), "CLM05-1"),
    (lambda c: replace(c, frequency="7"), "REF\\*F8"),
    (lambda c: replace(c, subscriber=PARENT), "PAT01.*needs the patient"),
    (lambda c: replace(c, patient=CHILD), "PAT01.*'18'"),
    (lambda c: replace(c, subscriber=replace(SELF, person=replace(HOLDER, address=None))),
     "2010BA subscriber address"),
    (lambda c: replace(c, subscriber=replace(PARENT, person=replace(HOLDER, address=None)),
                       patient=CHILD), "2010CA patient address"),
    (lambda c: replace(c, patient=replace(CHILD, gender="X"), subscriber=PARENT), "DMG03"),
    (lambda c: replace(c, subscriber=replace(SELF, member_id="")), "member id"),
    (lambda c: replace(c, subscriber=replace(SELF, priority="X")), "SBR01"),
    (lambda c: replace(c, claim_id="A*B"), "CLM01.*delimiter"),
    (lambda c: replace(c, claim_id="X" * 21), "CLM01"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, tax_id="12345")), "REF02.*EIN"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, address=None)), "2010AA"),
    (lambda c: replace(c, billing_provider=replace(
        FACILITY, address=replace(FACILITY.address, zip="78701"))), "N403.*ZIP\\+4"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, taxonomy="123")), "PRV03"),
    (lambda c: replace(c, rendering_provider=replace(CLINICIAN, name="SMITH, ")), "NM103"),
])
def test_837p_refusals(change, match):
    raises(change(OP), match)


@pytest.mark.parametrize("change, match", [
    (lambda c: replace(c, lines=(replace(c.lines[0], revenue_code=""),)), "SV201"),
    (lambda c: replace(c, rendering_provider=None), "NM1\\*71.*required"),
    (lambda c: replace(c, rendering_provider=FACILITY), "NM102.*must be a person"),
    (lambda c: replace(c, billing_provider=replace(FACILITY, name="DOE, JOHN")),
     "NM102.*organization"),
    (lambda c: replace(c, type_of_bill="0863"), "CLM05-3.*frequency 3"),
    (lambda c: replace(c, type_of_bill="A86"), "CLM05-1"),
    (lambda c: replace(c, statement_from=dt.date(2026, 1, 6)), "outside the statement period"),
    (lambda c: replace(c, statement_from=dt.date(2026, 2, 1), statement_to=dt.date(2026, 1, 1)),
     "DTP03 \\(434"),
])
def test_837i_refusals(change, match):
    raises(change(RES), match)


def test_batch_refusals():
    with pytest.raises(ClaimError, match="claim 'RES1'.*one format per 837"):
        build_837([OP, RES], RCM)
    other = replace(OP, claim_id="OP2", billing_provider=replace(FACILITY, name="OTHER"))
    with pytest.raises(ClaimError, match="claim 'OP2'.*one billing provider"):
        build_837([OP, other], RCM)
    with pytest.raises(ClaimError, match="CLM01 appears twice"):
        build_837([OP, OP], RCM)
    with pytest.raises(ClaimError, match="no claims"):
        build_837([], RCM)
    with pytest.raises(ClaimError, match="envelope: ISA15"):
        build_837([OP], replace(RCM, usage="X"))
