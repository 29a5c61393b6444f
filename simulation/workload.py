"""The workload of a simulation: who arrives, how long they stay, how they pay, how the staff work and
how often they slip. Read from TOML (the documented default: ``workload.toml`` beside this module;
a ``--workload FILE`` names only what it changes) into a frozen :class:`Workload`. Every wrong key
or value is one ValueError naming the key."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kipu_harness.mocks.census_people import LEVELS_OF_CARE
from kipu_harness.settings import read_toml
from kipu_harness.synthetic import PAYERS
from kipu_harness.wire.x12.eligibility import OUTCOMES

DEFAULT = Path(str(resources.files("kipu_harness.simulation") / "workload.toml"))
PRIVATE_PAY = "Private Pay"
RELATIONSHIPS = ("Self", "Spouse", "Child")
# The tables a file replaces whole (a mix lists what exists), and what each may name.
MIXES = {"levels_of_care": tuple(LEVELS_OF_CARE), "insurance.payers": (*(p[0] for p in PAYERS), PRIVATE_PAY),
         "insurance.relationship": RELATIONSHIPS, "insurance.eligibility": OUTCOMES}
IGNORED = ("load",)  # a workload file's [load] table is `kipu-harness load`'s (its own users and weights)
MISTAKES = ("missing_ur", "expired_authorization", "provider_not_on_authorization", "charge_without_service",
            "late_diagnosis")


@dataclass(frozen=True)
class LevelOfCare:
    name: str
    share: float
    stay_days: tuple[int, int, int]  # triangular: shortest, most likely, longest


@dataclass(frozen=True)
class Workload:
    start: dt.date
    beds: int
    opening_census: int
    arrivals_per_day: float
    conversion: float
    days_to_admit: tuple[int, int]
    emr_direct: float
    levels_of_care: tuple[LevelOfCare, ...]
    payers: tuple[tuple[str, float], ...]
    relationships: tuple[tuple[str, float], ...]
    secondary_insurance: float
    eligibility: tuple[tuple[str, float], ...]
    review_days: int
    review_pending: float
    review_pending_days: int
    review_denied: float
    attendance: float
    group_sessions_per_week: int
    evaluations_per_week: float
    transmit_every_days: int
    claims_every_days: int
    mistakes: tuple[tuple[str, float], ...]
    fix_after_days: int
    source: str = "default"
    table: dict[str, Any] | None = None  # the merged TOML, as the results show it

    def mistake(self, kind: str) -> float:
        return dict(self.mistakes)[kind]

    def as_json(self) -> dict[str, Any]:
        """The workload as its TOML says it (dates as ISO text), for the results."""
        return _jsonable(self.table or {})


def load(path: str | Path | None = None) -> Workload:
    """The default workload, with ``path``'s values over it (None: the default alone)."""
    # The default file's [load] table is `kipu-harness load`'s: not the simulation's, nor in its results.
    table = {k: v for k, v in tomllib.loads(DEFAULT.read_text()).items() if k not in IGNORED}
    source = "default"
    if path is not None:
        source = str(path)
        table = _merged(table, read_toml(path, "workload"), source)
    return _build(table, source)


def _merged(base: dict[str, Any], given: dict[str, Any], source: str, where: str = "") -> dict[str, Any]:
    merged = dict(base)
    for key, value in given.items():
        name = f"{where}{key}"
        if name in IGNORED:
            continue
        if key not in base:
            known = ", ".join(sorted(base))
            raise ValueError(f"workload {source}: unknown key {name}; known{' in ' + where[:-1] if where else ''}: {known}")
        if name in MIXES or not isinstance(base[key], dict):
            merged[key] = value
        elif not isinstance(value, dict):
            raise ValueError(f"workload {source}: {name} must be a table ([{name}])")
        else:
            merged[key] = _merged(base[key], value, source, f"{name}.")
    return merged


