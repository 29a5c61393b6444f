"""Faults on purpose, as WireMock users expect of a mock: a system misbehaves on one channel for
the next N messages, or for a fraction of them.

A fault names the system that misbehaves and the channel it receives on (``http`` for its JSON
API, ``hl7`` for the RCM's ADT, ``x12`` for the payer's 270/837), and what happens:

==========  ======================================================================================
latency     the answer comes ``latency_ms`` later (the message is handled)
error       the system answers an error without handling the message: HTTP ``status`` (503 by
            default, with ``Retry-After: 1``), HL7 ``AE`` with ERR-3 207 (internal error)
hang        the system accepts and does not answer for ``latency_ms`` (10 s unless given): the
            sender's read times out; then it answers an error (not handled). An in-process
            sender (a Flask test client cannot time out) is told at once
reset       the connection is reset before the message arrives (not handled)
drop        the message is lost on the way: the sender sees no answer (not handled)
duplicate   the message arrives twice (handled twice, as a network retry would)
reorder     something in between (an interface engine) acknowledges the message at once and
            forwards it after the next one to the same system
==========  ======================================================================================

``latency``, ``error`` and ``hang`` happen in the receiving system itself, so they meet every
sender: the other mocks and a developer's own code alike. ``reset``, ``drop``, ``duplicate`` and
``reorder`` are faults of the network between the mocks, applied where one mock sends to another.
Set through ``/_mock/faults`` on any mock, ``mocks up --faults FILE``, or the ``faults`` capability.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from kipu_harness.wire import hl7v2

CHANNELS = ("http", "hl7", "x12")
KINDS = ("latency", "error", "hang", "reset", "drop", "duplicate", "reorder")
IN_THE_SYSTEM = ("latency", "error", "hang")
HANG_MS = 10_000  # how long a hang holds by default: past any sender's read timeout
SYSTEMS = ("crm", "emr", "rcm", "payer")


class InjectedTimeout(TimeoutError):
    """What a sender sees when a fault swallowed its message or its answer."""


@dataclass(frozen=True)
class Fault:
    system: str
    channel: str
    kind: str
    next: int | None = None  # the next N messages ...
    fraction: float | None = None  # ... or this share of them, until cleared
    status: int = 503
    latency_ms: int | None = None  # latency: 200 ms; hang: 10 s

    @property
    def hold_seconds(self) -> float:
        default = HANG_MS if self.kind == "hang" else 200
        return (self.latency_ms if self.latency_ms is not None else default) / 1000

    @classmethod
    def from_mapping(cls, values: dict[str, Any], where: str = "fault") -> "Fault":
        known = {"system", "channel", "kind", "next", "fraction", "status", "latency_ms"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for key, allowed in (("system", SYSTEMS), ("channel", CHANNELS), ("kind", KINDS)):
            if values.get(key) not in allowed:
                raise ValueError(f"{where}: {key} = {values.get(key)!r}: expected one of {', '.join(allowed)}")
        next_, fraction = values.get("next"), values.get("fraction")
        if (next_ is None) == (fraction is None):
            raise ValueError(f"{where}: give either next (a number of messages) or fraction (0 to 1)")
        if next_ is not None and (isinstance(next_, bool) or not isinstance(next_, int) or not 1 <= next_ <= 100_000):
            raise ValueError(f"{where}: next = {next_!r}: expected a whole number from 1 to 100000")
        if fraction is not None and (isinstance(fraction, bool) or not isinstance(fraction, (int, float))
                                     or not 0 < fraction <= 1):
            raise ValueError(f"{where}: fraction = {fraction!r}: expected a number above 0 and at most 1")
        status = values.get("status", 503)
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"{where}: status = {status!r}: expected an HTTP error status (400 to 599)")
        latency = values.get("latency_ms")
        if latency is not None and (isinstance(latency, bool) or not isinstance(latency, int)
                                    or not 0 <= latency <= 60_000):
            raise ValueError(f"{where}: latency_ms = {latency!r}: expected 0 to 60000")
        return cls(values["system"], values["channel"], values["kind"], next_,
                   float(fraction) if fraction is not None else None, status, latency)


@dataclass
class _Active:
    fault: Fault
    left: int | None
    injected: int = 0


@dataclass
class FaultPlan:
    """The faults in force for one suite of mocks; thread-safe. ``seed`` makes fractions repeatable."""

    seed: int = 0
    _active: list[_Active] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _injected: dict[str, int] = field(default_factory=dict)
    _held: dict[tuple[str, str], list[Callable[[], Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._active.append(_Active(fault, fault.next))

    def clear(self, system: str | None = None) -> None:
        with self._lock:
            self._active = [a for a in self._active if system is not None and a.fault.system != system]

    def take(self, system: str, channel: str, kinds: tuple[str, ...] = KINDS) -> Fault | None:
        """The fault this message meets, if any (and count it)."""
        with self._lock:
            for active in self._active:
                fault = active.fault
                if fault.system != system or fault.channel != channel or fault.kind not in kinds:
                    continue
                if active.left is not None:
                    active.left -= 1
                elif self._random.random() >= (fault.fraction or 0):
                    continue
                active.injected += 1
                self._injected[fault.kind] = self._injected.get(fault.kind, 0) + 1
                if active.left == 0:
                    self._active.remove(active)
                return fault
        return None

    def view(self) -> dict[str, Any]:
        with self._lock:
            return {"faults": [{**asdict(a.fault), "left": a.left, "injected": a.injected} for a in self._active],
                    "injected": dict(self._injected),
                    "held": sum(len(v) for v in self._held.values())}

    def load(self, path: str) -> int:
        """``[[faults]]`` tables of a TOML file; returns how many."""
        from kipu_harness.settings import read_toml

        tables = read_toml(path, "faults file").get("faults", [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise ValueError(f"faults file {path}: expected [[faults]] tables")
        faults = [Fault.from_mapping(t, f"faults file {path}: [[faults]] #{i}") for i, t in enumerate(tables, 1)]
        for fault in faults:
            self.add(fault)
        return len(faults)

    # -- the network between the mocks ------------------------------------------------------

    def send(self, system: str, channel: str, deliver: Callable[[], Any],
             receipt: Callable[[], Any] | None = None, taken: Callable[[Any], bool] = bool) -> Any:
        """One message from a mock to ``system``: what the network does to it on the way.
        ``receipt`` is what a store-and-forward hop answers the sender when it holds the message
        (a reorder; without one, the message is not held), and ``taken`` tells from the
        receiver's answer whether the hop may forget it."""
        kinds = ("reset", "drop", "duplicate", "reorder") if receipt else ("reset", "drop", "duplicate")
        fault = self.take(system, channel, kinds)
        held = self._release(system, channel)
        try:
            return self._meet(fault, system, channel, deliver, receipt, taken)
        finally:  # what the hop held goes on after this message, whatever became of it
            self._forward(system, channel, held)

    def _meet(self, fault: Fault | None, system: str, channel: str, deliver: Callable[[], Any],
              receipt: Callable[[], Any] | None, taken: Callable[[Any], bool]) -> Any:
        if fault is None:
            answer = deliver()
        elif fault.kind == "reset":
            raise ConnectionResetError(f"{system} {channel}: connection reset (injected fault)")
        elif fault.kind == "drop":
            raise InjectedTimeout(f"{system} {channel}: no answer, the message was lost (injected fault)")
        elif fault.kind == "duplicate":
            deliver()
            answer = deliver()
        else:  # reorder: acknowledged now by the hop in between, forwarded after the next message
            with self._lock:
                self._held.setdefault((system, channel), []).append(lambda: taken(deliver()))
            answer = receipt()  # type: ignore[misc]
        return answer

    def _release(self, system: str, channel: str) -> list[Callable[[], Any]]:
        with self._lock:
            return self._held.pop((system, channel), [])

    def _forward(self, system: str, channel: str, held: list[Callable[[], Any]]) -> None:
        """The hop forwards what it holds, in order; what the receiver does not take (an error, no
        answer) it keeps and forwards again later, as a store-and-forward engine does."""
        for number, late in enumerate(held):
            try:
                taken = late()
            except Exception:  # noqa: BLE001 - not taken: kept for the next try
                taken = False
            if not taken:
                with self._lock:
                    self._held[(system, channel)] = held[number:] + self._held.get((system, channel), [])
                return

    def flush(self) -> None:
        """Forward every held message (the next message would have; the retrier calls this too)."""
        with self._lock:
            keys = list(self._held)
        for key in keys:
            self._forward(*key, self._release(*key))


