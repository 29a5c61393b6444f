"""Allure results (``--alluredir``, allure-pytest-bdd): every scenario's result carries its
requirement IDs as labels, tags and links, the run's target as a label, and its status; the run's
metadata is the results' environment.properties. Through kipu-harness run and plain pytest; without
allure-pytest-bdd, --alluredir is one usage error naming the pip command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kipu_harness.cli import main
from pluginkit import make_suite

pytest_plugins = ["pytester"]
CLI = [sys.executable, "-m", "kipu_harness.cli"]
ALLURE = ("-p", "allure_pytest_bdd")  # the tests load no plugin unasked (tests/conftest.py); a user's run does
PATTERN = ("--allure-link-pattern", "requirement:https://tracker.example/req/{}")


def results(directory: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*-result.json"))]


def labels(result: dict, name: str) -> list[str]:
    return sorted(label["value"] for label in result["labels"] if label["name"] == name)


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + ["run", "--reports", str(tmp_path / "reports"), *ALLURE, *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_each_scenario_carries_its_requirements_and_target(tmp_path):
    # PAT-16 is tagged on a scenario, AUTH-02 on an Examples block of an outline
    done = run(tmp_path, "--kipu-requirement", "PAT-16", "--kipu-requirement", "AUTH-02",
               "--alluredir", str(tmp_path / "allure"), *PATTERN)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    found = {labels(r, "requirement")[0]: r for r in results(tmp_path / "allure")}
    assert sorted(found) == ["AUTH-02", "PAT-16"]
    for rid, result in found.items():
        assert result["status"] == "passed"
        assert labels(result, "requirement") == [rid]
        assert labels(result, "tag") == [f"REQ-{rid}"]  # once, wherever the tag was
        assert labels(result, "target") == ["inprocess"]
        assert result["links"] == [{"type": "requirement", "name": f"REQ-{rid}",
                                    "url": f"https://tracker.example/req/{rid}"}]
        assert result["titlePath"][0] == "features"  # the feature files lie beside scenarios/, the rootdir
    assert found["PAT-16"]["name"] == "Only the first 18 of 19 diagnoses are transmitted (AMB-02)"
    environment = (tmp_path / "allure" / "environment.properties").read_text().splitlines()
    assert environment[0] == "target=inprocess"
    assert {line.partition("=")[0] for line in environment} == {"target", "harness_version", "harness_commit", "python"}


def test_a_broken_rule_is_a_failed_result_with_its_requirement(tmp_path):
    done = run(tmp_path, "--kipu-requirement", "PAT-16", "--kipu-block", "kipu_harness.plugins.integration",
               "--alluredir", str(tmp_path / "allure"))
    assert done.returncode == 1
    [result] = results(tmp_path / "allure")
    assert result["status"] in ("failed", "broken") and result["statusDetails"]["message"]
    assert labels(result, "requirement") == ["PAT-16"]
    assert result["links"] == [{"type": "requirement", "name": "REQ-PAT-16", "url": "PAT-16"}]  # no pattern given


def test_plain_pytest_with_needs_tags_and_examples(pytester):
    make_suite(pytester, """
        Feature: Under test
          @REQ-PAT-04 @needs-clock
          Scenario: proves PAT-04
            Given nothing in particular

          Scenario Outline: proves <rid>
            Given nothing in particular

            @REQ-SYS-01
            Examples:
              | rid    |
              | SYS-01 |
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", *ALLURE, "--alluredir", "allure")
    assert result.ret == 0, "\n".join(result.outlines[-20:])
    found = {labels(r, "requirement")[0]: r for r in results(pytester.path / "allure")}
    assert labels(found["PAT-04"], "tag") == ["REQ-PAT-04", "needs-clock"]
    assert labels(found["SYS-01"], "tag") == ["REQ-SYS-01"]
    assert all(labels(r, "target") == ["inprocess"] for r in found.values())


def test_kipu_harness_run_leaves_allure_pytest_out(tmp_path):
    """allure-pytest (a stand-in here: its entry point, its --alluredir) beside allure-pytest-bdd
    would stop every run at "option names {'--alluredir'} already added"."""
    (tmp_path / "fake_allure_pytest.py").write_text(
        "def pytest_addoption(parser):\n    parser.getgroup('reporting').addoption('--alluredir')\n")
    info = tmp_path / "allure_pytest-2.16.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: allure-pytest\nVersion: 2.16.2\n")
    (info / "entry_points.txt").write_text("[pytest11]\nallure_pytest = fake_allure_pytest\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # autoloading, as a user's run
    done = subprocess.run(CLI + ["run", "--reports", str(tmp_path / "reports"), "--kipu-requirement", "PAT-16",
                                 "--alluredir", str(tmp_path / "allure")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, env={**env, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert [labels(r, "requirement") for r in results(tmp_path / "allure")] == [["PAT-16"]]


def test_without_allure_pytest_bdd_alluredir_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "allure_pytest_bdd", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "allure_pytest", None)
    assert main(["run", "--alluredir", str(tmp_path / "allure"), "--reports", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "ERROR: --alluredir needs allure-pytest-bdd: pip install 'kipu-harness[allure]'"
    assert not (tmp_path / "allure").exists()


@pytest.mark.parametrize("value, written", [("C:\\runs", "C:\\\\runs"), ("café", "caf\\u00e9")])
def test_environment_values_are_written_as_java_reads_them(value, written):
    from kipu_harness.allure_results import _escaped

    assert _escaped(value) == written
