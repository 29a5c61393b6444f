"""The simulation's page (simulation/page.py, charts.py): drawn from the run's JSON alone, charts
as inline SVG, shown in Chromium with no error and no fetch; a failed reconciliation is the
first thing it says."""

from __future__ import annotations

import re

import pytest

from browserkit import keep, needs_browser, opened
from kipu_harness.simulation import charts
from kipu_harness.simulation.charts import Series
from kipu_harness.simulation.page import figures, render, write_html


def sample(passed: bool = True) -> dict:
    days = [f"2026-03-{n:02d}" for n in range(1, 8)]
    return {
        "seed": 7, "days": 7, "target": "inprocess", "workload": {"arrivals_per_day": 4, "beds": 60},
        "started": "2026-11-28T06:00:00+00:00", "duration_s": 1.5, "patient_days": 180,
        "patient_days_per_second": 120.0,
        "daily": [{"day": d, "census": 20 + n, "arrivals": 4, "admissions": 3, "discharges": n % 2,
                   "charges_transmitted": 10 + n, "charges_refused": n % 3, "claims_submitted": 2,
                   "claims_accepted": 2, "claims_rejected": 0} for n, d in enumerate(days)],
        "charges": {"transmitted": 91, "refused": {"no U/R": 3, "expired authorization": 2, "<b>odd</b>": 1}},
        "admission_to_first_claim_days": {"values": [3, 4, 4, 6], "median": 4, "p90": 6, "max": 6},
        "claims": {"by_payer": {"Aetna": {"accepted": 5, "rejected": 1}, "Cigna": {"accepted": 3, "rejected": 0}}},
        "messages": {"by_channel": {"http": {"count": 400}, "hl7": {"count": 60}, "x12": {"count": 30}}},
        "latency_ms": {"admission": {"count": 21, "median": 7.1, "p90": 9.0, "max": 12.5}},
        "mistakes": {"missing U/R": 3},
        "reconciliation": {"passed": passed, "checks": [
            {"name": "every admission is in the RCM", "passed": True, "detail": "", "count": 21},
            {"name": "no message lost", "passed": passed, "detail": "" if passed else "2 deliveries pending", "count": 2}]},
    }


def test_gridlines_are_round_and_cover_the_top():
    for top in (0.5, 3, 7, 10, 37, 120, 999, 4321):
        ticks = charts._ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and 2 <= len(ticks) <= 7
        steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:])}
        assert len(steps) == 1 and re.fullmatch(r"[125]0*(\.0)?", f"{steps.pop():g}"), (top, ticks)


def test_a_chart_escapes_its_labels_and_describes_its_numbers():
    svg = charts.bars("t", ["<script>x</script>", "b"], [Series("n", (3, 0))])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<desc>&lt;script&gt;x&lt;/script&gt;: n 3; b: n 0</desc>" in svg
    assert svg.count("<rect") == 2


def test_a_histogram_counts_each_day_with_its_gaps():
    svg = charts.histogram("t", [1, 1, 3])
    assert "<desc>0: patients 0; 1: patients 2; 2: patients 0; 3: patients 1</desc>" in svg


def test_the_key_figures_add_up_from_the_days():
    shown = dict(figures(sample()))
    assert shown["admissions"] == 21 and shown["census on the last day"] == 26
    assert shown["charges refused"] == 6 and shown["claims accepted"] == 8 and shown["claims rejected"] == 1


@needs_browser
@pytest.mark.parametrize("passed", [True, False])
def test_the_page_shows_the_facility_in_chromium(tmp_path, browser, passed):
    path = write_html(sample(passed), tmp_path)
    with opened(browser, path.as_uri(), ("file:", "data:"), viewport=(1360, 1000)) as watched:
        page = watched.page
        assert page.locator("figure svg.chart").count() == 7
        assert page.locator("h1 .badge").inner_text() == ("reconciled" if passed else "reconciliation failed")
        failed = page.locator("#reconciliation tr.failed")
        assert failed.count() == (0 if passed else 1)
        if not passed:
            assert "2 deliveries pending" in failed.inner_text()
        assert "<b>odd</b>" in page.locator("figure").nth(2).inner_html().replace("&lt;", "<").replace("&gt;", ">")
        assert page.locator("figure b").count() == 0  # a reason's markup stays text
        keep(page, f"simulation-{'passed' if passed else 'failed'}.png", full_page=True)
    assert not watched.problems, watched.problems
    assert "<script" not in render(sample(passed))  # no script at all: it prints as it shows
