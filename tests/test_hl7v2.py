"""HL7 v2.5.1 ADT building, parsing, acknowledgements and MLLP transport."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import replace

import hl7
import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message
from hl7apy.validation import Validator

from kipu_harness.wire import hl7v2
from kipu_harness.wire.hl7v2 import (
    TRIGGERS,
    AdtDiagnosis,
    AdtPatient,
    HL7Error,
    MllpServer,
    ack_code,
    build_adt,
    make_ack,
    parse_adt,
    send_mllp,
)

SENT_AT = dt.datetime(2024, 3, 1, 10, 0, 5)
CODES = ("F10.20", "F11.23", "F33.1", "Z79.891", "F43.10", "Z59.00", "F32.A", "F41.1", "F17.210",
         "F12.20", "F14.20", "F15.20", "F31.9", "F60.3", "F42.2", "F90.0", "G47.00", "R45.851")


def diagnoses(count: int) -> tuple[AdtDiagnosis, ...]:
    return tuple(AdtDiagnosis(code=CODES[i], description=f"Diagnosis {i + 1}",
                              added_on=dt.date(2024, 1, 1) + dt.timedelta(days=i), rank=i + 1)
                 for i in range(count))


@pytest.fixture
def patient() -> AdtPatient:
    # Every field populated, with HL7 delimiters and non-ASCII text to exercise escaping.
    return AdtPatient(
        patient_id="P-1001", mr_number="MR-2002", last_name="O'Brien-Núñez", first_name="Ana^Maria",
        middle_name="Beatriz", dob=dt.date(1980, 1, 2), sex="F",
        address_street="1 Main St | Apt 2 & 3", address_city="San José", address_state="CA",
        address_zip="95112", phone="(555) 123-4567", ssn="123-45-6789",
        admit_at=dt.datetime(2024, 1, 1, 12, 30, 15), discharge_at=dt.datetime(2024, 2, 1, 9, 0),
        diagnoses=(AdtDiagnosis("F10.20", "Alcohol dependence ~ uncomplicated \\ test",
                                dt.date(2024, 1, 1), 1),
                   AdtDiagnosis("F33.1", "Major depressive disorder, recurrent, moderate",
                                dt.date(2024, 1, 5), 2)),
    )


def build(patient: AdtPatient, trigger: str = "A08", control_id: str = "CTL0001") -> str:
    return build_adt(trigger, patient, control_id=control_id, sent_at=SENT_AT)


def strict(er7: str):
    """Re-parse with hl7apy at strict level and validate, as an independent receiver would."""
    message = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT)
    assert Validator.validate(message) is True
    return message


def _edit(er7: str, segment: str, field: int, value: str) -> str:
    """Replace one field of the first ``segment`` (MSH counts from MSH-2 at index 1)."""
    lines = er7.split("\r")
    for i, line in enumerate(lines):
        if line.startswith(segment + "|"):
            fields = line.split("|")
            fields += [""] * (field + 1 - len(fields))
            fields[field] = value
            lines[i] = "|".join(fields)
            break
    return "\r".join(lines)


# --------------------------------------------------------------------------- building

def test_uses_hl7_2_5_1():
    assert hl7v2.HL7_VERSION == "2.5.1"


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_build_each_trigger_passes_strict_validation(patient, trigger):
    er7 = build(patient, trigger)

    message = strict(er7)
    structure = "ADT_A03" if trigger == "A03" else "ADT_A01"
    assert message.name == structure
    assert message.msh.msh_9.to_er7() == f"ADT^{trigger}^{structure}"
    assert message.msh.msh_12.to_er7() == "2.5.1"
    assert "\n" not in er7
    assert [s.split("|")[0] for s in er7.split("\r")] == ["MSH", "EVN", "PID", "PV1", "DG1", "DG1"]
    assert message.evn.evn_1.to_er7() == trigger


def test_build_header_and_patient_fields(patient):
    msg = hl7.parse(build(patient, "A04"))

    assert msg["MSH.F4"] == "KIPU_EMR" and msg["MSH.F6"] == "KIPU_RCM"
    assert msg["MSH.F7"] == "20240301100005" and msg["MSH.F10"] == "CTL0001"
    assert str(msg.segment("PID")(3)) == "P-1001^^^KIPUEMR^PI~MR-2002^^^KIPUEMR^MR"
    assert msg["PID.F5.R1.C2"] == "Ana^Maria"  # delimiter escaped on the wire, restored on read
    assert msg["PID.F7"] == "19800102" and msg["PID.F8"] == "F"
    assert msg["PID.F11.R1.C3"] == "San José" and msg["PID.F11.R1.C5"] == "95112"
    assert msg["PID.F19"] == "123-45-6789"
    assert msg["PV1.F2"] == "I"
    assert msg["PV1.F44"] == "20240101123015" and msg["PV1.F45"] == "20240201090000"


def test_patient_class_is_preadmit_without_admit_time(patient):
    er7 = build(replace(patient, admit_at=None, discharge_at=None), "A04")

    assert hl7.parse(er7)["PV1.F2"] == "P"
    assert hl7.parse(er7)["PV1.F44"] == ""


def test_eighteen_dg1_carry_the_date_each_code_was_added(patient):
    dxs = diagnoses(18)
    er7 = build(replace(patient, diagnoses=dxs))

    assert len(strict(er7).dg1) == 18
    dg1s = hl7.parse(er7).segments("DG1")
    assert [(s.extract_field(1, 1), s.extract_field(1, 3, 1, 1), s.extract_field(1, 3, 1, 3),
             s.extract_field(1, 5), s.extract_field(1, 6), s.extract_field(1, 15)) for s in dg1s] == [
        (str(d.rank), d.code, "I10", d.added_on.strftime("%Y%m%d"), "A" if d.rank == 1 else "W",
         str(d.rank)) for d in dxs]


@pytest.mark.parametrize("change, trigger, reason", [
    ({}, "A05", "MSH-9: unknown trigger 'A05'; expected one of A01, A03, A04, A08"),
    ({"sex": "X"}, "A08", "PID-8: sex 'X' is not one of F, M, U"),
    ({"patient_id": ""}, "A08", "PID-3: patient_id is empty; the EMR Patient ID (type PI) is required"),
    ({"admit_at": None}, "A01", "PV1-44: an A01 (admit) needs the admit date/time"),
    ({"discharge_at": None}, "A03", "PV1-45: an A03 (discharge) needs the discharge date/time"),
    ({"discharge_at": dt.datetime(2023, 12, 31)}, "A08",
     "PV1-45: discharge 2023-12-31 00:00:00 is before admit 2024-01-01 12:30:15"),
    ({"diagnoses": tuple(reversed(diagnoses(2)))}, "A08",
     "DG1-1: diagnosis ranks must be 1..n in the given order, got [2, 1]"),
    ({"diagnoses": (AdtDiagnosis("", "no code", dt.date(2024, 1, 1), 1),)}, "A08",
     "DG1-3: missing diagnosis code for rank 1"),
    ({"address_street": "1 Main St\nApt 2"}, "A08",
     "PID-11: '1 Main St\\nApt 2^^San José^CA^95112' has a line break; HL7 text fields are one line"),
    ({"admit_at": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)}, "A08",
     "PV1-44: 2024-01-01T00:00:00+00:00 has a time zone; pass naive local time"),
])
def test_build_rejects_invalid_input(patient, change, trigger, reason):
    with pytest.raises(HL7Error) as caught:
        build(replace(patient, **change), trigger)
    assert str(caught.value) == reason


def test_build_reports_missing_required_field_from_strict_validation(patient):
    # Nothing but hl7apy's validation knows PID-5 is required; its finding is named per field.
    with pytest.raises(HL7Error, match=r"^PID-5: missing required field$"):
        build(replace(patient, last_name="", first_name="", middle_name=""))


# --------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("trigger", TRIGGERS)
def test_round_trip_fully_populated(patient, trigger):
    parsed = parse_adt(build(patient, trigger, control_id=f"CTL-{trigger}"))

    assert parsed.patient == patient
    assert (parsed.trigger, parsed.control_id, parsed.sent_at) == (trigger, f"CTL-{trigger}", SENT_AT)


def test_round_trip_eighteen_diagnoses_and_sparse_patient(patient):
    sparse = replace(patient, mr_number=None, dob=None, middle_name="", address_street="",
                     phone="", ssn="", admit_at=None, discharge_at=None, diagnoses=diagnoses(18))

    assert parse_adt(build(sparse, "A04")).patient == sparse


def test_datetimes_keep_seconds_and_drop_microseconds(patient):
    admitted = dt.datetime(2024, 1, 1, 12, 30, 15, 999_999)
    parsed = parse_adt(build_adt("A01", replace(patient, admit_at=admitted), control_id="C1",
                                 sent_at=dt.datetime(2024, 3, 1, 10, 0, 5, 123_456)))

    assert parsed.patient.admit_at == dt.datetime(2024, 1, 1, 12, 30, 15)
    assert parsed.sent_at == SENT_AT


def test_parse_accepts_newline_separators_and_missing_structure(patient):
    er7 = build(patient).replace("ADT^A08^ADT_A01", "ADT^A08").replace("\r", "\n")

    parsed = parse_adt(er7)

    assert parsed.trigger == "A08" and parsed.patient == patient


def test_parse_accepts_version_2_5(patient):
    assert parse_adt(_edit(build(patient), "MSH", 11, "2.5")).patient == patient


def test_parse_reads_coarser_hl7_timestamps(patient):
    er7 = build(patient).replace("20240101123015", "202401011230-0500").replace("19800102", "198001021530")

    parsed = parse_adt(er7)

    assert parsed.patient.admit_at == dt.datetime(2024, 1, 1, 12, 30)  # offset ignored, wall time kept
    assert parsed.patient.dob == dt.date(1980, 1, 2)


@pytest.mark.parametrize("mangle, reason", [
    (lambda m: _edit(m, "PID", 7, "1980AB01"), "PID-7: '1980AB01' is not a valid HL7 date"),
    (lambda m: _edit(m, "PID", 7, "19801301"), "PID-7: '19801301' is not a valid HL7 date"),
    (lambda m: _edit(m, "PID", 3, ""), "PID-3: no patient identifier with type PI"),
    (lambda m: _edit(m, "PID", 3, "MR-2002^^^KIPUEMR^MR"), "PID-3: no patient identifier with type PI"),
    (lambda m: _edit(m, "MSH", 8, "ORU^R01^ORU_R01"), "MSH-9: message type ORU^R01 is not an ADT"),
    (lambda m: _edit(m, "MSH", 8, "ADT^A05^ADT_A05"), "MSH-9: trigger 'A05' is not one of A01, A03, A04, A08"),
    (lambda m: _edit(m, "MSH", 8, "ADT^A08^ADT_A03"),
     "MSH-9: structure ADT_A03 does not fit A08 (expected ADT_A01)"),
    (lambda m: _edit(m, "MSH", 9, ""), "MSH-10: missing message control id"),
    (lambda m: _edit(m, "MSH", 11, "2.3"), "MSH-12: HL7 version '2.3' is not one of 2.5, 2.5.1"),
    (lambda m: _edit(m, "PID", 8, "X"), "PID-8: sex 'X' is not one of F, M, U"),
    (lambda m: _edit(m, "PV1", 44, "2024-01-01"), "PV1-44: '2024-01-01' is not a valid HL7 date/time"),
    (lambda m: _edit(m, "DG1", 3, "^Alcohol dependence^I10"), "DG1-3: missing diagnosis code in DG1 #1"),
    (lambda m: _edit(m, "DG1", 3, "303.90^Alcohol dependence^I9"),
     "DG1-3: coding system 'I9' in DG1 #1 is not ICD-10 (I10)"),
    (lambda m: _edit(m, "DG1", 5, ""), "DG1-5: missing date the code was added in DG1 #1"),
    (lambda m: m.replace("\rPV1|", "\rZV1|"), "PV1: missing segment"),
    # Structural checks come from hl7apy's strict validation, renamed to our field names.
    (lambda m: "\r".join(s for s in m.split("\r") if not s.startswith("EVN")),
     "EVN: missing required segment"),
    (lambda m: _edit(m, "DG1", 6, ""), "DG1-6: missing required field"),
    (lambda m: "", "MSH: empty message"),
    (lambda m: "   \r\n  ", "MSH: empty message"),
    (lambda m: "PID|1||X^^^KIPUEMR^PI", "MSH: message does not start with an MSH segment (starts 'PID|1||X^^^KIPUEMR^P')"),
])
def test_parse_rejects_malformed_messages(patient, mangle, reason):
    with pytest.raises(HL7Error) as caught:
        parse_adt(mangle(build(patient)))
    assert str(caught.value) == reason


# --------------------------------------------------------------------------- acknowledgements

@pytest.mark.parametrize("code, reason", [("AA", ""), ("AE", "PID-7: bad date | x^y"), ("AR", "nope")])
def test_make_ack_codes(patient, code, reason):
    ack = make_ack(build(patient), code, reason)

    message = strict(ack)
    assert message.msh.msh_9.to_er7() == "ACK^A08^ACK"
    assert message.msa.msa_1.to_er7() == code
    assert message.msa.msa_2.to_er7() == "CTL0001"
    assert [s.split("|")[0] for s in ack.split("\r")] == ["MSH", "MSA"] + (["ERR"] if code != "AA" else [])
    assert ack_code(ack) == (code, reason)


def test_make_ack_swaps_sender_and_receiver(patient):
    msg = hl7.parse(make_ack(build(patient)))

    assert (msg["MSH.F4"], msg["MSH.F6"]) == ("KIPU_RCM", "KIPU_EMR")


def test_make_ack_gives_a_default_reason_and_cuts_msa_3(patient):
    er7 = build(patient)
    long_reason = "x" * 200

    assert ack_code(make_ack(er7, "AE")) == ("AE", "application error")
    assert ack_code(make_ack(er7, "AR")) == ("AR", "message rejected")
    ack = hl7.parse(make_ack(er7, "AE", long_reason))
    assert len(ack["MSA.F3"]) == 80 and ack["ERR.F8"] == long_reason


@pytest.mark.parametrize("garbage", ["", "hello world", "MSH|", "MSH|^~\\&|A|B", "\x00\xff junk \r\n"])
def test_make_ack_on_garbage_is_ar_unknown(garbage):
    ack = make_ack(garbage, "AA")

    strict(ack)
    assert hl7.parse(ack)["MSA.F2"] == "UNKNOWN"
    code, reason = ack_code(ack)
    assert code == "AR" and reason.startswith("MSH: ")


def test_make_ack_refuses_unknown_code(patient):
    with pytest.raises(HL7Error, match=r"^MSA-1: acknowledgement code 'CA' is not one of AA, AE, AR$"):
        make_ack(build(patient), "CA")


def test_ack_code_reads_msa_3_when_there_is_no_err():
    assert ack_code("MSH|^~\\&|R||S||20240101||ACK|1|P|2.3\rMSA|AE|C9|Bad \\F\\ field") == ("AE", "Bad | field")


def test_ack_code_rejects_text_without_msa(patient):
    with pytest.raises(HL7Error, match=r"^MSA: missing segment$"):
        ack_code(build(patient))


# --------------------------------------------------------------------------- MLLP

def rcm_handler(received: list[str]):
    """A minimal mock RCM: accept what parses, reject the rest with the parse error."""
    def handle(text: str) -> str:
        received.append(text)
        try:
            parse_adt(text)
        except HL7Error as exc:
            return make_ack(text, "AR", str(exc))
        return make_ack(text, "AA")
    return handle


@pytest.fixture
def received() -> list[str]:
    return []


@pytest.fixture
def server(received):
    srv = MllpServer(rcm_handler(received)).start()
    yield srv
    srv.stop()


def test_mllp_round_trip(server, received, patient):
    er7 = build(patient)

    ack = send_mllp(*server.address, er7)

    assert server.port > 0 and server.address == ("127.0.0.1", server.port)
    assert received == [er7]
    assert ack_code(ack) == ("AA", "")
    assert hl7.parse(ack)["MSA.F2"] == "CTL0001"


def test_mllp_many_messages_in_order(server, received, patient):
    sent = [build(patient, control_id=f"C{i}") for i in range(5)]

    acks = [send_mllp(*server.address, m) for m in sent]

    assert received == sent
    assert [hl7.parse(a)["MSA.F2"] for a in acks] == [f"C{i}" for i in range(5)]


def test_mllp_malformed_message_gets_ar_with_reason(server):
    ack = send_mllp(*server.address, "MSH|^~\\&|E||R||20240101||ORU^R01^ORU_R01|X1|P|2.5.1")

    assert ack_code(ack) == ("AR", "MSH-9: message type ORU^R01 is not an ADT")
    assert hl7.parse(ack)["MSA.F2"] == "X1"


def test_mllp_frame_without_start_block_gets_ar(server):
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(b"not framed\x1c\r")
        reply = b""
        while not reply.endswith(b"\x1c\r"):
            chunk = sock.recv(4096)
            assert chunk, "server closed without replying"
            reply += chunk

    assert reply.startswith(b"\x0b")
    code, reason = ack_code(reply[1:-2].decode())
    assert code == "AR" and reason.startswith("MLLP: ")


def test_handler_exception_gives_ar_and_server_keeps_serving(patient):
    calls = []

    def flaky(text: str) -> str:
        calls.append(text)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return make_ack(text)

    srv = MllpServer(flaky).start()
    try:
        first = send_mllp(*srv.address, build(patient))
        second = send_mllp(*srv.address, build(patient))
    finally:
        srv.stop()

    assert ack_code(first) == ("AR", "handler error: RuntimeError: boom")
    assert hl7.parse(first)["MSA.F2"] == "CTL0001"
    assert ack_code(second) == ("AA", "")


def test_send_to_stopped_server_raises_connection_error(patient, received):
    srv = MllpServer(rcm_handler(received)).start()
    address = srv.address
    srv.stop()
    srv.stop()  # idempotent

    with pytest.raises(ConnectionError):
        send_mllp(*address, build(patient), timeout=2)
    assert received == []


def test_start_on_a_busy_port_raises(server, received):
    with pytest.raises(OSError):
        MllpServer(rcm_handler(received), port=server.port).start()
