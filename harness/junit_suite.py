"""The JUnit report of a conformance run (``--junitxml``, pytest's own): its testsuite is named
after the run's target (``kipu-harness inprocess``, ``kipu-harness remote (profile NAME)``) instead
of "pytest", and carries the run's metadata as testsuite properties: target, profile and each of its
systems' addresses, harness version and commit, Python, integration-settings file.

Only a run with the harness's scenarios (or a ``--target``/``--profile``) is touched, never the
JUnit report of another suite in the same environment; a ``junit_suite_name`` set in an ini wins."""

from __future__ import annotations

import platform
from typing import Any

import pytest

from .parallel import is_worker


def run_target(config: pytest.Config) -> str:
    """The target as a run names it before it starts: ``inprocess``, ``local``, ``remote (profile NAME)``."""
    profile = _state(config).profile
    name = config.getoption("target", None) or ("remote" if profile else "inprocess")
    return f"{name} (profile {profile.name})" if profile is not None else name


def run_properties(config: pytest.Config) -> list[tuple[str, str]]:
    """The run's metadata as (name, value) pairs, in the order a report shows them."""
    from .run_info import harness_commit, harness_version, without_userinfo

    profile = _state(config).profile
    pairs = [("target", run_target(config))]
    if profile is not None:
        pairs.append(("profile", profile.name))
        if profile.path is not None:
            pairs.append(("profile_file", str(profile.path)))
        for system, address in profile.systems.items():
            pairs.append((f"{system}_url", without_userinfo(address.url)))
            if address.mllp:
                pairs.append((f"{system}_mllp", f"{address.mllp[0]}:{address.mllp[1]}"))
    pairs += [("harness_version", harness_version()), ("harness_commit", harness_commit() or "unknown"),
              ("python", platform.python_version())]
    if config.getoption("kipu_config", None):
        pairs.append(("integration_settings", str(config.getoption("kipu_config"))))
    return pairs


def is_conformance_run(config: pytest.Config) -> bool:
    """The run collected scenarios that name requirements, or was pointed at a target."""
    state = _state(config)
    return bool(state.scenarios or config.getoption("target", None) or state.profile is not None)


@pytest.hookimpl(tryfirst=True)  # before pytest's junitxml writes the file in its own sessionfinish
def pytest_sessionfinish(session: pytest.Session) -> None:
    from _pytest.junitxml import xml_key

    config = session.config
    xml = config.stash.get(xml_key, None)
    if xml is None or is_worker(config) or not is_conformance_run(config):
        return
    if config.getini("junit_suite_name") == "pytest":  # pytest's default: not the user's choice
        xml.suite_name = f"kipu-harness {run_target(config)}"
    for name, value in run_properties(config):
        xml.add_global_property(name, value)


def _state(config: pytest.Config) -> Any:
    from .pytest_plugin import _STATE

    return config.stash[_STATE]
