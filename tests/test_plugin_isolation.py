"""The harness's own tests load no pytest plugin of the environment (pyproject.toml's addopts,
tests/conftest.py for the runs they start): a plugin that breaks every run it is loaded into,
installed where pytest finds it (a folder on PYTHONPATH with its dist-info and a pytest11 entry
point), leaves a few of them passing, with pytest-xdist workers and runs started by the tests.
``kipu-harness run`` does load the environment's plugins, for its users; ``-p no:NAME`` stops one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "kipu_harness.cli"]


def breaking_plugin(folder: Path) -> dict[str, str]:
    """Installs the plugin ``breaker`` into ``folder``; returns an environment that sees it and has
    none of this run's pytest settings (PYTEST_DISABLE_PLUGIN_AUTOLOAD, PYTEST_PLUGINS, xdist's)."""
    (folder / "breaker.py").write_text(
        "def pytest_configure(config):\n    raise RuntimeError('the breaker plugin was loaded')\n")
    info = folder / "breaker-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: breaker\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nbreaker = breaker\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {**env, "PYTHONPATH": str(folder), "PYTHONWARNINGS": "ignore"}


def test_a_plugin_of_the_environment_does_not_reach_the_harness_tests(tmp_path):
    env = breaking_plugin(tmp_path)
    # the plugin is found: kipu-harness run loads it (and says so), and runs without it when told
    reports = str(tmp_path / "reports")
    loaded = subprocess.run(CLI + ["run", "--kipu-requirement", "PAT-16", "--reports", reports],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert loaded.returncode != 0 and "the breaker plugin was loaded" in loaded.stdout + loaded.stderr
    blocked = subprocess.run(CLI + ["run", "--kipu-requirement", "PAT-16", "--reports", reports, "-p", "no:breaker"],
                             capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert blocked.returncode == 0, blocked.stdout[-2000:] + blocked.stderr[-2000:]
    # the tests: pytester's runs, a kipu-harness run a test starts, two xdist workers
    subset = ["tests/test_requirement_option.py",
              "tests/test_profiles.py::test_run_passes_unknown_options_to_pytest_without_a_double_dash"]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", *subset], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "breaker" not in done.stdout + done.stderr