class _Reader:
    def __init__(self, table: dict[str, Any], source: str):
        self.table, self.source = table, source

    def fail(self, key: str, value: Any, expected: str) -> ValueError:
        return ValueError(f"workload {self.source}: {key} = {_shown(value)}: expected {expected}")

    def get(self, key: str) -> Any:
        node: Any = self.table
        for part in key.split("."):
            node = node[part]
        return node

    def number(self, key: str, low: float = 0.0, high: float = math.inf, value: Any = None) -> float:
        value = self.get(key) if value is None else value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            span = f"from {low:g} to {high:g}" if high < math.inf else f"{low:g} or more"
            raise self.fail(key, value, f"a number {span} (no quotes)")
        return float(value)

    def share(self, key: str) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise self.fail(key, value, "a share from 0 to 1 (e.g. 0.05)")
        return float(value)

    def whole(self, key: str, low: int, high: int, value: Any = None) -> int:
        value = self.get(key) if value is None else value
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, value, f"a whole number from {low} to {high}")
        return value

    def days(self, key: str, size: int) -> tuple[int, ...]:
        value = self.get(key)
        what = {2: "[fewest, most]", 3: "[shortest, most likely, longest]"}[size]
        if not isinstance(value, list) or len(value) != size or any(
                isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 365 for v in value) \
                or value != sorted(value):
            raise self.fail(key, value, f"{what} days: {size} whole numbers from 0 to 365, in that order")
        return tuple(value)

    def mix(self, key: str) -> tuple[tuple[str, float], ...]:
        value, allowed = self.get(key), MIXES[key]
        if not isinstance(value, dict) or not value:
            raise self.fail(key, value, f"a table of weights naming some of: {', '.join(allowed)}")
        for name in value:
            if name not in allowed:
                raise ValueError(f"workload {self.source}: {key}.{name}: unknown; expected one of {', '.join(allowed)}")
        if key == "levels_of_care":  # tables of their own, read by _build
            return ()
        weights = tuple((name, self.number(f"{key}.{name}")) for name in value)
        if not any(w for _, w in weights):
            raise self.fail(key, value, "at least one weight above 0")
        return weights


def _build(table: dict[str, Any], source: str) -> Workload:
    r = _Reader(table, source)
    start = table["start"]
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise r.fail("start", start, "a date, YYYY-MM-DD without quotes")
    r.mix("levels_of_care")
    levels = []
    for name, entry in table["levels_of_care"].items():
        key = f"levels_of_care.{name}"
        if not isinstance(entry, dict) or set(entry) != {"share", "stay_days"}:
            raise r.fail(key, entry, "a table with share and stay_days")
        stay = r.days(f"{key}.stay_days", 3)
        if stay[0] < 1:
            raise r.fail(f"{key}.stay_days", list(stay), "a shortest stay of 1 day or more")
        levels.append(LevelOfCare(name, r.number(f"{key}.share"), stay))  # type: ignore[arg-type]
    if not any(level.share for level in levels):
        raise r.fail("levels_of_care", {lc.name: lc.share for lc in levels}, "at least one share above 0")
    beds = r.whole("beds", 1, 5000)
    opening = r.whole("opening_census", 0, 5000)
    if opening > beds:
        raise r.fail("opening_census", opening, f"no more than beds ({beds})")
    return Workload(
        start=start, beds=beds, opening_census=opening,
        arrivals_per_day=r.number("arrivals.per_day", 0, 1000), conversion=r.share("arrivals.conversion"),
        days_to_admit=r.days("arrivals.days_to_admit", 2), emr_direct=r.share("arrivals.emr_direct"),  # type: ignore[arg-type]
        levels_of_care=tuple(levels), payers=r.mix("insurance.payers"),
        relationships=r.mix("insurance.relationship"), secondary_insurance=r.share("insurance.secondary"),
        eligibility=r.mix("insurance.eligibility"),
        review_days=r.whole("review.days", 1, 90), review_pending=r.share("review.pending"),
        review_pending_days=r.whole("review.pending_days", 1, 30), review_denied=r.share("review.denied"),
        attendance=r.share("services.attendance"),
        group_sessions_per_week=r.whole("services.group_sessions_per_week", 0, 7),
        evaluations_per_week=r.number("services.evaluations_per_week", 0, 7),
        transmit_every_days=r.whole("billing.transmit_every_days", 1, 365),
        claims_every_days=r.whole("billing.claims_every_days", 1, 365),
        mistakes=tuple((kind, r.share(f"mistakes.{kind}")) for kind in MISTAKES),
        fix_after_days=r.whole("mistakes.fix_after_days", 1, 90),
        source=source, table=table,
    )


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value
