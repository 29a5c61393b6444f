"""The pytest plugin's command-line options, and loading what they name (settings, plugins):
each wrong one is a pytest usage error, one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("kipu-harness", "kipu-harness conformance")
    group.addoption("--target", default=None, metavar="NAME",
                    help="where the systems are: inprocess (default), local, or remote (needs --profile)")
    group.addoption("--profile", default=None, metavar="FILE",
                    help="TOML profile with the address of each system; implies --target remote")
    group.addoption("--kipu-config", default=None, metavar="FILE",
                    help="TOML file whose [integration] table overrides the integration settings of the mocks")
    group.addoption("--kipu-reports", default=None, metavar="DIR",
                    help="write requirements.json and requirements.md into DIR")
    group.addoption("--kipu-plugin", action="append", default=[], metavar="MODULE[:ATTR]",
                    help="register this plugin for the run (repeatable)")
    group.addoption("--kipu-block", action="append", default=[], metavar="NAME",
                    help="block a plugin by name, e.g. kipu_harness.plugins.integration (repeatable)")
    group.addoption("--kipu-skip-preflight", action="store_true", default=False,
                    help="do not check that the profile's systems answer (kipu-harness run has checked)")
    group.addoption("--kipu-requirement", action="append", default=[], metavar="ID",
                    help="run only the scenarios tagged with this requirement, e.g. PAT-16 (repeatable)")
    parser.addini("kipu_features_dir", "feature files whose tags must cover the catalogue", default=None)
    parser.addini("kipu_catalogue", "requirement catalogue CSV (default: the harness's own)", default=None)


def load_settings(path: str) -> Any:
    from .settings import IntegrationSettings

    try:
        return IntegrationSettings.from_toml(Path(path))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def load_plugin(spec: str) -> Any:
    import importlib

    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr) if attr else module
    except (ImportError, AttributeError) as exc:
        raise pytest.UsageError(f"--kipu-plugin {spec}: {exc}") from None
