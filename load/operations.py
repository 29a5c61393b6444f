"""Every driver call of a load test, timed and reported by its business operation.

``Operations`` calls one operation of a driver (``ops("EMR", "accept", emr.accept, patient)``) and
reports it to a ``fire`` callable with the signature of Locust's request event
(``environment.events.request.fire``): ``request_type`` the system (CRM, EMR, RCM) or ``wait``,
``name`` the operation, ``response_time`` in milliseconds, ``response_length`` the bytes of the
driver's answer as JSON, ``exception`` None or what went wrong. Nothing here imports Locust.

A failed operation (the driver raised, or the answer says it did not happen) is reported once
and raised again as :class:`Failed`, which ends the user's task quietly (the failure is already
in Locust's statistics). An operation the driver does not offer at all (``NotOffered``) is
reported nowhere and answers None; the roles skip what depends on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson

from kipu_harness.contract import NotOffered

log = logging.getLogger("kipu_harness.load")


class Failed(Exception):
    """An operation failed and was reported; the task ends here."""


class Operations:
    def __init__(self, fire: Callable[..., Any], role: str, wait_timeout: float = 15.0,
                 poll_interval: float = 0.1):
        self._fire, self.role = fire, role
        self.wait_timeout, self.poll_interval = wait_timeout, poll_interval
        self.not_offered: set[tuple[str, str]] = set()

    def __call__(self, system: str, name: str, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if (system, name) in self.not_offered:
            return None
        started = time.perf_counter()
        try:
            result = operation(*args, **kwargs)
        except NotOffered:
            self.not_offered.add((system, name))
            log.warning("%s: the %s driver does not offer %r; this role skips it", self.role, system, name)
            return None
        except Failed:
            raise
        except Exception as exc:  # a refusal, a server error, a timeout: Locust counts a failure
            self.report(system, name, started, 0, exc)
            raise Failed(f"{system} {name}: {exc}") from exc
        self.report(system, name, started, size(result), None)
        return result

    def report(self, system: str, name: str, started: float, length: int, exception: BaseException | None) -> None:
        self._fire(request_type=system, name=name, response_time=(time.perf_counter() - started) * 1000,
                   response_length=length, exception=exception, context={"role": self.role})

    def wait(self, what: str, probe: Callable[[], Any]) -> Any:
        """Call ``probe`` (which makes reported operations itself) until it answers something truthy,
        at most the profile's wait_timeout; reported as ``wait``/``what``, its time the whole wait."""
        started = time.perf_counter()
        deadline = time.monotonic() + self.wait_timeout
        pause = threading.Event()  # never set: an interruptible pause (cooperative under gevent)
        while True:
            found = probe()
            if found:
                self.report("wait", what, started, 0, None)
                return found
            if time.monotonic() >= deadline:
                problem = TimeoutError(f"{what}: not within {self.wait_timeout:g} s")
                self.report("wait", what, started, 0, problem)
                raise Failed(str(problem))
            pause.wait(self.poll_interval)


def size(result: Any) -> int:
    """The bytes of a driver's answer as JSON (domain objects are dataclasses; the rest is JSON already)."""
    if result is None:
        return 0
    try:
        return len(orjson.dumps(result, default=str))
    except TypeError:
        return len(repr(result))


def check(condition: bool, problem: str) -> None:
    """Inside an operation: an answer that says the operation did not happen is a failure too."""
    if not condition:
        raise AssertionError(problem)
