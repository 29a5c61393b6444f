"""Every hook a kipu-harness plugin can implement.

Naming follows the role of the hook: ``harness_register_*`` hands the plugin a ``register``
callback (names are unique, a clash is an error naming both plugins), ``harness_*_event``
observes, and ``harness_deliver`` is a first-result factory. Hooks are always called with
keyword arguments, so a plugin may accept only the arguments it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from . import hookspec

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .events import ChargeToMatch, Delivery, DeliveryResult, EventContext, MatchStep, SystemEvent
    from .reports import RunResult


@hookspec
def harness_register_targets(register: Callable[..., None]) -> None:
    """Offer named targets: the systems a conformance run talks to.

    Call ``register(name, factory, description="...")`` once per target. ``factory`` is called
    as ``factory(options)`` with a :class:`kipu_harness.target.TargetOptions` and returns a
    :class:`kipu_harness.target.Target` (CRM, EMR and RCM clients plus the capabilities the
    target declares). Two plugins registering the same name is an error naming both.
    """


@hookspec
def harness_register_drivers(register: Callable[..., None]) -> None:
    """Offer a named driver: how the suite drives and observes a system whose API differs.

    Call ``register(name, crm=factory, emr=factory, rcm=factory, payer=factory, description="...")``
    with a factory for each system the driver speaks to (any subset). A factory is called as
    ``factory(address)`` with a :class:`kipu_harness.target.SystemAddress` (``url``, ``options``:
    the profile's ``[systems.<name>.options]`` table) and returns an object offering every operation
    of that system's protocol in :mod:`kipu_harness.contract`. A profile picks it per system with
    ``driver = "<name>"``. Two plugins registering the same name is an error naming both.
    """


@hookspec
def harness_system_event(event: "SystemEvent", context: "EventContext") -> None:
    """React to a domain event inside the write transaction of the system that raised it.

    Mock systems raise events such as ``prospect.created`` (CRM), ``opportunity.pushed``
    (CRM), ``mr_number.generated``, ``diagnosis.added``, ``discharge.set`` and
    ``send_to_rcm.clicked`` (EMR). ``context.tx`` is that system's open transaction and
    ``context.enqueue(...)`` adds a delivery to its durable outbox in the same transaction,
    so a refused or failed write leaves neither record nor message behind. Raise
    :class:`kipu_harness.events.Refused` to refuse the user's action: the transaction is rolled
    back and the caller gets a 409 naming each field and problem.
    """


@hookspec(firstresult=True)
def harness_deliver(delivery: "Delivery", links: Any) -> "DeliveryResult | None":
    """Carry one outbox delivery to its destination system; return None if the wire is not yours.

    ``delivery.wire`` names the wire format (``"json"``, ``"hl7v2"``); ``links`` gives the
    addresses of the other systems (``links.post_json(system, path, body)``,
    ``links.send_hl7(text)``). Whatever it raises (``ConnectionError`` when the destination is
    unreachable, ``TimeoutError`` when it does not answer, anything else) leaves the delivery in
    the outbox, to be retried with backoff. Return a ``DeliveryResult``: ``ok=True`` when the
    destination took it; ``ok=False, retry=True`` (and ``retry_after`` seconds, if it said) when
    it asked for it again later; ``ok=False`` when it refused it for good: it is not retried.
    plugins/wires.py states which answers are which.
    """


@hookspec
def harness_write_reports(result: "RunResult", directory: Any) -> None:
    """Write report files for a finished conformance run into ``directory`` (a pathlib.Path).

    ``result`` holds each scenario's outcome with the requirement IDs it proves, and the
    requirement catalogue; ``result.by_requirement()`` gives each requirement's verdict (proved,
    partly proved, failed, not provable here, not run, planned: see kipu_harness.reports) and
    ``result.counts()`` how many got each. Called once, after the run, by ``kipu-harness run`` and
    by pytest when ``--kipu-reports DIR`` is given.
    """


@hookspec
def harness_match_charge(charge: "ChargeToMatch", services: list, pay_type: str) -> "MatchStep | None":
    """One link of the RCM's charge-matching chain (BAT-05..BAT-09): find the RCM service for a charge.

    ``services`` are the RCM services of one ``pay_type`` ("insurance", then "private": BAT-08).
    Return ``MatchStep(link, service, reason)``: ``service`` is the matched service, or None with
    a ``reason`` saying why this link found nothing (it is reported when no link matches). The
    chain runs in pluggy's call order: the built-ins are the level of care's unique ID
    (``tryfirst``), the exact service name, then revenue + procedure + modifier + claim format
    (``trylast``); a deployment adds a link with its own plugin (``tryfirst``/``trylast`` place
    it), or blocks a built-in link by its plugin name to take it out. The first link that returns
    a service wins.
    """
