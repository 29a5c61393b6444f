"""The JUnit report of a conformance run: its testsuite is named after the target and profile,
not "pytest", and carries the run's metadata as properties; through kipu-harness run and through
plain pytest with the plugin, under pytest-xdist too. Another suite's report is left alone."""

from __future__ import annotations

import platform
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

from pluginkit import make_suite

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent


def suite_of(path: Path) -> tuple[str, dict[str, str]]:
    suite = ET.parse(path).getroot().find("testsuite")
    return suite.get("name"), {p.get("name"): p.get("value") for p in suite.iter("property")}


def checkout_commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip()


def test_kipu_harness_run_names_the_suite_after_its_target_with_the_run_metadata(tmp_path):
    done = subprocess.run([sys.executable, "-m", "kipu_harness.cli", "run", "--kipu-requirement", "PAT-16",
                           "--reports", str(tmp_path / "r")], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    name, properties = suite_of(tmp_path / "r" / "junit.xml")
    assert name == "kipu-harness inprocess"
    assert list(properties) == ["target", "harness_version", "harness_commit", "python"]
    assert properties["target"] == "inprocess"
    assert properties["harness_version"] == version("kipu-harness")
    assert properties["harness_commit"].startswith(checkout_commit()), properties  # +changes while edited
    assert properties["python"] == platform.python_version()


FEATURE = """
    Feature: Under test
      @REQ-PAT-04
      Scenario: proves PAT-04
        Given nothing in particular
"""


def write_profile(folder: Path) -> Path:
    path = folder / "vendor.toml"
    path.write_text('name = "vendor staging"\n'
                    '[systems.crm]\nurl = "https://qa:hunter2@crm.vendor.example"\n'
                    '[systems.emr]\nurl = "https://emr.vendor.example"\n'
                    '[systems.rcm]\nurl = "https://rcm.vendor.example"\nmllp = "10.0.0.7:2575"\n')
    return path


@pytest.mark.parametrize("workers", [(), ("-p", "xdist.plugin", "-n", "2")], ids=["one process", "xdist"])
def test_plain_pytest_with_a_profile_names_profile_systems_and_settings(pytester, workers):
    make_suite(pytester, FEATURE)
    profile = write_profile(pytester.path)
    settings = pytester.path / "settings.toml"
    settings.write_text('[integration]\ndiagnosis_order = "principal-then-added"\n')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *workers, "--profile", str(profile),
                                           "--kipu-skip-preflight", "--kipu-config", str(settings),
                                           "--junitxml", "out.xml")
    assert result.ret == 0, "\n".join(result.outlines[-30:] + result.errlines[-30:])
    name, properties = suite_of(pytester.path / "out.xml")
    assert name == "kipu-harness remote (profile vendor staging)"
    assert properties["target"] == "remote (profile vendor staging)"
    assert properties["profile"] == "vendor staging"
    assert properties["profile_file"] == str(profile)
    assert properties["crm_url"] == "https://crm.vendor.example"  # never the password of the URL
    assert properties["emr_url"] == "https://emr.vendor.example"
    assert properties["rcm_url"] == "https://rcm.vendor.example" and properties["rcm_mllp"] == "10.0.0.7:2575"
    assert properties["integration_settings"] == str(settings)
    assert {"harness_version", "harness_commit", "python"} <= set(properties)


def test_an_ini_suite_name_wins(pytester):
    make_suite(pytester, FEATURE)
    pytester.makeini("[pytest]\nkipu_features_dir = features\njunit_suite_name = nightly\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--junitxml", "out.xml")
    assert result.ret == 0
    name, properties = suite_of(pytester.path / "out.xml")
    assert name == "nightly" and properties["target"] == "inprocess"


def test_another_suite_in_the_same_environment_keeps_its_report(pytester):
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--junitxml", "out.xml")
    assert result.ret == 0
    assert suite_of(pytester.path / "out.xml") == ("pytest", {})
