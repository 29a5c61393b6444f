"""Allure results of a conformance run: ``--alluredir DIR`` (allure-pytest-bdd, the ``allure``
extra) writes one result file per scenario, and this plugin gives each scenario, from the
requirement IDs it is tagged with (``@REQ-PAT-16``, on the scenario or its Examples block):

- a label ``requirement`` per ID (``PAT-16``) and the tag ``REQ-PAT-16`` (``needs-clock`` and the
  like too: pytest-bdd turns those tags into markers with arguments, which Allure skips);
- a link of type ``requirement`` per ID, named ``REQ-PAT-16``; its address is the ID unless
  ``--allure-link-pattern requirement:https://tracker.example/{}`` says where requirements live;
- a label ``target``: where the run ran (``inprocess``, ``remote (profile NAME)``).

The run's metadata (junit_suite.run_properties) goes to ``environment.properties``, the file
Allure shows as the report's Environment. Without allure-pytest-bdd, ``--alluredir`` is one usage
error naming the pip command."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from .junit_suite import run_properties, run_target
from .parallel import is_worker

INSTALL = "pip install 'kipu-harness[allure]'"


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    # Without allure-pytest-bdd (or allure-pytest, which has the same option), --alluredir is
    # still an option, so that using it says what to install instead of "unrecognized arguments".
    if not _installed("allure_pytest_bdd") and (not _installed("allure_pytest") or pluginmanager.is_blocked("allure_pytest")):
        parser.getgroup("reporting").addoption("--alluredir", dest="allure_report_dir", metavar="DIR", default=None,
                                               help=f"write Allure results into DIR (needs: {INSTALL})")


def _directory(config: pytest.Config) -> str | None:
    return getattr(config.option, "allure_report_dir", None)


def _active(config: pytest.Config) -> bool:
    """allure-pytest-bdd writes this run's results (and no plain allure-pytest owns --alluredir)."""
    return bool(_directory(config)) and not config.pluginmanager.hasplugin("allure_pytest")


def pytest_configure(config: pytest.Config) -> None:
    if not _active(config):
        return
    if not _installed("allure_pytest_bdd"):
        raise pytest.UsageError(f"--alluredir needs allure-pytest-bdd: {INSTALL}")
    _tolerate_features_outside_rootdir()


@pytest.hookimpl(trylast=True)  # after the requirement markers are known and the selection is made
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _active(config):
        return
    import allure

    from .pytest_plugin import _requirements

    target = run_target(config)
    for item in items:
        ids = _requirements(item)
        if not ids:
            continue
        tags = [f"REQ-{rid}" for rid in ids if item.get_closest_marker(f"REQ-{rid}") is None]  # else Allure has it
        tags += [f"needs-{mark.args[0]}" for mark in item.iter_markers("needs")]
        marks = [allure.label("requirement", *ids), allure.label("target", target)] + ([allure.tag(*tags)] if tags else [])
        marks += [allure.link(rid, link_type="requirement", name=f"REQ-{rid}") for rid in ids]
        for mark in marks:
            if isinstance(mark, pytest.MarkDecorator):  # else allure-pytest-bdd is not listening
                item.add_marker(mark)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if not _active(config) or is_worker(config):
        return
    directory = Path(_directory(config))
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{name}={_escaped(value)}" for name, value in run_properties(config)]
    (directory / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _escaped(value: str) -> str:
    """A value as a Java properties file (ISO 8859-1, \\uXXXX escapes) reads it back."""
    out = ""
    for ch in value:
        if ch == "\\":
            out += "\\\\"
        elif " " <= ch <= "~":
            out += ch
        else:
            data = ch.encode("utf-16-be")
            out += "".join(f"\\u{int.from_bytes(data[i:i + 2], 'big'):04x}" for i in range(0, len(data), 2))
    return out


def _tolerate_features_outside_rootdir() -> None:
    """allure-pytest-bdd (2.15 to 2.16 at least) builds a result's title path from the feature
    file's path relative to pytest's rootdir and fails every scenario whose feature file lies
    elsewhere (ValueError), as the harness's do: the rootdir is scenarios/, the features are in
    features/ beside it. Such a feature is placed relative to the folder both share instead."""
    try:
        from allure_pytest_bdd import pytest_bdd_listener as listener
    except ImportError:
        return
    original = getattr(listener, "get_title_path", None)
    if original is None or getattr(original, "kipu_tolerant", False):
        return

    def get_title_path(request: Any, feature: Any) -> list[str]:
        try:
            return original(request, feature)
        except ValueError:
            import os

            path = Path(feature.filename)
            common = Path(os.path.commonpath([path, request.config.rootpath]))
            parts = path.relative_to(common).parts
            return [*parts[:-1], feature.name or parts[-1]]

    get_title_path.kipu_tolerant = True  # type: ignore[attr-defined]
    listener.get_title_path = get_title_path
