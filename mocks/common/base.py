"""What the three mock systems share: errors as JSON, the write path with events and outbox,
the journal, the control blueprint (reset, journal, clock, outbox) and the OpenAPI route."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_request_context, request

from kipu_harness import phi
from kipu_harness.events import EventContext, Problem, Refused, SystemEvent

from .outbox import Deliverer
from .store import Store, Tx

CONTROL_PREFIX = "/_mock"


class ApiError(Exception):
    """A request the system refuses: becomes ``{"errors": message, "problems": [...]}``."""

    def __init__(self, status: int, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = tuple(problems)


class Clock:
    """The mocks' sense of now: real time unless a test or a scenario pins it."""

    def __init__(self) -> None:
        self._pinned: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self._pinned or dt.datetime.now().replace(microsecond=0)

    def today(self) -> dt.date:
        return self.now().date()

    @property
    def pinned(self) -> bool:
        return self._pinned is not None

    def pin(self, when: dt.datetime | None) -> None:
        self._pinned = when


@dataclass
class SystemContext:
    """Everything one mock system needs, kept on its Flask app (``app.extensions['kipu']``)."""

    system: str
    store: Store
    hooks: Any  # pm.hook of the plugin manager
    settings: Any
    clock: Clock
    secret: bytes = b""  # shared by the EMR and RCM of one suite: signs Manage Insurance/Review links
    links: Any = None
    # Configuration a new or reset store starts with (the default facility); None: nothing.
    configure: Callable[[Tx], None] | None = None
    # Who may call the EMR's Kipu API (mocks/emr/apiauth.EmrApiAuth); None: the default client.
    api_auth: Any = None
    # Run inside each write's transaction, after its change and events, with (tx, record, kind):
    # what must commit with the write or not at all (the Idempotency-Key's claim: idempotency.py).
    in_write: list[Callable[[Tx, dict[str, Any], str | None], None]] = field(default_factory=list)
    outbox: Deliverer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.outbox = Deliverer(self.system, self.store, self._carry, lambda: self.clock.now().isoformat())

    def _carry(self, delivery: Any) -> Any:
        return self.hooks.harness_deliver(delivery=delivery, links=self.links)

    # -- the write path --------------------------------------------------------------------
    def write(
        self,
        change: Callable[[Tx], dict[str, Any]],
        event: str | None = None,
        data: dict[str, Any] | None = None,
        kind: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Apply ``change`` and raise ``event`` in one transaction, then try the outbox once.

        Returns the record ``change`` produced (re-read as ``kind`` after the integration ran,
        since a plugin may have updated it) and what the
        integration plugins added to the response. A ``Refused`` from a plugin rolls back the
        whole write and becomes a 409: the request was well formed, a rule of the system refused it.
        The messages the write queued are tried at once, within the request and with short
        timeouts (outbox.py); whatever did not go waits for the retrier, and the request's answer
        says so (its ``delivery``), so the write succeeds whatever its destinations do.
        """
        extra: dict[str, Any] = {}
        queued: dict[int, str] = {}

        def enqueue(tx: Tx, **kw: Any) -> bool:
            added = tx.enqueue(at=self.clock.now().isoformat(), **kw)
            if added:
                queued[tx.outbox_id(kw["key"])] = kw["destination"]
            return added

        try:
            with self.store.transaction() as tx:
                record = change(tx)
                if event:
                    context = EventContext(
                        tx=tx,
                        settings=self.settings,
                        now=self.clock.now(),
                        enqueue=lambda **kw: enqueue(tx, **kw),
                        response=extra,
                    )
                    self.hooks.harness_system_event(
                        event=SystemEvent(self.system, event, record, data or {}), context=context
                    )
                    if kind:
                        record = tx.get(kind, record["id"]) or record
                for hook in self.in_write:
                    hook(tx, record, kind)
        except Refused as refused:
            raise ApiError(409, refused.message, refused.problems) from None
        if has_request_context():  # the answer's "delivery" (idempotency.py) reports on these
            g.setdefault("kipu_outbox", []).extend(queued)
        if queued:
            self.outbox.deliver(now=set(queued.values()), in_request=True)
        else:  # nothing of its own: carry what is due, never waiting for another thread (see below)
            self.outbox.deliver(now=(), wait=False, in_request=True)
        return record, extra

    def deliver_pending(self, wait: bool = True) -> list[dict[str, Any]]:
        """Deliver what is pending, oldest first; a destination that fails keeps its order.

        One thread delivers to a destination at a time; whoever holds its lock delivers again,
        before letting go, what others left while it was busy. ``wait``: try every destination
        now, waiting for a thread already delivering to it; otherwise only what is due, and only
        where no other thread is delivering. A write that queued nothing does not wait: the RCM,
        delivering, waits on that very request (the EMR storing the insurance the RCM sends it),
        and the EMR thread delivering may be waiting on the RCM (an A01 over MLLP), so two systems
        serving requests at once (scenarios in parallel) would deadlock. The lock waits are
        bounded (outbox.py) as a last resort against such a cycle: the rows are then left to the
        thread delivering.
        """
        return self.outbox.deliver(now=True if wait else (), wait=wait)

    def reset(self) -> None:
        """Empty the store, unpin the clock, and configure the system again."""
        self.store.reset()
        self.clock.pin(None)
        self.setup()

    def setup(self) -> None:
        if self.configure:
            with self.store.transaction() as tx:
                self.configure(tx)

    def journal(self, channel: str, summary: str, body: str = "") -> None:
        """An entry of the journal; the store masks its SSNs."""
        self.store.journal(self.clock.now().isoformat(), channel, summary, body)


def ctx() -> SystemContext:
    return current_app.extensions["kipu"]


# -- helpers for handlers ------------------------------------------------------------------

# One masking function for every view (outbox, journal, logs, errors, reports): kipu_harness.phi.
mask_ssn = phi.mask_ssn


def require_role(tx: Tx, role: str = "billing") -> dict[str, Any]:
    """SET-05: billing actions need a user with the billing role, named in the X-Kipu-User header."""
    name = request.headers.get("X-Kipu-User", "")
    found = tx.find("user", username=name)
    if not found or role not in found[0]["roles"]:
        why = (f"{name} lacks the {role!r} role" if found else f"{name} is not a user" if name
               else "no user given: name one in the X-Kipu-User header")
        raise ApiError(403, f"billing actions need the {role} role", [Problem("user", why)])
    return found[0]


def not_found(kind: str, id: Any) -> ApiError:
    return ApiError(404, f"{kind} {id} not found", [Problem("id", f"no {kind} with id {id}")])


def load(tx: Tx, kind: str, id: Any) -> dict[str, Any]:
    try:
        record = tx.get(kind, int(id))
    except (TypeError, ValueError):
        record = None
    if record is None:
        raise not_found(kind, id)
    return record
