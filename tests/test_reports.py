"""Honest verdicts (issue 8, point 5) from constructed results, the reports that show them, and
the catalogue's black-box column (point 3)."""

from __future__ import annotations

import json

import pytest

from kipu_harness.catalogue import BLACK_BOX, Requirement, check_black_box, load_catalogue
from kipu_harness.plugins.reports import harness_write_reports
from kipu_harness.reports import VERDICTS, RunResult, ScenarioResult, summary_lines, verdict

PAT17 = Requirement("PAT-17", "Patient", "table", "covered", "DG1 start date", "partly", "needs the clock")
PLANNED = Requirement("SET-09", "Settings", "key settings", "planned", "later")
SKIP = "target remote (lab) does not declare capability 'clock' (pins the systems' date and time)"


def s(name, outcome, detail="", rid="PAT-17"):
    return ScenarioResult(f"test_x.py::{name}", name, (rid,), outcome, detail)


@pytest.mark.parametrize("outcomes, expected", [
    (["passed"], "proved"),
    (["passed", "passed"], "proved"),
    (["passed", "skipped"], "partly proved"),
    (["passed", "not run"], "partly proved"),
    (["passed", "failed"], "failed"),
    (["skipped", "failed"], "failed"),
    (["failed", "not run"], "failed"),
    (["skipped"], "not provable here"),
    (["skipped", "skipped"], "not provable here"),
    (["skipped", "not run"], "not run"),
    (["not run"], "not run"),
    ([], "not run"),
])
def test_verdict_rules(outcomes, expected):
    assert verdict(PAT17, tuple(s(f"t{i}", o) for i, o in enumerate(outcomes))) == expected


def test_a_planned_requirement_without_scenarios_is_planned():
    assert verdict(PLANNED, ()) == "planned"


def test_one_passing_scenario_does_not_prove_a_requirement_whose_other_scenario_was_skipped():
    # The report of issue 8: PAT-17 on a remote target, the discriminating scenario skipped.
    result = RunResult("remote (lab)", (s("start_dates_match", "passed"), s("dg1_start_date", "skipped", SKIP)),
                       {"PAT-17": PAT17})
    [row] = result.by_requirement()
    assert row.outcome == "partly proved"
    assert [x.name for x in row.unproved] == ["dg1_start_date"]
    assert row.why() == f"dg1_start_date skipped: {SKIP}"


def test_counts_follow_the_order_of_the_verdicts():
    catalogue = {"PAT-17": PAT17, "PAT-04": Requirement("PAT-04", "P", "t", "covered", "one way"),
                 "SET-09": PLANNED}
    result = RunResult("t", (s("a", "failed", rid="PAT-04"), s("b", "passed")), catalogue)
    assert list(result.counts().items()) == [("proved", 1), ("failed", 1), ("planned", 1)]
    assert list(result.counts()) == [v for v in VERDICTS if v in result.counts()]


def test_summary_names_every_scenario_that_kept_a_requirement_from_proved():
    catalogue = {"PAT-17": PAT17, "SET-09": PLANNED}
    result = RunResult("remote (lab)", (s("start_dates_match", "passed"), s("dg1_start_date", "skipped", SKIP)),
                       catalogue)
    lines = summary_lines(result)
    assert lines[0].split() == ["PAT-17", "part", "SET-09", ".."]
    assert lines[1] == "1 partly proved, 1 planned  (part = partly proved; .. = planned, not yet in the suite)"
    assert lines[2:] == [f"PAT-17 partly proved: dg1_start_date skipped: {SKIP}"]


def test_reports_carry_the_verdict_why_and_the_black_box_column(tmp_path):
    result = RunResult("remote (lab)", (s("start_dates_match", "passed"), s("dg1_start_date", "skipped", SKIP)),
                       {"PAT-17": PAT17, "SET-09": PLANNED})
    harness_write_reports(result=result, directory=tmp_path)
    data = json.loads((tmp_path / "requirements.json").read_text())
    row = data["requirements"][0]
    assert (row["outcome"], row["why"]) == ("partly proved", f"dg1_start_date skipped: {SKIP}")
    assert (row["black_box"], row["black_box_note"]) == ("partly", "needs the clock")
    assert data["summary"] == {"partly proved": 1, "planned": 1} and data["verdicts"] == list(VERDICTS)
    markdown = (tmp_path / "requirements.md").read_text()
    pat17 = markdown[markdown.index("### PAT-17: partly proved"):markdown.index("### SET-09")]
    assert "DG1 start date\n\nOverview: table · black-box: partly (needs the clock)" in pat17
    assert "- **passed**: start_dates_match (`test_x.py::start_dates_match`)\n" in pat17
    assert f"- **skipped**: dg1_start_date (`test_x.py::dg1_start_date`): {SKIP}\n" in pat17
    assert "| Patient | | 1 | | | | |" in markdown.replace("|  |", "| |").replace("|  |", "| |")
    assert "### SET-09: planned\n\nlater\n" in markdown and "- no scenario yet (planned)" in markdown


