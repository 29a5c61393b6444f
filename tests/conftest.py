"""Fixtures shared by the mock tests (defined in mockkit, where their helpers are)."""

import os

# Every JSON answer a mock gives in the tests is checked against the model its route declares.
os.environ.setdefault("KIPU_VALIDATE_RESPONSES", "1")
# No pytest plugin of the environment in the runs the tests start either (pytester's, kipu-harness
# run's, the mutants'): pyproject.toml's addopts keep them out of this process only. Those runs
# load pytest-bdd, the harness's plugin and pytest-xdist (a kipu-harness run with -n 2), as named
# here, and what a test passes with -p.
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
os.environ["PYTEST_PLUGINS"] = "pytest_bdd.plugin,kipu_harness.pytest_plugin,xdist.plugin"

from mockkit import mocks, mocks_up, pm  # noqa: E402,F401  (pytest finds fixtures by name here)
