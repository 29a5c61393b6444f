"""The simulation's loop: the facility configured, each day run with the systems' clock pinned to it,
the period closed (everything outstanding billed), the systems reconciled, the results built."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from . import billing, day
from .facility import configure
from .reconcile import reconcile
from .results import build
from .state import Simulation
from .workload import Workload


def build_target(profile: str | None = None, pm: Any = None) -> Any:
    """The embedded mocks (the ``inprocess`` target), or a profile's systems (``remote``), checked
    first: a profile whose systems do not answer is a one-line error."""
    from kipu_harness.plugin_manager import make_plugin_manager
    from kipu_harness.plugins.targets import inprocess_target, remote_target
    from kipu_harness.target import Profile, TargetOptions, check_systems, preflight_error

    pm = pm or make_plugin_manager()
    if profile is None:
        return inprocess_target(TargetOptions(name="inprocess", pm=pm))
    loaded = Profile.load(profile)
    problem = preflight_error(check_systems(loaded))
    if problem:
        raise ValueError(problem)
    return remote_target(TargetOptions(name="remote", profile=loaded, settings=loaded.settings, pm=pm))


def needs_clock(target: Any) -> None:
    """A simulation pins the systems' clock to each day: a target without the capability is refused."""
    if "clock" not in target.capabilities:
        raise ValueError(f"target {target.name} does not declare capability 'clock': a simulation pins the "
                         "systems' date to each simulated day (mark every system of the profile mocked = true, "
                         "or simulate against the embedded mocks)")


def simulate(target: Any, workload: Workload, *, seed: int, days: int,
             advance: Callable[..., None] = lambda n=1, what=None: None) -> dict[str, Any]:
    """Run ``days`` days of ``workload`` on ``target``; the results (results.py's JSON)."""
    needs_clock(target)
    sim = Simulation(target, workload, seed, days)
    started = dt.datetime.now(dt.timezone.utc)
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        sim.pin(7)
        sim.facility = configure(target, workload)
        if not sim.can("payer"):
            sim.recorder.notes.append(f"target {target.name} does not declare capability 'payer': the eligibility "
                                      "outcomes are the payer's own, not the workload's mix")
        if sim.can("journal"):  # count from here: this simulation's messages only
            for system, control in target.controls.items():
                entries = control.journal()
                sim.journal_marks[system] = entries[-1]["id"] if entries else 0
        timings["setup_s"] = time.perf_counter() - clock
        for number in range(1, days + 1):
            sim.day_number, sim.today = number, workload.start + dt.timedelta(days=number - 1)
            day.run(sim)
            advance(1, f"day {number}/{days} {sim.today.isoformat()}: census {sim.recorder.daily[-1]['census']}")
        sim.pin(18)
        billing.close(sim)
        day.count_messages(sim)
        timings["days_s"] = time.perf_counter() - clock - timings["setup_s"]
        reconciliation = reconcile(sim)
    finally:
        for control in target.controls.values():
            control.pin_clock(None)  # the clock runs again, as it was found
    duration = time.perf_counter() - clock
    timings["reconciliation_s"] = duration - timings["setup_s"] - timings["days_s"]
    result = build(sim, reconciliation, started, duration)
    result["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    return result
