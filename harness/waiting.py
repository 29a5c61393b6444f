"""The one place that polls: wait for a condition, never for a fixed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

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


def stays(probe: Callable[[], object], *, window: float = 0.0, barrier: Callable[[], bool] | None = None,
          interval: float = 0.05, what: str = "condition",
          clock: Callable[[], float] = time.monotonic, pause: Callable[[float], object] | None = None) -> None:
    """Check that ``probe`` holds throughout the settle ``window``: the check for what must *not* happen.

    ``probe`` fails by raising AssertionError (its message is the failure) or by returning
    ``False``; anything else means it holds. It is called at once, then every ``interval``
    seconds until ``window`` has passed; the first violation fails the check. ``barrier``
    (where the target offers one, e.g. every outbox drained) ends the wait early: once it says
    everything has been delivered, one more passing probe is final. ``window = 0`` (a target
    that delivers within the request) probes once.
    """
    wait = pause or threading.Event().wait  # an Event nobody sets: an interruptible pause
    start = clock()
    while True:
        settled = window <= 0 or (barrier is not None and barrier())
        if probe() is False:
            raise AssertionError(f"{what} no longer held after {clock() - start:.2f}s")
        if settled or clock() - start >= window:
            return
        wait(interval)


def drained(controls: Iterable[Any]) -> Callable[[], bool]:
    """A barrier for ``stays``: true once no system's outbox has a delivery still pending."""
    systems = list(controls)
    return lambda: all(not control.outbox(status="pending") for control in systems)
