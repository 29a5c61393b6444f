"""Carrying a system's outbox to the other systems: when each message is tried, what a failure
costs, and what a write says about the messages it queued.

A write commits first (its record and its outbox rows in one transaction), then tries its own
messages once, within its request, with short timeouts; whatever did not go stays in the outbox
for the retrier. Its answer never depends on the destination: ``delivery`` says, per
destination, ``sent``, ``queued`` (with the reason) or ``rejected`` (with the receiver's reason).

Per destination, messages go oldest first and a message that must be tried again holds back the
later ones, so a destination always receives a system's messages in the order they were made.
A failed attempt schedules the next one (``next_attempt_at``, real time, whatever the mocks'
clock says): ``BACKOFF_FIRST`` seconds, doubling up to ``BACKOFF_CAP``, each jittered down by up
to half, or later if the receiver asked (``Retry-After``). A new write to the destination tries
at once, except when the destination's last attempt got no answer at all (a hung receiver) and a
retrier runs: then the retrier tries at once and the write answers without waiting for it.
Which answers are retried and which rejected is plugins/wires.py's contract.

The retrier (:class:`Retrier`) is a thread that survives any exception; each failure streak is
logged once, with the destination and the kind of failure, never a message body.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kipu_harness.events import Delivery, DeliveryResult

CONNECT_TIMEOUT = 2.0  # seconds to open a connection (HTTP and MLLP)
READ_TIMEOUT = 5.0  # seconds to wait for an answer (the retrier, the control route, synchronous calls)
REQUEST_READ_TIMEOUT = 3.0  # ... when a write tries its own messages within its request
REQUEST_LOCK_WAIT = 3.0  # how long a write waits for another thread delivering to the same destination
DELIVERY_WAIT = 15.0  # ... and an explicit delivery (POST /_mock/outbox/deliver, tests)
BACKOFF_FIRST = 0.5  # seconds before the second attempt
BACKOFF_CAP = 4.0  # the longest pause between two attempts (unless the receiver asks for more)
RETRY_AFTER_CAP = 60.0  # a receiver's Retry-After is honoured up to this
RETRY_EVERY = 1.0  # the retrier looks at the outboxes at least this often

log = logging.getLogger("kipu_harness.mocks.outbox")
_read_timeout: contextvars.ContextVar[float] = contextvars.ContextVar("kipu_read_timeout", default=READ_TIMEOUT)
# The message being carried, (body, Idempotency-Key), for the links to label it (delivery_headers).
_carrying: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("kipu_carrying", default=None)


def read_timeout() -> float:
    """The read timeout for an outbound call made now (shorter within a write's request)."""
    return _read_timeout.get()


def delivery_headers(body: str) -> dict[str, str]:
    """``Idempotency-Key`` for a JSON delivery of the outbox message being carried (the sender and
    its outbox key), so a receiver that took a message whose answer was lost does not take it twice.
    Only when ``body`` is that message's: a message a network fault held back and sends later
    (in another message's turn) goes without."""
    carrying = _carrying.get()
    return {"Idempotency-Key": carrying[1]} if carrying is not None and carrying[0] == body else {}


def backoff(failures: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``failures`` failed attempts in a row: ``BACKOFF_FIRST`` doubling up
    to ``BACKOFF_CAP``, jittered down by up to half so that senders do not retry in step."""
    ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** min(max(failures - 1, 0), 30))
    return ceiling * (0.5 + 0.5 * rng())


def failure(exc: BaseException) -> str:
    """What an attempt that raised says about it, in the outbox: the kind, never a message body.
    A network error's text names addresses only; any other exception is named by its type."""
    if isinstance(exc, TimeoutError):
        return f"no answer: {exc}"
    if isinstance(exc, ConnectionError):
        return f"unreachable: {exc}"
    if isinstance(exc, OSError):
        return f"network error: {type(exc).__name__}: {exc.strerror or exc}"
    return f"delivery error: {type(exc).__name__} (see the server log)"


_FAILURES = ("no answer", "unreachable", "network error", "delivery error", "unreadable acknowledgement")


def kind(detail: str) -> str:
    """What a log may say of an outcome: its kind (``HTTP 503``, ``AE 206``, ``no answer``...),
    never the receiver's words, which may quote the message."""
    for prefix in _FAILURES:
        if detail.startswith(prefix):
            return prefix
    words = []
    for word in detail.split(":")[0].split()[:2]:  # a protocol and a code: "HTTP 503", "AE 206", "AR"
        if not ((word.isalpha() and word.isupper()) or word.isdigit()):
            break
        words.append(word)
    return " ".join(words) or "refused"


@dataclass
class _Streak:
    """How a destination has been doing since its last success (in memory only)."""

    failures: int = 0
    hung: bool = False  # the last attempt got no answer in time
    not_before: float = 0.0  # the receiver asked to be left alone until then (Retry-After)


class Deliverer:
    """One system's outbox delivery: per-destination locks, schedule and failure streaks."""

    def __init__(self, system: str, store: Any, carry: Callable[[Delivery], DeliveryResult | None],
                 stamp: Callable[[], str]):
        self.system = system
        self.store = store
        self._carry = carry  # one attempt (the harness_deliver hook with the system's links)
        self._stamp = stamp  # the mocks' clock, for delivered_at
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        # Set by a thread that found another one delivering to the destination: that one goes on.
        self._more: dict[str, threading.Event] = defaultdict(threading.Event)
        self._streaks: dict[str, _Streak] = defaultdict(_Streak)
        self.retrier: Retrier | None = None
        # Every pause before a retry (the backoff, a receiver's Retry-After) is multiplied by
        # this: 1 for served mocks; the embedded targets retry faster (plugins/targets.py).
        self.pace = 1.0

    def deliver(self, *, now: Collection[str] | bool = True, wait: bool = True, in_request: bool = False,
                destinations: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Deliver what is pending, oldest first per destination; returns each attempt's outcome.

        ``now``: the destinations (True: all) tried at once whatever their schedule, waiting
        (``wait``) for a thread already delivering to them; the others only when due, and only if
        no other thread is delivering to them. ``in_request``: a write's own try (short timeouts).
        ``destinations``: only these.
        """
        results: list[dict[str, Any]] = []
        token = _read_timeout.set(REQUEST_READ_TIMEOUT if in_request else READ_TIMEOUT)
        try:
            for destination in self.store.pending_destinations():
                if destinations is not None and destination not in destinations:
                    continue
                eager = now is True or destination in now  # type: ignore[operator]
                if in_request and self._leave_to_retrier(destination, eager):
                    continue
                lock_wait = (REQUEST_LOCK_WAIT if in_request else DELIVERY_WAIT) if eager and wait else None
                results += self._destination(destination, eager, lock_wait)
        finally:
            _read_timeout.reset(token)
        return results

    def _leave_to_retrier(self, destination: str, eager: bool) -> bool:
        """A write does not try a destination that asked to wait; while a retrier runs, nor one it
        queued nothing for, nor one that did not answer its last attempt (it wakes the retrier to
        try that one at once). So a write waits only on its own destinations, and on no hung one."""
        streak = self._streaks[destination]
        if streak.not_before > time.time():
            return True
        if not eager and self.retrier is not None:
            return True
        if not (streak.hung and self.retrier is not None):
            return False
        if eager:
            pending = self.store.pending(destination)
            if pending:
                self.store.schedule(pending[0]["id"], None)
            self.retrier.wake.set()
        return True

    def _destination(self, destination: str, eager: bool, lock_wait: float | None) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        lock, more = self._locks[destination], self._more[destination]
        more.set()
        while more.is_set():
            locked = lock.acquire(timeout=lock_wait) if lock_wait is not None else lock.acquire(False)
            if not locked:
                return results  # the thread delivering saw the flag: it delivers these rows too
            try:
                more.clear()
                results += self._carry_rows(destination, eager)
            finally:
                lock.release()
            eager = False
        return results

    def _carry_rows(self, destination: str, eager: bool) -> list[dict[str, Any]]:
        results = []
        for index, row in enumerate(self.store.pending(destination)):
            if index == 0 and not eager and (row["next_attempt_at"] or 0) > time.time():
                break  # not due yet; the later rows wait behind it
            outcome = self._attempt(row)
            results.append(outcome)
            if outcome["status"] == "pending":
                break  # to be tried again: the later rows keep their place behind it
        return results

    def _attempt(self, row: dict[str, Any]) -> dict[str, Any]:
        delivery = Delivery(id=row["id"], destination=row["destination"], wire=row["wire"], path=row["path"],
                            body=row["body"], key=row["key"], attempts=row["attempts"])
        hung, raised = False, None
        token = _carrying.set((row["body"], f"{self.system}-{row['key']}"[:255]))
        try:
            result = self._carry(delivery)
        except Exception as exc:  # whatever an attempt raises, the message waits for the next one
            hung = isinstance(exc, TimeoutError)
            raised = None if isinstance(exc, OSError) else exc  # not the network: a bug, worth its traceback
            result = DeliveryResult(ok=False, retry=True, detail=failure(exc))
        finally:
            _carrying.reset(token)
        if result is None:
            status, detail = "failed", f"no plugin delivers wire {row['wire']!r}"
            self.store.mark(row["id"], status, detail, None, error=True)
        elif result.ok:
            status, detail = "delivered", result.detail
            self.store.mark(row["id"], status, detail, self._stamp())
            self._recovered(row["destination"])
        elif not result.retry:
            status, detail = "rejected", result.detail
            self.store.mark(row["id"], status, detail, None, error=True)
            log.info("%s -> %s: delivery %s rejected (%s)", self.system, row["destination"], row["id"], kind(detail))
        else:
            status, detail = "pending", result.detail
            self._failed(row, detail, hung, result.retry_after, raised)
        return {"id": row["id"], "status": status, "detail": detail}

    def _failed(self, row: dict[str, Any], detail: str, hung: bool, retry_after: float | None,
                raised: BaseException | None = None) -> None:
        streak = self._streaks[row["destination"]]
        streak.failures += 1
        streak.hung = hung
        pause = backoff(row["attempts"] + 1) * self.pace
        if retry_after is not None:
            pause = max(pause, min(max(retry_after, 0.0), RETRY_AFTER_CAP) * self.pace)
            streak.not_before = time.time() + pause
        self.store.mark(row["id"], "pending", detail, None, next_attempt_at=time.time() + pause, error=True)
        if streak.failures == 1:  # once per streak, and only the kind of failure: never the data
            # (a traceback, for an exception that is no network error, is masked by kipu_harness.phi)
            log.warning("%s -> %s: delivery failing (%s); retrying with backoff up to %gs", self.system,
                        row["destination"], kind(detail), BACKOFF_CAP, exc_info=raised)

    def _recovered(self, destination: str) -> None:
        streak = self._streaks.pop(destination, None)
        if streak is not None and streak.failures:
            log.warning("%s -> %s: delivering again after %d failed attempt(s)", self.system, destination,
                        streak.failures)

    # -- what a write answers ----------------------------------------------------------------
    def summary(self, ids: Iterable[int]) -> dict[str, dict[str, Any]]:
        """Per destination of the rows ``ids`` (one write's): ``sent``, ``queued`` or ``rejected``."""
        by_destination: dict[str, list[dict[str, Any]]] = {}
        for row in self.store.outbox_rows(list(ids)):
            by_destination.setdefault(row["destination"], []).append(row)
        answer = {}
        for destination, rows in by_destination.items():
            refused = [r for r in rows if r["status"] in ("rejected", "failed")]
            waiting = [r for r in rows if r["status"] == "pending"]
            state: dict[str, Any] = {"state": "sent"}
            if refused:
                state = {"state": "rejected", "reason": refused[0]["detail"]}
            elif waiting:
                state = {"state": "queued", "reason": self._why_waiting(waiting[0])}
            answer[destination] = {**state, "outbox_ids": [r["id"] for r in rows]}
        return answer

    def _why_waiting(self, row: dict[str, Any]) -> str:
        destination = row["destination"]
        ahead = [r for r in self.store.pending(destination) if r["id"] < row["id"]]
        if row["attempts"]:
            return row["detail"]
        if ahead:
            why = f": {ahead[0]['detail']}" if ahead[0]["detail"] else ""
            return f"waiting behind {len(ahead)} earlier message(s) to {destination}{why}"
        streak = self._streaks[destination]
        if streak.not_before > time.time():
            return f"{destination} asked to wait: retried in {streak.not_before - time.time():.1f}s"
        if streak.hung:
            return f"{destination} did not answer its last message in time; the retrier tries again now"
        return f"another thread is delivering to {destination}; it delivers this message next"


class Retrier:
    """A thread that keeps delivering the outboxes: due messages at once, otherwise at least
    every ``every`` seconds. Each destination of each system is carried by a worker of its own
    (at most ``workers`` at a time), so a destination that hangs delays no other. Neither the
    thread nor a worker dies of an exception (each streak of them is logged once); ``wake``
    makes it look at once (a write to a destination that hangs sets it)."""

    def __init__(self, deliverers: Iterable[Deliverer], every: float = RETRY_EVERY,
                 also: Callable[[], Any] | None = None, workers: int = 8):
        self.deliverers = list(deliverers)
        self.every = every
        self.also = also  # called before each pass (say, to release messages a fault held)
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._failing: set[str] = set()  # what failed last time: "pass", or "system -> destination"
        self._busy: set[tuple[int, str]] = set()
        self._guard = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox-retry")
        self.passes = 0
        self._thread = threading.Thread(target=self._run, name="outbox-retrier", daemon=True)

    def start(self) -> "Retrier":
        for deliverer in self.deliverers:
            deliverer.retrier = self
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop looking; wait (up to about ``READ_TIMEOUT``) for the attempts in flight."""
        self._stopping.set()
        self.wake.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        for deliverer in self.deliverers:
            if deliverer.retrier is self:
                deliverer.retrier = None

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.wake.clear()
            pause = self.every
            with self._survive("pass"):
                pause = self.run_once()
            self.wake.wait(pause)

    def run_once(self) -> float:
        """One pass: each destination with pending messages to a worker (unless one has it
        already); returns how long to wait before the next pass."""
        self.passes += 1
        if self.also is not None:
            self.also()
        due = []
        for deliverer in self.deliverers:
            for destination in deliverer.store.pending_destinations():
                key = (id(deliverer), destination)
                with self._guard:
                    if key in self._busy or self._stopping.is_set():
                        continue
                    self._busy.add(key)
                try:
                    self._pool.submit(self._carry, deliverer, destination, key)
                except RuntimeError:  # shut down meanwhile
                    self._busy.discard(key)
            at = deliverer.store.earliest_attempt()
            if at is not None:
                due.append(at)
        if not due:
            return self.every
        return min(self.every, max(0.02, min(due) - time.time()))

    def _carry(self, deliverer: Deliverer, destination: str, key: tuple[int, str]) -> None:
        try:
            with self._survive(f"{deliverer.system} -> {destination}"):
                deliverer.deliver(now=(), wait=False, destinations=(destination,))
        finally:
            with self._guard:
                self._busy.discard(key)

    @contextmanager
    def _survive(self, what: str) -> Iterator[None]:
        """Nothing escapes: the first failure of a streak is logged (with its traceback: an
        exception here is a bug of the mocks, not a message), the rest until a success are not."""
        try:
            yield
        except Exception:
            if what not in self._failing:
                log.exception("outbox retrier: %s failed; it keeps trying every %gs", what, self.every)
            self._failing.add(what)
        else:
            if what in self._failing:
                log.warning("outbox retrier: %s works again", what)
            self._failing.discard(what)
