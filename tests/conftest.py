"""Fixtures shared by the mock tests (defined in mockkit, where their helpers are)."""

import os

# Every JSON answer a mock gives in the tests is checked against the model its route declares.
os.environ.setdefault("KIPU_VALIDATE_RESPONSES", "1")

from mockkit import mocks, mocks_up, pm  # noqa: E402,F401  (pytest finds fixtures by name here)
