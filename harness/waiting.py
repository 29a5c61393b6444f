"""The one place that polls: wait for a condition, never for a fixed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.02,
               what: str = "condition") -> T:
    """Call ``probe`` until it returns something truthy (returned) or ``timeout`` passes.

    An exception from the last try is re-raised, so a failing assertion inside ``probe``
    explains itself.
    """
    deadline = time.monotonic() + timeout
    idle = threading.Event()  # never set: its wait() is an interruptible pause between probes
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last_error = None
        except (AssertionError, LookupError) as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            if last_error:
                raise last_error
            raise TimeoutError(f"{what} not met within {timeout:g}s")
        idle.wait(interval)
