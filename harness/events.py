"""What travels between a mock system, the integration plugins and the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: the field it concerns and what is wrong with it."""

    field: str
    problem: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


class Refused(Exception):
    """An integration rule refuses the user's action; the write is rolled back (HTTP 409)."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


@dataclass(frozen=True)
class SystemEvent:
    """A domain event raised by one system: ``system`` is "crm", "emr" or "rcm"."""

    system: str
    name: str
    record: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """One message in a system's outbox."""

    id: int
    destination: str
    wire: str
    path: str
    body: str
    key: str
    attempts: int = 0


@dataclass(frozen=True)
class DeliveryResult:
    """What the destination did with a delivery: took it (``ok``), asked for it again later
    (``retry``, after ``retry_after`` seconds if it said so), or refused it for good (neither)."""

    ok: bool
    detail: str = ""
    retry: bool = False
    retry_after: float | None = None

    @property
    def state(self) -> str:
        return "delivered" if self.ok else "retry" if self.retry else "rejected"


class NoAnswer(ConnectionError, TimeoutError):
    """The destination took the connection but did not answer in time. A ConnectionError, so
    code that handles an unreachable system handles it too; a TimeoutError, so it can be told apart."""


class HttpAnswer(tuple):
    """``(status, body)`` as ``links.post_json`` returns it, with the answer's ``headers``."""

    headers: dict[str, str]

    def __new__(cls, status: int, body: Any, headers: Any = None) -> "HttpAnswer":
        answer = super().__new__(cls, (status, body))
        answer.headers = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
        return answer


@dataclass
class EventContext:
    """Handed to ``harness_system_event``; valid only during that call."""

    tx: Any
    settings: Any
    now: Any
    enqueue: Callable[..., None]
    response: dict[str, Any] = field(default_factory=dict)

    def next_sequence(self, stream: str, key: int) -> int:
        """The next number (1, 2, 3...) of ``stream`` for ``key`` (a patient id, say), counted in this
        transaction, so the numbers of one key strictly increase in the order its messages are queued.

        The receiver applies one key's messages in that order whatever order they arrive in: an
        older one is acknowledged and not applied. Kept as a record of kind ``sequence:<stream>``.
        """
        kind = f"sequence:{stream}"
        counter = self.tx.get(kind, key) or {"id": key, "last": 0}
        counter["last"] += 1
        self.tx.put(kind, counter)
        return counter["last"]


@dataclass(frozen=True)
class ChargeToMatch:
    """What the Billing Audit Tool sends only to match a charge (BAT-04..BAT-15): none of it is
    imported into the RCM."""

    level_of_care_uid: str = ""
    service_description: str = ""
    revenue_code: str = ""
    procedure_code: str = ""
    modifier: str = ""
    claim_format: str = ""  # "institutional" or "professional"
    place_of_service: str = ""


@dataclass(frozen=True)
class MatchStep:
    """One link's answer: the RCM service it matched, or why it matched nothing."""

    link: str
    service: Any = None
    reason: str = ""