# --- the catalogue's black-box column ----------------------------------------------------------------


def test_every_requirement_says_whether_it_is_provable_black_box_and_why_not():
    catalogue = load_catalogue()
    assert check_black_box(catalogue) == []
    assert {req.black_box for req in catalogue.values()} <= set(BLACK_BOX)
    # the one the issue names: the DG1 segment is in the RCM's journal, the start date on its screen
    assert catalogue["PAT-17"].black_box == "partly" and "journal" in catalogue["PAT-17"].black_box_note


@pytest.mark.parametrize("value, note, says", [
    ("maybe", "", "black_box = 'maybe', expected one of yes, partly, no"),
    ("", "", "black_box = '', expected one of"),
    ("partly", " ", "black_box = partly needs a black_box_note"),
    ("no", "", "black_box = no needs a black_box_note"),
])
def test_a_wrong_black_box_value_or_a_missing_note_is_named(value, note, says):
    row = Requirement("PAT-17", "P", "t", "covered", "x", value, note)
    [problem] = check_black_box({"PAT-17": row})
    assert problem.startswith("PAT-17: ") and says in problem


def test_summary_gives_one_line_for_scenarios_skipped_for_one_reason_but_names_each_failure():
    result = RunResult("remote (lab)", (s("a", "skipped", SKIP), s("b", "skipped", SKIP), s("c", "failed", "boom"),
                                        s("d", "failed", "boom")), {"PAT-17": PAT17})
    assert summary_lines(result)[2:] == [f"PAT-17 failed: 2 scenarios skipped: {SKIP}",
                                         "PAT-17 failed: c failed: boom", "PAT-17 failed: d failed: boom"]


def test_summary_has_only_the_mark_for_a_requirement_not_run_at_all():
    result = RunResult("t", (s("a", "not run", "deselected"),), {"PAT-17": PAT17})
    assert summary_lines(result) == ["PAT-17   --   ", "1 not run  (-- = not run)"]


def test_what_a_run_left_out_is_not_run():
    from pathlib import Path

    from kipu_harness.catalogue import TaggedScenario
    from kipu_harness.reports import run_result

    feature = Path("/f/patient.feature")
    tagged = [TaggedScenario(feature, "ran", ("PAT-17",)), TaggedScenario(feature, "deselected", ("PAT-17",)),
              TaggedScenario(feature, "elsewhere", ("PAT-17",))]
    scenarios = {"t::ran": ("test_ran", ("PAT-17",)), "t::deselected": ("test_deselected", ("PAT-17",))}
    collected = {(str(feature), "ran"), (str(feature), "deselected")}
    result = run_result("t", {"PAT-17": PAT17}, scenarios, {"t::ran": ("passed", "")}, deselected={"t::deselected"},
                        tagged=tagged, collected=collected)
    [row] = result.by_requirement()
    assert row.outcome == "partly proved"
    assert row.why() == ("test_deselected not run: deselected; "
                         "patient.feature: elsewhere not run: not collected in this run")
    # an item that cannot be traced to its feature file: nothing is inferred about the uncollected
    untraced = run_result("t", {"PAT-17": PAT17}, scenarios, {"t::ran": ("passed", "")}, tagged=tagged,
                          collected=collected | {None})
    assert untraced.by_requirement()[0].why() == "test_deselected not run"


def test_summary_ends_with_where_the_reports_are():
    result = RunResult("t", (s("a", "passed"),), {"PAT-17": PAT17})
    assert summary_lines(result, reports="out")[-1] == "requirement reports: out/requirements.md"
    assert summary_lines(result)[-1] == "1 proved"
