"""The built-in targets: in-process mocks, the same mocks on loopback, and a remote profile."""

from __future__ import annotations

import tempfile
from typing import Any

from kipu_harness import hookimpl
from kipu_harness.clients import CrmClient, EmrClient, MockControl, PayerClient, RcmClient
from kipu_harness.target import CAPABILITIES, Target, TargetOptions, make_drivers
from kipu_harness.transport import FlaskTransport, HttpTransport

MOCK_CAPABILITIES = frozenset(CAPABILITIES)
# The embedded targets' outboxes wait this share of the usual pause before a retry (backoff from
# 25 ms instead of 0.5 s, a Retry-After of 1 s honoured as 50 ms), and their retrier looks every
# 50 ms instead of every second (releasing what a reorder fault holds): a scenario that waits for
# delivery to recover from faults does not sleep through `mocks up`'s real-time schedule.
RETRY_PACE = 0.05


@hookimpl
def harness_register_targets(register: Any) -> None:
    register("inprocess", inprocess_target,
             description="the mock CRM, EMR and RCM in this process, through Flask test clients (fast)")
    register("local", local_target,
             description="the same mocks served by waitress on free loopback ports, HL7 over MLLP")
    register("remote", remote_target,
             description="systems already running, at the addresses of a --profile TOML file")


def inprocess_target(options: TargetOptions) -> Target:
    from kipu_harness.mocks import MockSuite

    from kipu_harness.mocks.common.outbox import RETRY_EVERY, Retrier

    suite = MockSuite(options.pm, settings=options.settings)
    _retry_faster(suite)
    transports = {name: FlaskTransport(app, suite.emr_auth.signer if name == "emr" else None, system=name)
                  for name, app in suite.apps.items()}
    # As served mocks do: what a write could not deliver (an outage, a fault) is retried.
    retrier = Retrier([c.outbox for c in suite.contexts.values()], also=suite.faults.flush,
                      every=RETRY_EVERY * RETRY_PACE).start()

    def close() -> None:
        retrier.stop()
        suite.close()

    target = _mock_target("inprocess", suite, transports, closer=close, outage=_InProcessOutage(suite))
    target.addresses = {name: "in-process (this Python process)" for name in transports}
    return target


def local_target(options: TargetOptions) -> Target:
    from kipu_harness.mocks import MockSuite
    from kipu_harness.mocks.common.outbox import RETRY_EVERY
    from kipu_harness.mocks.serve import ServedSuite

    data = tempfile.TemporaryDirectory(prefix="kipu-harness-")
    suite = MockSuite(options.pm, settings=options.settings, data_dir=data.name)
    _retry_faster(suite)
    served = ServedSuite(suite, retry_every=RETRY_EVERY * RETRY_PACE)
    transports = {name: HttpTransport(url, credential=suite.emr_auth.signer if name == "emr" else None, system=name)
                  for name, url in served.urls.items()}

    def close() -> None:
        served.stop()
        suite.close()
        data.cleanup()

    target = _mock_target("local", suite, transports, closer=close, outage=_LoopbackOutage(served))
    target.addresses = {**served.urls, "rcm mllp": "%s:%d" % served.mllp}
    return target


def _retry_faster(suite: Any) -> None:
    for context in suite.contexts.values():
        context.outbox.pace = RETRY_PACE


def _mock_target(name: str, suite: Any, transports: dict[str, Any], *, closer: Any, outage: Any) -> Target:
    # The mocks deliver within the request that caused the delivery, so what a scenario waits
    # for is there at once; a short patience keeps a failing scenario from stalling the run.
    return Target(
        name=name,
        crm=CrmClient(transports["crm"]),
        emr=EmrClient(transports["emr"]),
        rcm=RcmClient(transports["rcm"]),
        payer=PayerClient(transports["payer"]),
        capabilities=MOCK_CAPABILITIES,
        controls={system: MockControl(t, suite.guard.token) for system, t in transports.items()},
        wait_timeout=1.0,
        closer=closer,
        outage=outage,
    )


def remote_target(options: TargetOptions) -> Target:
    """Nothing is started here, and the reference integration does not run in this process:
    a deployment has its own. Each system is driven by the driver its profile names (the
    built-in ``kipu`` by default). Control routes are used only on systems the profile marks mocked."""
    if options.profile is None:
        raise ValueError("the remote target needs a profile: --profile FILE")
    systems = options.profile.systems
    drivers = make_drivers(options.profile, options.pm)
    controls = {name: MockControl(HttpTransport(address.url, system=name), address.control_token)
                for name, address in systems.items() if address.mocked}
    everything_mocked = len(controls) == len(systems)
    capabilities = set(MOCK_CAPABILITIES) if everything_mocked else set()
    if not options.profile.allow_reset:
        capabilities.discard("reset")  # a developer's saved data is never wiped unasked
    if "payer" not in controls:
        capabilities.discard("payer")
    return Target(
        name=f"remote ({options.profile.name})",
        crm=drivers["crm"],
        emr=drivers["emr"],
        rcm=drivers["rcm"],
        payer=drivers.get("payer"),
        # A capability is declared only when every system offers it; a real system has no reset.
        capabilities=frozenset(capabilities),
        controls=controls if everything_mocked else {},
        wait_timeout=options.profile.wait_timeout,
        settle=options.profile.settle,
    )


class _InProcessOutage:
    """Take a system down for the others: deliveries to it fail as a refused connection would."""

    def __init__(self, suite: Any):
        self._links = suite.contexts["emr"].links

    def stop(self, system: str) -> None:
        self._links.down.add(system)

    def start(self, system: str) -> None:
        self._links.down.discard(system)


class _LoopbackOutage:
    """Stop a system's real listener (MLLP for the RCM) and bring it back on the same port."""

    def __init__(self, served: Any):
        self._served = served

    def stop(self, system: str) -> None:
        if system != "rcm":
            raise ValueError("only the RCM's MLLP listener can be stopped")
        self._served.stop_mllp()

    def start(self, system: str) -> None:
        self._served.start_mllp()