# -- in the receiving system ------------------------------------------------------------------

HL7_PATHS = ("/rcm/hl7",)
X12_PREFIX = "/payer/x12"
PASS = ("/_mock", "/docs", "/openapi.json")


def channel_of(system: str, path: str) -> str:
    if path in HL7_PATHS:
        return "hl7"
    if system == "payer" and path.startswith(X12_PREFIX):
        return "x12"
    return "http"


def middleware(wsgi: Callable, system: str, plan: FaultPlan) -> Callable:
    """The system's own faults on its HTTP routes (the control routes are never faulted)."""
    def app(environ: dict[str, Any], start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(PASS):
            return wsgi(environ, start_response)
        fault = plan.take(system, channel_of(system, path), IN_THE_SYSTEM)
        if fault is None:
            return wsgi(environ, start_response)
        if fault.kind == "latency":
            time.sleep(fault.hold_seconds)  # the feature itself: the answer is late
            return wsgi(environ, start_response)
        if fault.kind == "hang":
            if environ.get("kipu.in_process"):  # a test client cannot time out: tell it at once
                raise InjectedTimeout(f"{system}: no answer (injected hang)")
            time.sleep(fault.hold_seconds)
        status = fault.status if fault.kind == "error" else 504
        body = json.dumps({"errors": f"injected fault: {fault.kind}", "status_code": status, "problems": []})
        headers = [("Content-Type", "application/json"), ("Retry-After", "1")]
        if channel_of(system, path) == "hl7":
            body, headers = error_ack(environ), [("Content-Type", "text/plain")]
            status = 200  # an HL7 answer travels as a 200 carrying the AE
        start_response(f"{status} Injected", headers)
        return [body.encode()]
    return app


def error_ack(environ: dict[str, Any]) -> str:
    """An AE for the message in the request (ERR-3 207: the receiver had an internal error)."""
    stream = environ.get("wsgi.input")
    return _plain_ae(stream.read().decode("utf-8", "replace") if stream is not None else "")


def _plain_ae(message: str) -> str:
    return hl7v2.make_ack(message, "AE", "injected fault: the RCM had an internal error", error="207")


def hl7_handler(handle: Callable[[str], str], plan: FaultPlan) -> Callable[[str], str]:
    """The RCM's MLLP handler with the RCM's own hl7 faults (latency, error, hang)."""
    def handler(text: str) -> str:
        fault = plan.take("rcm", "hl7", IN_THE_SYSTEM)
        if fault is None:
            return handle(text)
        if fault.kind == "latency":
            time.sleep(fault.hold_seconds)
            return handle(text)
        if fault.kind == "hang":
            time.sleep(fault.hold_seconds)
        return _plain_ae(text)
    return handler
