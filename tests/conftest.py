"""Fixtures shared by the tests: the mocks' (defined in mockkit, where their helpers are) and the
session's headless Chromium (its helpers in browserkit)."""

import os

import pytest

# Every JSON answer a mock gives in the tests is checked against the model its route declares.
os.environ.setdefault("KIPU_VALIDATE_RESPONSES", "1")
# No pytest plugin of the environment in the runs the tests start either (pytester's, kipu-harness
# run's, the mutants'): pyproject.toml's addopts keep them out of this process only. Those runs
# load pytest-bdd, the harness's plugin and pytest-xdist (a kipu-harness run with -n 2), as named
# here, and what a test passes with -p.
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
os.environ["PYTEST_PLUGINS"] = "pytest_bdd.plugin,kipu_harness.pytest_plugin,xdist.plugin"

from browserkit import ARGS, CHROMIUM, NO_CHROMIUM, sync_api  # noqa: E402
from mockkit import mocks, mocks_up, pm  # noqa: E402,F401  (pytest finds fixtures by name here)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, launched once for every test of this process that looks at a page (0.6 s a
    launch and a Playwright driver each, saved); each test opens its own page and context
    (browserkit.opened). While it is open, Playwright's event loop counts as running in this thread:
    a test calling asyncio.run() in the main thread after one of these would fail (none does)."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    with sync_api().sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
