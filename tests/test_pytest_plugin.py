"""The pytest plugin, run for real on small suites written into pytester's directory.

Each suite has its own ``features/`` directory, named by the ``kipu_features_dir`` ini option,
so the traceability check looks there and never at the project's feature files.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from pluginkit import BARE_PLUGIN, COVERED, RUN, make_suite, output

pytest_plugins = ["pytester"]


# --- requirement markers ------------------------------------------------------------------------


def test_req_tag_becomes_a_requirement_marker(pytester):
    make_suite(pytester, """
        Feature: Tagged
          @REQ-PAT-04
          Scenario: a tagged scenario
            Given nothing in particular
            Then the scenario proves PAT-04
    """)
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK


def test_examples_tags_count_as_requirements(pytester, tmp_path):
    # PAT-05 is tagged only on an Examples block: it must satisfy traceability and be reported.
    make_suite(pytester, """
        Feature: Outline
          Scenario Outline: the <thing> arrives
            Given nothing in particular
            Then the example proves PAT-05

            @REQ-PAT-05
            Examples: things
              | thing |
              | one   |
              | two   |
    """, covered=[rid for rid in COVERED if rid != "PAT-05"])
    reports = tmp_path / "reports"
    result = pytester.runpytest(*RUN, "--kipu-reports", str(reports))
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    rows = {row["id"]: row for row in json.loads((reports / "requirements.json").read_text())["requirements"]}
    assert rows["PAT-05"]["outcome"] == "proved"
    assert len(rows["PAT-05"]["scenarios"]) == 2


def test_unknown_requirement_id_fails_the_run(pytester):
    make_suite(pytester, """
        Feature: Unknown
          @REQ-PAT-99
          Scenario: names a requirement that does not exist
            Given nothing in particular
    """)
    result = pytester.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = output(result)
    assert "PAT-99" in text
    assert "not in the requirement catalogue" in text
    # the rest of the catalogue is covered: the unknown ID is the only problem
    assert "is marked covered" not in text
    result.assert_outcomes()  # nothing ran


# --- traceability -------------------------------------------------------------------------------


def test_covered_requirement_without_scenario_fails_the_run(pytester):
    assert "SYS-01" in COVERED
    make_suite(pytester, """
        Feature: Only one
          @REQ-PAT-04
          Scenario: a tagged scenario
            Given nothing in particular
    """, covered=())
    result = pytester.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = output(result)
    assert "requirement traceability" in text
    assert "SYS-01 is marked covered in the catalogue but no scenario is tagged @REQ-SYS-01" in text
    assert "PAT-04 is marked covered" not in text
    result.assert_outcomes()


def test_one_missing_covered_requirement_is_named_alone(pytester):
    make_suite(pytester, """
        Feature: Tagged
          @REQ-PAT-04
          Scenario: a tagged scenario
            Given nothing in particular
    """, covered=[rid for rid in COVERED if rid != "WF-2.3"])
    result = pytester.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = output(result)
    assert "WF-2.3 is marked covered" in text
    assert text.count("is marked covered") == 1


def test_features_dir_covering_the_catalogue_passes(pytester):
    make_suite(pytester, """
        Feature: Tagged
          @REQ-PAT-04
          Scenario: a tagged scenario
            Given nothing in particular
    """)
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=1)
    assert "requirement traceability" not in output(result)


# --- capabilities -------------------------------------------------------------------------------

CAPABILITY_FEATURE = """
    Feature: Capabilities
      @REQ-PAT-04 @needs-clock
      Scenario: needs the clock
        Given the target of the run

      @REQ-PAT-08
      Scenario: needs nothing
        Given the target of the run
