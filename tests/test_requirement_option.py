"""--kipu-requirement ID: run only the scenarios tagged with the given requirements (the mutant
runner's selection), on a small suite written into pytester's directory."""

from __future__ import annotations

import textwrap

import pytest

from kipu_harness.catalogue import load_catalogue

pytest_plugins = ["pytester"]

FEATURE = """
    Feature: Three requirements
      @REQ-PAT-04
      Scenario: proves PAT-04
        Given nothing in particular

      @REQ-PAT-04 @REQ-SYS-02
      Scenario: proves PAT-04 and SYS-02
        Given nothing in particular

      Scenario Outline: proves <what>
        Given nothing in particular

        @REQ-PAT-05
        Examples:
          | what   |
          | PAT-05 |
"""

STEPS = """
    from pytest_bdd import given, scenarios

    scenarios("features/under_test.feature")


    @given("nothing in particular")
    def nothing():
        pass
"""


@pytest.fixture
def suite(pytester):
    features = pytester.path / "features"
    features.mkdir()
    covered = [rid for rid, req in load_catalogue().items() if req.status == "covered"]
    (features / "coverage.feature").write_text("Feature: Catalogue coverage\n\n" + "".join(
        f"  @REQ-{rid}\n  Scenario: covers {rid}\n    Given nothing in particular\n\n" for rid in covered))
    (features / "under_test.feature").write_text(textwrap.dedent(FEATURE))
    pytester.makeini("[pytest]\nkipu_features_dir = features\n")
    pytester.makepyfile(test_under_test=textwrap.dedent(STEPS))
    return pytester


def ran(result) -> list[str]:
    return sorted(line.split("::")[1].split(" ")[0] for line in result.outlines if " PASSED" in line)


def test_only_the_scenarios_of_the_named_requirements_run(suite):
    result = suite.runpytest("-p", "no:cacheprovider", "-v", "--kipu-requirement", "SYS-02",
                             "--kipu-requirement", "PAT-05")
    result.assert_outcomes(passed=2, deselected=1)
    assert ran(result) == ["test_proves_pat04_and_sys02", "test_proves_what[PAT-05]"]


def test_a_requirement_tagged_on_examples_or_a_scenario_is_selected_alike(suite):
    result = suite.runpytest("-p", "no:cacheprovider", "-v", "--kipu-requirement", "PAT-04")
    result.assert_outcomes(passed=2, deselected=1)
    assert ran(result) == ["test_proves_pat04", "test_proves_pat04_and_sys02"]


def test_an_unknown_requirement_is_one_usage_error(suite):
    result = suite.runpytest("-p", "no:cacheprovider", "--kipu-requirement", "PAT-99")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert errors == ["ERROR: --kipu-requirement PAT-99: not in the requirement catalogue (harness/requirements.csv)"]
