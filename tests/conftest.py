"""Fixtures shared by the mock tests (defined in mockkit, where their helpers are)."""

from mockkit import mocks, pm  # noqa: F401  (pytest finds fixtures by name here)
