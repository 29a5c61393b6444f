"""One simulation's state: the target and its drivers, the workload, the seeded generators, the
facility's configuration, every stay and every charge, and the :class:`~.results.Recorder`."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from kipu_harness.synthetic import faker_for

from .facility import Facility, Stay
from .results import Recorder
from .workload import MISTAKES, Workload

BILLER = "biller"  # the default facility's billing user (SET-05)
INTAKE = "intake"  # who verifies insurance and reviews eligibility results


@dataclass
class Charge:
    """A billed item of the EMR's Billing Audit Tool Report, as the simulation followed it."""

    id: int
    stay: Stay
    day: dt.date
    kind: str  # per_diem | group | evaluation
    status: str = "open"  # open | accepted | refused | blocked
    reason: str = ""  # why it was last refused or blocked
    attendance_id: int | None = None  # the RCM treatment it became
    wrong_provider: bool = False
    written_off: bool = False  # refused for a reason nobody will fix: never sent again
    claimed: bool = False


class Simulation:
    def __init__(self, target: Any, workload: Workload, seed: int, days: int):
        self.target, self.workload, self.seed, self.days = target, workload, seed, days
        # A stream of draws for each purpose, so that one changes nothing of the others: the same
        # seed brings the same people whatever the mistake rates or the U/R outcomes.
        self.streams: dict[str, random.Random] = {}
        self.fake = faker_for(seed)  # the people
        self.numbers = faker_for(f"{seed}/numbers")  # authorization numbers, corrected policies
        self.recorder = Recorder()
        self.facility: Facility | None = None
        self.stays: list[Stay] = []
        self.charges: dict[int, Charge] = {}
        self.today = workload.start
        self.day_number = 0  # 1 on the first simulated day
        self.journal_marks: dict[str, int] = {}  # system -> the last journal entry counted

    # -- the drivers ----------------------------------------------------------------------------
    @property
    def crm(self) -> Any:
        return self.target.crm

    @property
    def emr(self) -> Any:
        return self.target.emr

    @property
    def rcm(self) -> Any:
        return self.target.rcm

    def can(self, capability: str) -> bool:
        return capability in self.target.capabilities

    def call(self, operation: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return self.recorder.call(operation, fn, *args, **kwargs)

    def pin(self, hour: int) -> None:
        """The systems' shared clock to ``hour`` o'clock of the simulated day."""
        when = dt.datetime.combine(self.today, dt.time(hour))
        for control in self.target.controls.values():
            control.pin_clock(when)

    # -- who is where ---------------------------------------------------------------------------
    def in_care(self) -> list[Stay]:
        return [s for s in self.stays if s.in_care]

    def census(self) -> int:
        return sum(1 for s in self.stays if s.in_care)

    def stream(self, purpose: str) -> random.Random:
        """The draws for ``purpose`` (people, arrivals, reviews, care, mistakes), seeded from the seed."""
        if purpose not in self.streams:
            self.streams[purpose] = random.Random(f"{self.seed}/{purpose}")
        return self.streams[purpose]

    def chance(self, share: float, purpose: str) -> bool:
        return self.stream(purpose).random() < share

    def mistake(self, kind: str) -> bool:
        """Whether this one slips (at the workload's rate); counted when it does."""
        if self.stream("mistakes").random() < self.workload.mistake(kind):
            self.recorder.mistakes[kind] += 1
            return True
        return False

    def workload_mistakes(self) -> tuple[str, ...]:
        return MISTAKES
