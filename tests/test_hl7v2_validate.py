"""hl7apy's structure validation remembered per message shape (harness/wire/hl7v2/validate.py):
the premise (hl7apy's verdict depends on the shape, not the values), the remembered verdict
agreeing with hl7apy's on hundreds of mangled messages, and what is never remembered."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from kipu_harness.wire.hl7v2 import AdtDiagnosis, AdtPatient, HL7Error, build_adt
from kipu_harness.wire.hl7v2 import validate
from kipu_harness.wire.hl7v2.validate import check_structure, shape, validate_with_hl7apy

PATIENT = AdtPatient(
    patient_id="P-1", mr_number="MR-1", last_name="Doe", first_name="Jane", middle_name="Q",
    dob=dt.date(1980, 1, 2), sex="F", address_street="1 Main", address_city="Austin",
    address_state="TX", address_zip="78701", phone="555-0100", ssn="123-45-6789",
    admit_at=dt.datetime(2024, 1, 1, 9), discharge_at=dt.datetime(2024, 1, 9, 9),
    diagnoses=(AdtDiagnosis("F10.20", "Alcohol dependence", dt.date(2024, 1, 1), 1),
               AdtDiagnosis("F33.1", "Depression", dt.date(2024, 1, 2), 2)))
DELIMITERS = "|^~&\r"


def _base(trigger: str) -> str:
    return build_adt(trigger, PATIENT, control_id="C1", sent_at=dt.datetime(2024, 1, 1, 10))


def _mangle(er7: str, rng: random.Random) -> str:
    """One structural change of the kinds a wrong sender makes."""
    lines = er7.split("\r")
    i = rng.randrange(1, len(lines))  # never the MSH's encoding characters
    fields = lines[i].split("|")
    kind = rng.choice(["drop", "repeat", "swap", "empty", "component", "repetition", "sub",
                       "extra", "segment", "type", "version"])
    if kind == "drop":
        del lines[i]
    elif kind == "repeat":
        lines.insert(i, lines[i])
    elif kind == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif kind in ("empty", "component", "repetition", "sub") and len(fields) > 1:
        f = rng.randrange(1, len(fields))
        fields[f] = {"empty": "", "component": fields[f] + "^V", "repetition": fields[f] + "~V",
                     "sub": fields[f] + "&V"}[kind]
        lines[i] = "|".join(fields)
    elif kind == "extra":
        lines[i] = lines[i] + "|" * rng.randrange(1, 60) + "V"
    elif kind == "segment":
        lines.insert(i, rng.choice(["NK1|1|Roe^Ann", "PV2|||V", "AL1|1||V", "OBX|1|ST|V||V",
                                    "ZZZ|1|V", "GT1|1||V"]))
    elif kind == "type":
        msh = lines[0].split("|")
        msh[8] = rng.choice(["ADT^A01^ADT_A03", "ADT^A03^ADT_A03", "ADT^A08^ADT_A01", "ADT^A01"])
        lines[0] = "|".join(msh)
    elif kind == "version":
        msh = lines[0].split("|")
        msh[11] = rng.choice(["2.5", "2.5.1", "2.4"])
        lines[0] = "|".join(msh)
    return "\r".join(lines)


def _revalue(er7: str, rng: random.Random, blank: float = 0.0) -> str:
    """Other values: every value but MSH-1/2, MSH-9 and MSH-12 replaced, a share ``blank`` of
    them by whitespace alone (which changes the shape)."""
    out = []
    for line in er7.split("\r"):
        name, rest = line[:3], line[3:]
        parts, keep = [], None
        if name == "MSH":
            fields = rest.split("|")
            # rest.split("|")[k] is MSH-(k+1): MSH-9 the type at 8, MSH-12 the version at 11.
            keep = {8: fields[8], 11: fields[11] if len(fields) > 11 else None}
        token = ""
        for ch in rest:
            if ch in DELIMITERS:
                parts.append(_other(token, rng, blank))
                parts.append(ch)
                token = ""
            else:
                token += ch
        parts.append(_other(token, rng, blank))
        line = name + "".join(parts)
        if keep:
            fields = line.split("|")
            fields[1] = "^~\\&"
            fields[8] = keep[8]
            if keep[11] is not None:
                fields[11] = keep[11]
            line = "|".join(fields)
        out.append(line)
    return "\r".join(out)


def _other(token: str, rng: random.Random, blank: float) -> str:
    if not token:
        return ""
    if token.isspace() or rng.random() < blank:  # blank stays blank
        return rng.choice([" ", "  ", "\t", "\u00a0"])
    return rng.choice("ABCxyz0129.-\\'é") + "".join(
        rng.choice("ABCxyz0129 .-\\'é") for _ in range(rng.randrange(0, 40)))


def _verdict(er7: str) -> str | None:
    try:
        validate_with_hl7apy(er7)
    except HL7Error as exc:
        return str(exc)
    return None


def _mangled(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    messages = []
    for n in range(count):
        er7 = _base(rng.choice(["A01", "A03", "A04", "A08"]))
        for _ in range(rng.randrange(1, 3)):
            er7 = _mangle(er7, rng)
        messages.append(er7)
    return messages


def test_the_premise_hl7apy_judges_the_shape_not_the_values():
    rng = random.Random(7)
    outcomes, compared = set(), 0
    for er7 in _mangled(40, seed=1):
        outcomes.add(_verdict(er7) is None)
        blanked = _revalue(er7, rng, blank=0.15)
        for one, other in ((er7, _revalue(er7, rng)), (blanked, _revalue(blanked, rng))):
            if shape(one) is None:
                continue
            assert shape(other) == shape(one)
            first, second = _verdict(one), _verdict(other)
            assert (first is None) == (second is None), (one, other, first, second)
            compared += 1
    assert outcomes == {True, False}  # the mangling made both kinds
    assert compared >= 50


def test_the_remembered_verdict_agrees_with_hl7apy(monkeypatch):
    validate.PASSED.clear()
    rng = random.Random(11)
    for er7 in _mangled(40, seed=2) * 2:  # the second time round, passes come from memory
        er7 = _revalue(er7, rng, blank=0.1)
        try:
            check_structure(er7)
            ours = None
        except HL7Error as exc:
            ours = str(exc)
        assert (ours is None) == (_verdict(er7) is None), er7


def test_a_known_shape_passes_without_hl7apy(monkeypatch):
    validate.PASSED.clear()
    check_structure(_base("A01"))

    def refuse(er7):
        raise AssertionError("hl7apy was asked again")

    monkeypatch.setattr(validate, "validate_with_hl7apy", refuse)
    check_structure(_revalue(_base("A01"), random.Random(3)))
    with pytest.raises(AssertionError):  # a new shape still goes to hl7apy
        check_structure(_base("A03"))


def test_refusals_are_not_remembered_and_quote_no_other_message():
    validate.PASSED.clear()
    bad = _base("A01").replace("PID|1||P-1^^^KIPUEMR^PI~MR-1^^^KIPUEMR^MR||Doe^Jane^Q",
                               "PID|1||P-1^^^KIPUEMR^PI~MR-1^^^KIPUEMR^MR||")
    with pytest.raises(HL7Error, match=r"^PID-5: missing required field$"):
        check_structure(bad)
    assert shape(bad) not in validate.PASSED
    with pytest.raises(HL7Error, match=r"^PID-5: missing required field$"):
        check_structure(bad.replace("P-1", "P-2"))


@pytest.mark.parametrize("er7", [
    _base("A01") + "\rOBX|1|ST|CODE||text",  # OBX-5's datatype depends on OBX-2
    _base("A01") + "\rZPI|1|custom",  # a Z segment
    _base("A01").replace("MSH|^~\\&|", "MSH|^~\\#|", 1),  # other encoding characters
])
def test_messages_whose_verdict_is_never_remembered(er7):
    assert shape(er7) is None


def test_memory_is_bounded():
    passed = validate._Passed(3)
    for n in range(10):
        passed.add(f"shape {n}")
    assert "shape 9" in passed and "shape 6" not in passed
    assert len(passed._shapes) == 3
