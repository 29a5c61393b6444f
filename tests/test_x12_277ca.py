"""The clearinghouse's 277CA: built for accepted and rejected claims, validated by pyx12 and read
back by the RCM; and the claims benchmark."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest
from claimkit import CHILD, CLEARINGHOUSE, OP, PARENT, RCM, RES, SELF, assert_valid, segments, starting

from kipu_harness.wire.x12.claims import ClaimError, build_277ca, build_837, parse_277ca, validate_277ca


# --------------------------------------------------------------------------- 277CA

def test_277ca_accepted_round_trip():
    batch = [OP, replace(OP, claim_id="OP2", subscriber=PARENT, patient=CHILD)]
    text = build_277ca(batch, True, CLEARINGHOUSE)
    assert_valid(validate_277ca(text))
    assert parse_277ca(text) == {"OP1": "accepted", "OP2": "accepted"}
    assert starting(text, "TRN*2*OP") == ["TRN*2*OP1", "TRN*2*OP2"]
    assert starting(text, "STC*A2:20*") == ["STC*A2:20*20260116*WQ*210.5"] * 2
    assert len(starting(text, "REF*1K*")) == 2
    assert "NM1*QC*1*DOE*TIM****MI*W123456789" in segments(text)
    assert "DTP*472*RD8*20260112-20260114" in segments(text)


def test_277ca_rejected_round_trip():
    text = build_277ca([RES], False, CLEARINGHOUSE, reason="MEMBER ID NOT FOUND")
    assert_valid(validate_277ca(text))
    assert parse_277ca(text) == {"RES1": "rejected"}
    assert starting(text, "STC*A3:") == ["STC*A3:21*20260116*U*2250********MEMBER ID NOT FOUND"]
    assert not starting(text, "REF*1K*")
    assert "QTY*AA*1" in segments(text)


def test_277ca_groups_claims_by_payer():
    other = replace(OP, claim_id="OP2", subscriber=replace(SELF, payer_name="BLUE RIVER",
                                                           payer_id="BR22"))
    text = build_277ca([OP, other], True, CLEARINGHOUSE)
    assert starting(text, "NM1*PR*") == ["NM1*PR*2*ACME HEALTH*****PI*ACME01",
                                         "NM1*PR*2*BLUE RIVER*****PI*BR22"]
    assert parse_277ca(text) == {"OP1": "accepted", "OP2": "accepted"}


def test_parse_277ca_reads_other_categories_and_refuses_unknown():
    text = build_277ca([OP], True, CLEARINGHOUSE)
    assert parse_277ca(text.replace("STC*A2:20*", "STC*A7:562:85*")) == {"OP1": "rejected"}
    assert parse_277ca(text.replace("STC*A2:20*", "STC*A1:20*")) == {"OP1": "accepted"}
    with pytest.raises(ClaimError, match="claim 'OP1': STC01-1: status category 'P1'"):
        parse_277ca(text.replace("STC*A2:20*", "STC*P1:20*"))
    with pytest.raises(ClaimError, match="ST01: expected a 277"):
        parse_277ca(build_837([OP], RCM))
    with pytest.raises(ClaimError, match="277CA: ISA"):
        parse_277ca("not x12")


def test_build_277ca_refusals():
    with pytest.raises(ClaimError, match="STC12: reason is 265 characters; at most 264"):
        build_277ca([OP], False, CLEARINGHOUSE, reason="X" * 265)
    with pytest.raises(ClaimError, match="STC12: reason 5 is not text"):
        build_277ca([OP], False, CLEARINGHOUSE, reason=5)
    with pytest.raises(ClaimError, match="TRN02: 'A\\*B' contains the delimiter"):
        build_277ca([replace(OP, claim_id="A*B")], False, CLEARINGHOUSE)
    with pytest.raises(ClaimError, match="TRN02: CLM01 appears twice"):
        build_277ca([OP, OP], True, CLEARINGHOUSE)
    with pytest.raises(ClaimError, match="no claims"):
        build_277ca([], True, CLEARINGHOUSE)


# --------------------------------------------------------------------------- bench

def test_bench_runs_and_its_batch_validates(capsys):
    path = Path(__file__).resolve().parents[1] / "bench" / "bench_claims.py"
    spec = importlib.util.spec_from_file_location("bench_claims", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--claims", "12", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "generation" in out and "validation" in out and "generation / validation" in out
    # Seeded: the same claims every time.
    assert bench.synthetic_claims(12, 42) == bench.synthetic_claims(12, 42)
