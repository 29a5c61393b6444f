"""Locust users that play the people of a treatment facility on a deployment: the intake
coordinator, the clinician, the utilization reviewer and the biller (kipu_harness.load.roles).

Each user drives the systems through the drivers a kipu-harness profile names (``make_drivers``,
as the conformance suite does) and reports every call to Locust by its business operation: type
CRM, EMR or RCM, or ``wait`` for the time the integration took to carry something across. The
profile comes from ``--kipu-profile FILE`` (or $KIPU_HARNESS_PROFILE), the mix of roles from the
``[load]`` table of ``--kipu-workload FILE`` (or $KIPU_HARNESS_WORKLOAD; see workload.py).

``kipu-harness load --profile FILE`` runs this file; Locust itself does too::

    locust -f "$(python -c 'import kipu_harness.load as l; print(l.LOCUSTFILE)')" --kipu-profile FILE

In distributed mode a worker uses its own --kipu-profile and --kipu-workload when it is given
them, else the master's paths, which must then exist on the worker's machine too.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import uuid
from typing import Any

from locust import User, events, task
from locust.runners import WorkerRunner

from kipu_harness.load.operations import Failed, Operations
from kipu_harness.load.roles import ROLES, Shared
from kipu_harness.load.workload import DEFAULT_WEIGHTS, ENV as WORKLOAD_ENV, Workload, load_workload

PROFILE_ENV = "KIPU_HARNESS_PROFILE"
log = logging.getLogger("kipu_harness.load")
SHARED = Shared()  # the patients handed from role to role within this process
_state: dict[str, Any] = {"own": {}, "loaded": None}


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    # Read once as Locust starts: the web UI's form does not show them (a change there would not apply).
    parser.add_argument("--kipu-profile", metavar="FILE", default=os.environ.get(PROFILE_ENV, ""),
                        include_in_web_ui=False,
                        help=f"kipu-harness profile of the deployment (default ${PROFILE_ENV})")
    parser.add_argument("--kipu-workload", metavar="FILE", default=os.environ.get(WORKLOAD_ENV, ""),
                        include_in_web_ui=False,
                        help=f"TOML whose [load] table sets the mix of roles (default ${WORKLOAD_ENV}; without "
                             "one: the [load] table of kipu-harness simulate's default workload.toml)")


def settings(profile_path: str, workload_path: str) -> tuple[Any, Workload, Any]:
    """The profile, the workload and the plugin manager, each checked: a one-line ValueError."""
    from kipu_harness.plugin_manager import make_plugin_manager
    from kipu_harness.target import Profile, make_drivers

    if not profile_path:
        raise ValueError(f"no profile: give --kipu-profile FILE (or set ${PROFILE_ENV})")
    profile, pm = Profile.load(profile_path), make_plugin_manager()
    make_drivers(profile, pm)  # every driver it names exists and offers the whole contract
    return profile, load_workload(workload_path or None), pm


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return  # Locust used as a library: the caller sets what it needs
    # Kept now: on a worker the master's options replace these with its first spawn message.
    _state["own"] = {"profile": options.kipu_profile, "workload": options.kipu_workload}
    if isinstance(environment.runner, WorkerRunner) and not options.kipu_profile:
        return  # the master's paths come with the spawn
    try:
        _state["loaded"] = profile, workload, _ = settings(options.kipu_profile, options.kipu_workload)
    except ValueError as exc:
        print(f"kipu-harness load: error: {exc}", file=sys.stderr)
        sys.exit(2)
    for user_class in environment.user_classes:
        if issubclass(user_class, FacilityUser):
            user_class.weight = workload.weights[user_class.role]
    mix = ", ".join(f"{role} {weight}" for role, weight in workload.weights.items())
    log.info("profile %s (%s), mix: %s", profile.name, profile.path, mix)


def _loaded(environment: Any) -> tuple[Any, Workload, Any]:
    if _state["loaded"] is None:  # a worker given no paths of its own: the master's
        options = environment.parsed_options
        try:
            _state["loaded"] = settings(_state["own"].get("profile") or options.kipu_profile,
                                        _state["own"].get("workload") or options.kipu_workload)
        except ValueError as exc:
            log.error("kipu-harness load: %s", exc)
            environment.runner.quit()
            raise
    return _state["loaded"]


class FacilityUser(User):
    """One person of the facility; ``role`` names what they do (kipu_harness.load.roles)."""

    abstract = True
    role = ""

    def wait_time(self) -> float:
        low, high = _loaded(self.environment)[1].think
        return random.uniform(low, high)

    def on_start(self) -> None:
        from kipu_harness.synthetic import faker_for
        from kipu_harness.target import make_drivers

        profile, workload, pm = _loaded(self.environment)
        ops = Operations(self.environment.events.request.fire, self.role, wait_timeout=profile.wait_timeout)
        self.work = ROLES[self.role](make_drivers(profile, pm), ops, workload, SHARED, faker_for(uuid.uuid4().hex))

    @task
    def work_once(self) -> None:
        try:
            self.work.task()
        except Failed:  # reported already; this patient is set aside
            self.work.case = None


class IntakeCoordinator(FacilityUser):
    role, weight = "intake_coordinator", DEFAULT_WEIGHTS["intake_coordinator"]


class Clinician(FacilityUser):
    role, weight = "clinician", DEFAULT_WEIGHTS["clinician"]


class UtilizationReviewer(FacilityUser):
    role, weight = "utilization_reviewer", DEFAULT_WEIGHTS["utilization_reviewer"]


class Biller(FacilityUser):
    role, weight = "biller", DEFAULT_WEIGHTS["biller"]
