"""reports/index.html in a real browser: headless Chromium (Debian's, driven by Playwright) opens
the report of a failing run and shows, without a console error or a fetch, the run, the failing
requirement first, the reason and the messages the scenario exchanged; filters and links work.
A screenshot is kept in build/test-artifacts/ (and KIPU_SCREENSHOTS_DIR, if set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from browserkit import keep, needs_browser, opened
from kipu_harness.catalogue import load_catalogue
from kipu_harness.evidence import Message
from kipu_harness.plugins.report_html import render
from kipu_harness.plugins.reports import report_data
from kipu_harness.reports import RunInfo, RunResult, ScenarioResult, StepResult

TESTS = Path(__file__).resolve().parent

# A pytest plugin for the run under test: one of the suite's own mutants (tests/mutants), applied
# at import, so PAT-05 fails the way a vendor's system that swapped two identifiers would.
BREAK = textwrap.dedent("""
    from mutants import patient  # noqa: F401  (registers the Patient Information mutants)
    from mutants.kit import registered

    [m for m in registered() if m.name == "Patient ID gets the MR Number"][0].apply()
""")


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    """`kipu-harness run` on PAT-05 and PAT-07 with PAT-05 broken: its exit code and reports folder."""
    folder = tmp_path_factory.mktemp("failing-run")
    (folder / "break_pat05.py").write_text(BREAK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(TESTS)])}
    run = subprocess.run([sys.executable, "-m", "kipu_harness.cli", "run", "--reports", str(folder / "reports"),
                          "--kipu-requirement", "PAT-05", "--kipu-requirement", "PAT-07", "-p", "break_pat05"],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    return run, folder / "reports"


def _open(browser, path: Path, fragment: str = ""):
    """The report as a file: console errors and warnings, script errors and dialogs are problems, and
    so is any fetch (it is one self-contained page)."""
    return opened(browser, path.as_uri() + fragment, ("file:", "data:", "about:"), viewport=(1280, 1000))


def test_the_failing_run_says_so_in_every_report(failing_run):
    run, reports = failing_run
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == (
        f"reports: {reports}/index.html, requirements.md, requirements.json, junit.xml, cucumber.json")
    data = json.loads((reports / "requirements.json").read_text())
    rows = {row["id"]: row for row in data["requirements"]}
    assert rows["PAT-05"]["outcome"] == "failed" and rows["PAT-07"]["outcome"] == "proved"
    [ref] = rows["PAT-05"]["scenarios"]
    failed = data["scenarios"][ref["ref"]]
    assert failed["location"].startswith("features/patient_information.feature:")
    assert "expected '1', found 'MR" in failed["detail"]
    assert [s["outcome"] for s in failed["steps"]][-1] == "failed" and failed["steps"][0]["outcome"] == "passed"
    summaries = [m["summary"] for m in failed["evidence"]]
    assert any(s.startswith("POST /api/patients ") for s in summaries) and any("A01" in s for s in summaries)
    assert data["run"]["target"] == "inprocess" and data["run"]["started"] and data["run"]["harness_version"]
    markdown = (reports / "requirements.md").read_text()
    assert "### PAT-05: failed" in markdown and "expected '1', found 'MR" in markdown and "AA A01 applied" in markdown


@needs_browser
def test_the_html_report_shows_why_a_requirement_failed_and_the_messages(failing_run, browser):
    _, reports = failing_run
    with _open(browser, reports / "index.html") as watched:
        page = watched.page
        assert page.locator("h1").inner_text() == "Conformance report: inprocess"
        assert page.locator("#attention li").all_inner_texts() == [
            page.locator("#attention li").first.inner_text()] and "PAT-05" in page.locator("#attention").inner_text()
        pat05 = page.locator("details#PAT-05")
        assert pat05.get_attribute("open") is not None  # a failed requirement opens by itself
        scenario = pat05.locator("details.scenario").first
        assert "expected '1', found 'MR" in scenario.locator("pre.reason").inner_text()
        assert scenario.locator("ol.steps li.st-failed").count() == 1
        messages = scenario.locator(".evidence details.msg")
        assert messages.count() >= 4
        texts = messages.all_inner_texts()
        assert any("harness → EMR · http · POST /api/patients" in t for t in texts)
        assert any("RCM journal · hl7 · AA A01 applied" in t for t in texts)
        a01 = messages.filter(has_text="AA A01 applied").first
        a01.locator("summary").click()
        assert "MSA|AA|" in a01.locator("pre").first.inner_text()  # the ACK, one segment a line
        keep(page, "report.png")
        # Filters: by verdict, by section, by words; the run's metadata is at the top.
        page.locator("input[name=verdict][value=failed]").uncheck()
        assert not pat05.is_visible() and page.locator("details#PAT-07").is_visible()
        page.locator("input[name=verdict][value=failed]").check()
        page.locator("#search").fill("PAT-07")
        assert page.locator("#shown").inner_text() == f"showing 1 of {len(load_catalogue())} requirements"
        assert "in-process" in page.locator("#run").inner_text()
    assert not watched.problems, watched.problems


@needs_browser
def test_a_link_to_a_requirement_opens_it_even_when_filtered_out(failing_run, browser):
    _, reports = failing_run
    with _open(browser, reports / "index.html", "#PAT-07") as watched:
        page = watched.page
        assert page.locator("details#PAT-07").get_attribute("open") is not None
        page.locator("input[name=verdict][value=proved]").uncheck()
        page.evaluate("location.hash = '#SYS-01'")
        page.wait_for_function("document.getElementById('SYS-01').open")
        assert page.locator("details#SYS-01").is_visible()
    assert not watched.problems, watched.problems


HOSTILE = "<script>alert('x')</script></script><img src=x onerror=alert(1)>"


@needs_browser
def test_what_a_system_answered_is_shown_as_text_never_run(tmp_path, browser):
    """A vendor's system may answer anything: markup in a reason or a message stays text."""
    catalogue = {"PAT-05": load_catalogue()["PAT-05"]}
    evil = Message("harness", "emr", "http", f"GET /x -> 500 {HOSTILE}", HOSTILE, HOSTILE, failed=True)
    scenario = ScenarioResult("t::a", f"a scenario {HOSTILE}", ("PAT-05",), "failed", HOSTILE,
                              feature="features/x.feature", line=3,
                              steps=(StepResult("Given", HOSTILE, 4, "failed"),), evidence=(evil,))
    result = RunResult("lab", (scenario,), catalogue, RunInfo(target="lab", command=HOSTILE))
    (tmp_path / "index.html").write_text(render(report_data(result)))
    with _open(browser, tmp_path / "index.html") as watched:
        page = watched.page
        message = page.locator("details#PAT-05 .evidence details.msg").first
        message.locator("summary").click()
        assert HOSTILE in message.inner_text()
        assert page.locator("img").count() == 0 and page.locator("script").count() == 2  # the page's own two
        assert HOSTILE in page.locator("pre.reason").inner_text()
    assert not watched.problems, watched.problems