"""


def test_scenario_needing_a_missing_capability_is_skipped_with_reason(pytester):
    make_suite(pytester, CAPABILITY_FEATURE)
    pytester.makepyfile(bare_plugin=BARE_PLUGIN)
    pytester.syspathinsert()
    result = pytester.runpytest(*RUN, "-rs", "--target", "bare", "--kipu-plugin", "bare_plugin:plugin")
    result.assert_outcomes(passed=1, skipped=1)
    # The SKIPPED line points at the scenario in its feature file, not at pytest-bdd's module.
    line = CAPABILITY_FEATURE.splitlines().index("      Scenario: needs the clock") + 1
    result.stdout.fnmatch_lines([
        f"SKIPPED [[]1] features/under_test.feature:{line}: target bare does not declare capability 'clock'*",
    ])
    assert "pytest_bdd" not in "".join(l for l in result.outlines if l.startswith("SKIPPED"))
    # the requirements summary gives the verdict and the reason too, naming the scenario by its title
    result.stdout.fnmatch_lines(["PAT-04 not provable here: needs the clock skipped: *capability 'clock'*"])
    result.stdout.fnmatch_lines(["*1 proved, 1 not provable here*"])


def test_a_requirement_is_proved_only_when_every_scenario_tagged_with_it_ran_and_passed(pytester, tmp_path):
    make_suite(pytester, """
        Feature: Two scenarios for one requirement
          @REQ-PAT-04
          Scenario: a weak one
            Given the target of the run

          @REQ-PAT-04 @needs-clock
          Scenario: the discriminating one
            Given the target of the run

          @REQ-PAT-08
          Scenario: one of two
            Given nothing in particular

          @REQ-PAT-08
          Scenario: the other of two
            Given nothing in particular
    """)
    pytester.makepyfile(bare_plugin=BARE_PLUGIN)
    pytester.syspathinsert()
    reports = tmp_path / "reports"
    result = pytester.runpytest(*RUN, "--target", "bare", "--kipu-plugin", "bare_plugin:plugin",
                                "--kipu-reports", str(reports), "-k", "not other_of_two")
    result.assert_outcomes(passed=2, skipped=1, deselected=1)
    rows = {row["id"]: row for row in json.loads((reports / "requirements.json").read_text())["requirements"]}
    assert rows["PAT-04"]["outcome"] == "partly proved"
    assert rows["PAT-04"]["why"].startswith("the discriminating one skipped: target bare does not declare")
    assert rows["PAT-08"]["outcome"] == "partly proved"
    assert rows["PAT-08"]["why"] == "the other of two not run: deselected"
    result.stdout.fnmatch_lines(["PAT-04 partly proved: the discriminating one skipped: *capability 'clock'*",
                                 "PAT-08 partly proved: the other of two not run: deselected"])


def test_unknown_capability_is_a_usage_error(pytester):
    make_suite(pytester, """
        Feature: Bogus
          @REQ-PAT-04 @needs-bogus
          Scenario: needs something nobody has
            Given the target of the run
    """)
    pytester.makepyfile(bare_plugin=BARE_PLUGIN)
    pytester.syspathinsert()
    result = pytester.runpytest(*RUN, "--target", "bare", "--kipu-plugin", "bare_plugin:plugin")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # found at collection, before anything runs
    text = output(result)
    assert "@needs-bogus is not a capability" in text
    assert "known: reset, journal, clock, outbox" in text
    assert "1 passed" not in text


def test_unknown_kipu_plugin_is_a_usage_error(pytester):
    make_suite(pytester, CAPABILITY_FEATURE)
    result = pytester.runpytest(*RUN, "--target", "bare", "--kipu-plugin", "no_such_kipu_module:plugin")
    assert result.ret != pytest.ExitCode.OK
    assert "--kipu-plugin no_such_kipu_module:plugin" in output(result)


# --- reports ------------------------------------------------------------------------------------


def test_reports_are_written_per_requirement(pytester, tmp_path):
    # A catalogue of its own (ini kipu_catalogue), so "planned" rows exist whatever the project's says.
    (pytester.path / "catalogue.csv").write_text(
        "id,section,overview,status,statement\n"
        "PAT-04,Patient,table,covered,one way\n"
        "SYS-01,Systems,intro,covered,prospects\n"
        "SET-07,Settings,key settings,planned,rendering providers\n")
    make_suite(pytester, """
        Feature: Tagged
          @REQ-PAT-04
          Scenario: a tagged scenario
            Given nothing in particular
    """, covered=("PAT-04", "SYS-01"))
    pytester.makeini("[pytest]\nkipu_features_dir = features\nkipu_catalogue = catalogue.csv\n")
    reports = tmp_path / "out" / "reports"
    result = pytester.runpytest(*RUN, "--kipu-reports", str(reports))
    result.assert_outcomes(passed=1)

    data = json.loads((reports / "requirements.json").read_text())
    rows = {row["id"]: row for row in data["requirements"]}
    assert set(rows) == {"PAT-04", "SYS-01", "SET-07"}
    assert rows["PAT-04"]["outcome"] == "proved"
    # named by their Gherkin titles and feature:line, not by pytest's function names
    assert [(s["name"], s["location"]) for s in rows["PAT-04"]["scenarios"]] == [
        ("a tagged scenario", "features/under_test.feature:4")]
    # SYS-01's scenario is in a feature file this run did not collect
    assert rows["SYS-01"]["outcome"] == "not run"
    assert [(s["name"], s["outcome"], s["detail"]) for s in rows["SYS-01"]["scenarios"]] == [
        ("coverage.feature: covers SYS-01", "not run", "not collected in this run")]
    assert rows["SET-07"]["outcome"] == "planned"
    assert data["summary"] == {"proved": 1, "not run": 1, "planned": 1}

    markdown = (reports / "requirements.md").read_text()
    assert "### PAT-04: proved" in markdown and "- **passed**: a tagged scenario (`features/under_test.feature:4`)" in markdown
    assert "### SYS-01: not run" in markdown
    assert "- **not run**: coverage.feature: covers SYS-01: not collected in this run" in markdown

    result.stdout.re_match_lines([r"=+ requirements \(.*\) =+"])
    result.stdout.fnmatch_lines([f"requirement reports: {reports / 'requirements.md'}"])


def test_report_writer_given_with_kipu_plugin_writes_its_report(pytester, tmp_path):
    """--kipu-plugin registers a plugin "for the run": its harness_write_reports is part of it."""
    make_suite(pytester, """
        Feature: Tagged
          @REQ-PAT-04
          Scenario: a tagged scenario
            Given the target of the run
    """)
    pytester.makepyfile(bare_plugin=BARE_PLUGIN)
    pytester.syspathinsert()
    reports = tmp_path / "reports"
    result = pytester.runpytest(*RUN, "--kipu-reports", str(reports), "--target", "bare",
                                "--kipu-plugin", "bare_plugin:plugin", "--kipu-plugin", "bare_plugin:writer")
    result.assert_outcomes(passed=1)  # the run's plugins were loaded: the bare target was found
    assert json.loads((reports / "requirements.json").read_text())["target"] == "bare"
    assert (reports / "requirements.json").is_file()  # the built-in writer still runs
    assert (reports / "vendor-report.txt").read_text() == "PAT-04 proved\n"


def test_failed_scenario_is_reported_as_failed(pytester, tmp_path):
    make_suite(pytester, """
        Feature: Failing
          @REQ-PAT-04
          Scenario: proves the wrong thing
            Given nothing in particular
            Then the scenario proves PAT-08
    """)
    reports = tmp_path / "reports"
    result = pytester.runpytest(*RUN, "--kipu-reports", str(reports))
    result.assert_outcomes(failed=1)
    rows = {row["id"]: row for row in json.loads((reports / "requirements.json").read_text())["requirements"]}
    assert rows["PAT-04"]["outcome"] == "failed"
    assert rows["PAT-04"]["scenarios"][0]["detail"]


def test_no_reports_without_the_option(pytester):
    make_suite(pytester, """
        Feature: Tagged
          @REQ-PAT-04
          Scenario: a tagged scenario
            Given nothing in particular
    """)
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=1)
    assert not list(pytester.path.rglob("requirements.json"))
    # the summary section is shown whether or not files are written
    result.stdout.re_match_lines([r"=+ requirements \(.*\) =+"])


# --- targets ------------------------------------------------------------------------------------


def test_unknown_target_lists_the_known_ones(pytester):
    make_suite(pytester, """
        Feature: Target
          @REQ-PAT-04
          Scenario: uses the target
            Given the target of the run
    """)
    result = pytester.runpytest(*RUN, "--target", "nope")
    assert result.ret != pytest.ExitCode.OK
    text = output(result)
    assert "unknown target 'nope'" in text
    assert "known: inprocess, local, remote" in text


# --- waiting for silence -----------------------------------------------------------------------------

SETTLING_PLUGIN = textwrap.dedent('''
    from kipu_harness import hookimpl
    from kipu_harness.target import Target


    class Drained:
        """A mock's control routes, as far as the barrier needs them: nothing pending in the outbox."""

        def outbox(self, status=None):
            assert status == "pending"
            return []


    class Plugin:
        @hookimpl
        def harness_register_targets(self, register):
            register("settling", lambda options: Target(name="settling", crm=None, emr=None, rcm=None, settle=3.0,
                                                        capabilities=frozenset({"outbox"}),
                                                        controls={"emr": Drained(), "rcm": Drained()}))


    plugin = Plugin()
''')


@pytest.mark.parametrize("target", ["settling", "bare"])
def test_a_negative_check_ends_on_the_outbox_barrier_or_at_once_without_a_settle_window(pytester, target):
    """settling: a 3 s window, but every outbox is drained, so one probe is final; bare: no window."""
    make_suite(pytester, """
        Feature: Silence
          @REQ-PAT-04
          Scenario: nothing happens
            Given the target of the run
            Then nothing happens while the target settles
    """)
    pytester.makepyfile(bare_plugin=BARE_PLUGIN, settling_plugin=SETTLING_PLUGIN)
    pytester.syspathinsert()
    result = pytester.runpytest(*RUN, "--target", target, "--kipu-plugin", "bare_plugin:plugin",
                                "--kipu-plugin", "settling_plugin:plugin")
    result.assert_outcomes(passed=1)
