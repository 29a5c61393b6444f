"""X12 005010X279A1 270/271 building, refusals and round trips (the structure checks are in
test_x12_eligibility_structure.py)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pytest
from eligibilitykit import (
    DEPENDENT,
    PAYER,
    RCM,
    REQUEST,
    SUBSCRIBER,
    WITH_DEPENDENT,
    drop,
    edit,
    segments,
    swap,
)
from pyx12.x12file import X12Reader

from kipu_harness.wire.x12.eligibility import (
    OUTCOMES,
    SERVICE_TYPES,
    Benefit,
    X12Error,
    build_270,
    build_271,
    parse_270,
    parse_271,
    validate_structure,
)


# --------------------------------------------------------------------------- building

@pytest.mark.parametrize("text", [build_270(REQUEST, RCM), build_270(WITH_DEPENDENT, RCM),
                                  *(build_271(WITH_DEPENDENT, o, PAYER) for o in OUTCOMES)])
def test_isa_is_exactly_106_characters(text):
    isa = text[:text.index("~") + 1]
    assert len(isa) == 106
    assert isa[3] == "*" and isa[82] == "^" and isa[104] == ":" and isa[105] == "~"
    assert isa.split("*")[13] == ("000000042" if "*HS*" in text else "000009001")


def test_270_content():
    segs = segments(build_270(REQUEST, RCM))
    assert segs[1] == "GS*HS*KIPURCM*ACMEPAYER*20260115*093005*7*X*005010X279A1"
    assert segs[2:4] == ["ST*270*0001*005010X279A1", "BHT*0022*13*0001*20260115*093005"]
    assert segs[4:13] == [
        "HL*1**20*1", "NM1*PR*2*ACME HEALTH*****PI*ACME01",
        "HL*2*1*21*1", "NM1*1P*2*KIPU RECOVERY*****XX*1234567893",
        "HL*3*2*22*0", "TRN*1*TRC-0001*9KIPURCM00", "NM1*IL*1*DOE*JANE****MI*W123456789",
        "DMG*D8*19850412*F", "DTP*291*D8*20260115",
    ]
    assert segs[13] == "EQ*30^MH^AI^AJ^CE^CF^CG^CH^CI^CJ"
    assert segs[14:] == ["SE*13*0001", "GE*1*7", "IEA*1*000000042"]


def test_270_dependent_loop_carries_trace_date_and_eq():
    segs = segments(build_270(WITH_DEPENDENT, RCM))
    dep = segs.index("HL*4*3*23*0")
    assert "HL*3*2*22*1" in segs[:dep]
    assert not any(s.startswith(("TRN", "EQ", "DTP")) for s in segs[:dep])
    assert segs[dep + 1:dep + 6] == ["TRN*1*TRC-0001*9KIPURCM00", "NM1*03*1*DOE*TIM",
                                     "DMG*D8*20100102*M", "DTP*291*D8*20260115",
                                     "EQ*30^MH^AI^AJ^CE^CF^CG^CH^CI^CJ"]


def test_270_custom_service_types_and_no_trace():
    request = replace(REQUEST, service_types=("MH", "A8"), trace_number="")
    segs = segments(build_270(request, RCM))
    assert "EQ*MH^A8" in segs
    assert not any(s.startswith("TRN") for s in segs)


def test_271_content_per_outcome():
    def body(outcome, request=REQUEST):
        segs = segments(build_271(request, outcome, PAYER))
        return segs[segs.index(next(s for s in segs if s.startswith("HL*3"))):-3]

    assert segments(build_271(REQUEST, "active", PAYER))[1].startswith("GS*HB*ACMEPAYER*KIPURCM*")
    assert body("active") == [
        "HL*3*2*22*0", "TRN*2*TRC-0001*9KIPURCM00", "NM1*IL*1*DOE*JANE****MI*W123456789",
        "DMG*D8*19850412*F", "DTP*307*D8*20260115",
        "EB*1*IND*30^MH^AI^AJ^CE^CF^CG^CH^CI^CJ********N",
    ]
    assert body("inactive")[-1] == "EB*6*IND*30^MH^AI^AJ^CE^CF^CG^CH^CI^CJ"
    auth = body("auth_required")
    assert auth[-2:] == ["EB*1*IND*30^MH^AI^AJ^CE^CF^CG^CH^CI^CJ********Y",
                         "MSG*AUTHORIZATION REQUIRED"]
    assert auth[-2].split("*")[11] == "Y"  # EB11
    # not_found: AAA right after the subscriber's NM1 in 2100C, no EB, dependent loop dropped.
    for request in (REQUEST, WITH_DEPENDENT):
        missing = body("not_found", request)
        assert missing == ["HL*3*2*22*0", "TRN*2*TRC-0001*9KIPURCM00",
                           "NM1*IL*1*DOE*JANE****MI*W123456789", "AAA*N**75*C", "DMG*D8*19850412*F"]


def test_271_dependent_echoes_trace_in_2000d():
    segs = segments(build_271(WITH_DEPENDENT, "active", PAYER))
    dep = segs.index("HL*4*3*23*0")
    assert segs[dep + 1] == "TRN*2*TRC-0001*9KIPURCM00"
    assert segs[dep + 2] == "NM1*03*1*DOE*TIM"
    assert segs[-4].startswith("EB*1*IND*")


@pytest.mark.parametrize("text", [build_270(REQUEST, RCM), build_270(WITH_DEPENDENT, RCM),
                                  *(build_271(r, o, PAYER) for r in (REQUEST, WITH_DEPENDENT)
                                    for o in OUTCOMES)])
def test_pyx12_envelope_reader_agrees(text):
    # An independent reader of ISA/GS/ST/SE/GE/IEA (pyx12 has no 5010 270/271 map, but its
    # envelope checks are generic): no errors on anything we build.
    reader = X12Reader(io.StringIO(text))
    assert len(list(reader)) == len(segments(text))
    assert reader.pop_errors() == []


@pytest.mark.parametrize("change, reason", [
    # Identifiers travel as they are, so a separator in one is refused (names are cleaned).
    (lambda r: replace(r, subscriber=replace(SUBSCRIBER, member_id="W*123")), "NM109: 'W\\*123'"),
    (lambda r: replace(r, payer_id="AC:01"), "NM109: 'AC:01' contains the delimiter"),
    (lambda r: replace(r, payer_name="*~^:"), "NM103: "),
    (lambda r: replace(r, trace_number="A^B"), "TRN02: "),
    (lambda r: replace(r, trace_number="X" * 51), "TRN02: "),
    (lambda r: replace(r, provider_npi="1234567890"), "NM109: "),
    (lambda r: replace(r, provider_npi="12345"), "NM109: "),
    (lambda r: replace(r, subscriber=replace(SUBSCRIBER, gender="X")), "DMG03: "),
    (lambda r: replace(r, dependent=replace(DEPENDENT, first_name="")), "NM103: 2100D"),
    (lambda r: replace(r, subscriber=replace(SUBSCRIBER, member_id="", last_name="")),
     "NM103: 2100C"),
    (lambda r: replace(r, service_types=()), "EQ01: "),
    (lambda r: replace(r, service_types=("MHX",)), "EQ01: "),
    (lambda r: replace(r, service_types=["30"]), "EQ01: "),
    (lambda r: replace(r, payer_id=""), "NM103: "),
])
def test_build_refuses_values_x12_cannot_carry(change, reason):
    with pytest.raises(X12Error, match=f"^{reason}"):
        build_270(change(REQUEST), RCM)


@pytest.mark.parametrize("change, reason", [
    (dict(sender_id="A" * 16), "ISA06: "),
    (dict(receiver_id=""), "ISA08: "),
    (dict(interchange_control=1_000_000_000), "ISA13: "),
    (dict(group_control=0), "GS06: "),
    (dict(transaction_control=-1), "ST02: "),
    (dict(usage="X"), "ISA15: "),
    (dict(created_at=dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.timezone.utc)), "GS04: "),
])
def test_build_refuses_bad_envelopes(change, reason):
    with pytest.raises(X12Error, match=f"^{reason}"):
        build_270(REQUEST, replace(RCM, **change))


def test_build_271_refuses_unknown_outcome():
    with pytest.raises(X12Error, match="^EB01: unknown outcome 'maybe'"):
        build_271(REQUEST, "maybe", PAYER)


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("request_", [
    REQUEST,
    WITH_DEPENDENT,
    replace(REQUEST, trace_number="", service_types=("MH",)),
    replace(REQUEST, subscriber=replace(SUBSCRIBER, first_name="", last_name="")),
    replace(REQUEST, subscriber=replace(SUBSCRIBER, member_id="")),
    replace(WITH_DEPENDENT, dependent=replace(DEPENDENT, member_id="D55")),
])
def test_270_round_trip(request_):
    assert parse_270(build_270(request_, RCM)) == (request_, RCM)


def test_270_round_trip_drops_microseconds():
    envelope = replace(RCM, created_at=dt.datetime(2026, 1, 15, 9, 30, 5, 123456))
    _, parsed = parse_270(build_270(REQUEST, envelope))
    assert parsed.created_at == dt.datetime(2026, 1, 15, 9, 30, 5)


@pytest.mark.parametrize("request_", [REQUEST, WITH_DEPENDENT], ids=["subscriber", "dependent"])
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_271_round_trip(request_, outcome):
    response = parse_271(build_271(request_, outcome, PAYER))
    assert response.status == outcome
    assert response.trace_number == "TRC-0001"
    assert response.subscriber == SUBSCRIBER
    types = SERVICE_TYPES
    expected = {
        "active": (Benefit("1", types, False),),
        "inactive": (Benefit("6", types, False),),
        "auth_required": (Benefit("1", types, True, "AUTHORIZATION REQUIRED"),),
        "not_found": (),
    }[outcome]
    assert response.benefits == expected
    assert response.reject_reason == ("75" if outcome == "not_found" else "")


def test_271_echoes_requested_service_types():
    response = parse_271(build_271(replace(REQUEST, service_types=("MH", "AI")), "active", PAYER))
    assert response.benefits[0].service_types == ("MH", "AI")


def test_parse_accepts_no_newlines_and_crlf():
    text = build_270(WITH_DEPENDENT, RCM)
    assert parse_270(text.replace("\n", "")) == (WITH_DEPENDENT, RCM)
    assert parse_270(text.replace("\n", "\r\n")) == (WITH_DEPENDENT, RCM)
    assert parse_271(build_271(REQUEST, "auth_required", PAYER).replace("\n", "")).status == \
        "auth_required"


def test_parse_reads_separators_from_the_isa():
    # Element |, repetition }, component >, terminator newline: a 270 from another sender.
    text = build_270(REQUEST, RCM).replace("~\n", "\n").translate(str.maketrans("*^:", "|}>"))
    assert text[3] == "|" and text[82] == "}" and text[104] == ">" and text[105] == "\n"
    assert parse_270(text) == (REQUEST, RCM)


def test_parse_270_without_dtp_uses_the_inquiry_date():
    text = edit(build_270(REQUEST, replace(RCM, created_at=dt.datetime(2026, 2, 1, 8, 0))),
                drop("DTP*291"))
    assert parse_270(text)[0].service_date == dt.date(2026, 2, 1)


def test_parse_270_reads_rd8_start_and_every_eq():
    text = edit(build_270(REQUEST, RCM), lambda segs: [
        *(s for s in segs[:-3] if not s.startswith(("DTP", "EQ"))),
        "DTP*291*RD8*20260110-20260120", "EQ*MH^AI", "EQ*CF", *segs[-3:]])
    request, _ = parse_270(text)
    assert request.service_date == dt.date(2026, 1, 10)
    assert request.service_types == ("MH", "AI", "CF")


def test_parse_271_from_a_payer_with_extra_benefits():
    # EB*A (co-insurance) carries EB11 Y for AI; the sample 271 in the standards notes.
    text = edit(build_271(REQUEST, "active", PAYER), lambda segs: [
        *segs[:-4], "EB*1*IND*30", "EB*A*IND*AI***23**.2***Y", "MSG*CALL FOR AUTH",
        "MSG*1-800-555-0100", *segs[-3:]])
    response = parse_271(text)
    assert response.status == "auth_required"
    assert response.benefits == (Benefit("1", ("30",), False),
                                 Benefit("A", ("AI",), True, "CALL FOR AUTH 1-800-555-0100"))


def test_parse_271_rejection_by_the_information_source_is_not_found_with_its_code():
    text = edit(build_271(REQUEST, "not_found", PAYER),
                lambda segs: [*segs[:5], "AAA*N**42*R", *segs[5:]])
    response = parse_271(text)
    assert (response.status, response.reject_reason) == ("not_found", "42")


def test_parse_271_without_coverage_status_is_refused():
    text = edit(build_271(REQUEST, "active", PAYER), swap("EB*", "EB*B*IND*30"))
    validate_structure(text, "271")
    with pytest.raises(X12Error, match="^EB01: "):
        parse_271(text)


def test_parse_271_without_subscriber_dmg_has_no_subscriber():
    text = edit(build_271(REQUEST, "inactive", PAYER), drop("DMG"))
    assert parse_271(text).subscriber is None


def test_parse_reads_one_transaction_only():
    segs = segments(build_270(REQUEST, RCM))
    second = [s.replace("0001", "0002") for s in segs[2:-2]]
    text = "".join(s + "~" for s in [*segs[:-2], *second, "GE*2*7", segs[-1]])
    validate_structure(text, "270")  # two transaction sets in one group are well formed
    with pytest.raises(X12Error, match="^GE01: 2 transaction sets; parse_270 reads one"):
        parse_270(text)


def test_parse_270_refuses_a_bad_npi():
    text = edit(build_270(REQUEST, RCM), swap("NM1*1P", "NM1*1P*2*KIPU*****XX*1234567890"))
    validate_structure(text, "270")
    with pytest.raises(X12Error, match="^NM109: 2100B NPI '1234567890'"):
        parse_270(text)
