"""X12 005010X279A1 270/271 building, parsing and structural checks."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pytest
from pyx12.x12file import X12Reader

from kipu_harness.plugins.x12_eligibility import (
    OUTCOMES,
    SERVICE_TYPES,
    Benefit,
    EligibilityRequest,
    Envelope,
    Party,
    X12Error,
    build_270,
    build_271,
    parse_270,
    parse_271,
    validate_structure,
)

SUBSCRIBER = Party(member_id="W123456789", first_name="JANE", last_name="DOE",
                   dob=dt.date(1985, 4, 12), gender="F")
DEPENDENT = Party(member_id="", first_name="TIM", last_name="DOE", dob=dt.date(2010, 1, 2),
                  gender="M")
REQUEST = EligibilityRequest(payer_name="ACME HEALTH", payer_id="ACME01",
                             provider_name="KIPU RECOVERY", provider_npi="1234567893",
                             subscriber=SUBSCRIBER, service_date=dt.date(2026, 1, 15),
                             trace_number="TRC-0001")
WITH_DEPENDENT = replace(REQUEST, dependent=DEPENDENT)
RCM = Envelope(sender_id="KIPURCM", receiver_id="ACMEPAYER", interchange_control=42,
               group_control=7, transaction_control=1,
               created_at=dt.datetime(2026, 1, 15, 9, 30, 5))
PAYER = Envelope(sender_id="ACMEPAYER", receiver_id="KIPURCM", interchange_control=9001,
                 group_control=3, transaction_control=12,
                 created_at=dt.datetime(2026, 1, 15, 9, 30, 9), usage="P")


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def edit(text: str, change, *, recount: bool = True) -> str:
    """Apply ``change`` to the list of segments; then fix SE01 so only the intended break shows."""
    segs = change(segments(text))
    if recount:
        st = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
        se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
        segs[se] = "SE*" + str(se - st + 1) + "*" + segs[se].split("*")[2]
    return "".join(s + "~\n" for s in segs)


def swap(old: str, new: str):
    """A change replacing the one segment that starts with ``old`` by ``new``."""
    def change(segs: list[str]) -> list[str]:
        hits = [i for i, s in enumerate(segs) if s.startswith(old)]
        assert len(hits) == 1, (old, segs)
        segs[hits[0]] = new
        return segs
    return change


def drop(prefix: str):
    return lambda segs: [s for s in segs if not s.startswith(prefix)]


def reject(text: str, expected: str, reason: str) -> str:
    with pytest.raises(X12Error) as info:
        validate_structure(text, expected)
    message = str(info.value)
    assert message.startswith(reason), message
    assert "\n" not in message
    return message


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
    (lambda r: replace(r, subscriber=replace(SUBSCRIBER, last_name="DOE*SMITH")), "NM103: "),
    (lambda r: replace(r, payer_name="ACME~HEALTH"), "NM103: "),
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


# --------------------------------------------------------------------------- structure

GOOD_270 = build_270(REQUEST, RCM)
GOOD_270_DEP = build_270(WITH_DEPENDENT, RCM)
GOOD_271 = build_271(REQUEST, "active", PAYER)


@pytest.mark.parametrize("text, expected", [(GOOD_270, "270"), (GOOD_270_DEP, "270"),
                                            (GOOD_271, "271")])
def test_valid_messages_pass(text, expected):
    assert validate_structure(text, expected) is None


@pytest.mark.parametrize("text, expected, reason", [
    (edit(GOOD_270, swap("SE*", "SE*99*0001"), recount=False), "270",
     "SE01: segment count 99, counted 13"),
    (edit(GOOD_270, drop("DMG"), recount=False), "270", "SE01: segment count 13, counted 12"),
    (edit(GOOD_270, swap("SE*", "SE*13*0002")), "270",
     "SE02: control number '0002' does not match ST02 '0001'"),
    (edit(GOOD_270, swap("IEA*", "IEA*1*000000043")), "270",
     "IEA02: interchange control '000000043' does not match ISA13 '000000042'"),
    (edit(GOOD_270, swap("IEA*", "IEA*2*000000042")), "270", "IEA01: group count 2, counted 1"),
    (edit(GOOD_270, swap("GE*", "GE*2*7")), "270", "GE01: transaction count 2, counted 1"),
    (edit(GOOD_270, swap("GE*", "GE*1*8")), "270", "GE02: group control '8'"),
    (GOOD_270.replace("*005010X279A1~\nST", "*004010X092A1~\nST"), "270",
     "GS08: version '004010X092A1', expected '005010X279A1'"),
    (GOOD_270.replace("GS*HS*", "GS*HB*"), "270", "GS01: functional id 'HB' does not fit a 270"),
    (GOOD_271, "270", "ST01: transaction set '271', expected '270'"),
    (GOOD_270, "271", "ST01: transaction set '270', expected '271'"),
    (GOOD_270.replace("ST*270*0001*005010X279A1", "ST*270*0001*005010X092A1"), "270", "ST03: "),
    (edit(GOOD_270, drop("BHT")), "270", "BHT: missing"),
    (GOOD_270.replace("BHT*0022*13*", "BHT*0022*11*"), "270", "BHT02: purpose '11', expected '13'"),
    (GOOD_270.replace("BHT*0022*", "BHT*0019*"), "270", "BHT01: "),
    (edit(GOOD_270, drop("NM1*IL")), "270", "NM101: 2100C (HL 3) needs NM1*IL"),
    (edit(GOOD_270, drop("NM1*PR")), "270", "NM101: 2100A (HL 1) needs NM1*PR"),
    (GOOD_270.replace("NM1*1P*", "NM1*FA*"), "270", "NM101: 2100B (HL 2) needs NM1*1P"),
    (edit(GOOD_270_DEP, drop("NM1*03")), "270", "NM101: 2100D (HL 4) needs NM1*03"),
    (edit(GOOD_270, drop("EQ*")), "270", "EQ: 2000C (HL 3) is the patient's loop and has no EQ"),
    (edit(GOOD_270_DEP, drop("EQ*")), "270", "EQ: 2000D (HL 4)"),
    (edit(GOOD_270, swap("EQ*", "EQ")), "270", "EQ01: "),
    (edit(GOOD_271, drop("EB*")), "271", "EB: 2000C (HL 3) is the patient's loop"),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*D8*20261301"), "270",
     "DTP03: '20261301' is not a valid CCYYMMDD date"),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*D8*20260230"), "270", "DTP03: "),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*RD8*20260120-20260110"), "270",
     "DTP03: range '20260120-20260110' ends before it starts"),
    (GOOD_270.replace("DTP*291*D8*20260115", "DTP*291*D6*260115"), "270", "DTP02: "),
    (GOOD_271.replace("DTP*307*D8*20260115", "DTP*307*D8*2026011"), "271", "DTP03: "),
    (GOOD_270.replace("DMG*D8*19850412", "DMG*D8*19850432"), "270", "DMG02: "),
    (GOOD_270.replace("HL*3*2*22*0", "HL*3*1*22*0"), "270",
     "HL02: parent '1' of HL 3 (level 22) is not a level 21 HL"),
    (GOOD_270.replace("HL*3*2*22*0", "HL*3*2*22*1"), "270", "HL04: child code '1' in HL 3"),
    (GOOD_270.replace("HL*3*2*22*0", "HL*4*2*22*0"), "270", "HL01: id '4' where 3 is due"),
    (GOOD_270.replace("HL*3*2*22*0", "HL*3*2*99*0"), "270", "HL03: level '99'"),
    (GOOD_270.replace("HL*1**20*1", "HL*1*1*20*1"), "270", "HL02: "),
    (edit(GOOD_270, lambda s: [x for x in s if not x.startswith(("HL*3", "TRN", "NM1*IL", "DMG",
                                                                "DTP", "EQ"))]
          ).replace("HL*2*1*21*1", "HL*2*1*21*0"), "270", "HL03: no subscriber level (22"),
    (edit(GOOD_270, lambda s: [*s[:4], "NM1*PR*2*X*****PI*Y", *s[4:]]), "270",
     "HL: the detail must start with HL level 20 after BHT, found NM1"),
])
def test_structural_breaks_are_rejected_with_a_reason(text, expected, reason):
    reject(text, expected, reason)


@pytest.mark.parametrize("text, reason", [
    ("", "ISA: empty input"),
    ("  \r\n ", "ISA: empty input"),
    ("hello, this is not X12 at all", "ISA: input does not start with an ISA segment"),
    ("MSH|^~\\&|KIPU_EMR||KIPU_RCM|", "ISA: input does not start with an ISA segment"),
    (GOOD_270[:60], "ISA: truncated"),
    (GOOD_270[:105], "ISA: truncated"),
    (GOOD_270.replace("KIPURCM        ", "KIPURCM", 1), "ISA06: 7 characters where the fixed-width "
                                                         "ISA needs 15"),
    (GOOD_270.replace("*00501*", "*00401*", 1), "ISA12: version '00401', expected '00501'"),
    (GOOD_270.replace("*^*00501", "*U*00501", 1), "ISA11: "),
    (GOOD_270.replace("*T*:~", "*T*~~", 1), "ISA: element, repetition and component"),
    (GOOD_270.replace("*260115*", "*261315*", 1), "ISA09: "),
    (GOOD_270.replace("*000000042*", "*00000004X*", 1), "ISA13: "),
    (GOOD_270[:GOOD_270.index("GS*")] + "this is garbage~and more~",
     "segment 2: 'this is garbage'"),
    (GOOD_270[:GOOD_270.index("IEA")], "IEA: the interchange must end with IEA, found GE"),
    (GOOD_270.rstrip("~\n"), "IEA: input does not end with the segment terminator"),
    (GOOD_270.replace("GS*HS*KIPURCM*ACMEPAYER*20260115", "GS*HS*KIPURCM*ACMEPAYER*20261515"),
     "GS04: "),
    (edit(GOOD_270, drop("GS*")), "GS: expected a functional group header, found ST"),
    (edit(GOOD_270, drop("GE*")), "GE: functional group GS06 '7' has no trailer; found IEA"),
    (edit(GOOD_270, drop("SE*"), recount=False), "SE: transaction ST02 '0001' has no trailer"),
])
def test_broken_envelopes_are_rejected(text, reason):
    reject(text, "270", reason)


def test_parse_functions_validate_first():
    with pytest.raises(X12Error, match="^SE01: "):
        parse_270(edit(GOOD_270, swap("SE*", "SE*9*0001"), recount=False))
    with pytest.raises(X12Error, match="^ST01: "):
        parse_271(GOOD_270)
    with pytest.raises(X12Error, match="^ISA: empty input"):
        parse_271("")


def test_validate_structure_refuses_an_unknown_expected_type():
    with pytest.raises(X12Error, match="^ST01: expected transaction set '837'"):
        validate_structure(GOOD_270, "837")
