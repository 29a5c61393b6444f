"""What a simulation counts while it runs (:class:`Recorder`), and its results as JSON
(``reports/simulation/simulation.json``; the HTML page is drawn from it).

Everything but the timing keys (TIMING) follows from the seed and the workload alone: the same seed
and workload give the same JSON, whatever the machine."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from kipu_harness.contract import Refusal

T = TypeVar("T")
# The keys that measure this machine, not the facility: left out when two runs are compared.
TIMING = ("started", "duration_s", "patient_days_per_second", "latency_ms", "timings_s")
DAILY = ("census", "arrivals", "admissions", "discharges", "charges_transmitted", "charges_refused",
         "claims_submitted", "claims_accepted", "claims_rejected")
# What a driver raises when a system says no or cannot be reached: counted, and the run goes on.
FAILURES = (Refusal, RuntimeError, OSError)


class Recorder:
    """Counters per day and in total, the wall time of each driver call by operation, and the
    operations a system refused (beyond the refusals the workflow expects)."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.failed: dict[str, dict[str, Any]] = {}
        self.daily: list[dict[str, Any]] = []
        self.totals: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.written_off: Counter[str] = Counter()
        self.mistakes: Counter[str] = Counter()
        self.eligibility: Counter[str] = Counter()
        self.claims_by_payer: dict[str, Counter[str]] = defaultdict(Counter)
        self.messages: dict[str, Counter[str]] = defaultdict(Counter)  # system -> channel -> count
        self.notes: list[str] = []

    def new_day(self, day: dt.date) -> None:
        self.daily.append({"day": day.isoformat(), **{key: 0 for key in DAILY}})

    def count(self, key: str, n: int = 1) -> None:
        self.totals[key] += n
        if self.daily and key in self.daily[-1]:
            self.daily[-1][key] += n

    @contextlib.contextmanager
    def timed(self, operation: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.latency[operation].append((time.perf_counter() - started) * 1000)

    def call(self, operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``fn(*args, **kwargs)`` timed as ``operation``; a refusal or an unreachable system is
        counted under ``operation`` (with the first message) and gives None."""
        with self.timed(operation):
            try:
                return fn(*args, **kwargs)
            except FAILURES as exc:
                self.problem(operation, str(exc))
                return None


    def problem(self, operation: str, message: str) -> None:
        """Something the workflow needed did not happen (no exception: a record that never arrived)."""
        entry = self.failed.setdefault(operation, {"count": 0, "first": message[:300]})
        entry["count"] += 1


def spread(values: list[float], digits: int = 1) -> dict[str, Any]:
    """count, median, p90 and max of ``values`` (nearest-rank p90)."""
    if not values:
        return {"count": 0, "median": None, "p90": None, "max": None}
    ordered = sorted(values)
    p90 = ordered[max(0, -(-9 * len(ordered) // 10) - 1)]
    return {"count": len(ordered), "median": round(statistics.median(ordered), digits), "p90": round(p90, digits),
            "max": round(ordered[-1], digits)}


def build(sim: Any, reconciliation: dict[str, Any], started: dt.datetime, duration: float) -> dict[str, Any]:
    """The results of a finished simulation as the JSON document."""
    rec: Recorder = sim.recorder
    patient_days = sum(row["census"] for row in rec.daily)
    first_claim = [(s.first_claim - s.admitted).days for s in sim.stays
                   if s.first_claim and s.admitted and not s.opening]
    claims = {"by_payer": {payer: {"accepted": c["accepted"], "rejected": c["rejected"]}
                           for payer, c in sorted(rec.claims_by_payer.items())},
              "submitted": rec.totals["claims_submitted"], "accepted": rec.totals["claims_accepted"],
              "rejected": rec.totals["claims_rejected"], "private_pay_statements": rec.totals["statements"]}
    messages: dict[str, Any] = {"by_channel": {}, "by_system": {}}
    if "journal" in sim.target.capabilities:
        by_channel: Counter[str] = Counter()
        for system, counted in sorted(rec.messages.items()):
            by_channel.update(counted)
            messages["by_system"][system] = dict(sorted(counted.items()))
        messages["by_channel"] = {channel: {"count": n} for channel, n in sorted(by_channel.items())}
    else:
        messages["note"] = (f"target {sim.target.name} does not declare capability 'journal': "
                            "the messages between the systems cannot be counted")
    return {
        "seed": sim.seed,
        "days": sim.days,
        "target": sim.target.name,
        "workload": {"source": sim.workload.source, **sim.workload.as_json()},
        "started": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration_s": round(duration, 3),
        "patient_days": patient_days,
        "patient_days_per_second": round(patient_days / duration, 1) if duration > 0 else None,
        "daily": rec.daily,
        "census": {"opening": sim.workload.opening_census, "closing": rec.daily[-1]["census"] if rec.daily else 0,
                   "max": max((row["census"] for row in rec.daily), default=0), "beds": sim.workload.beds},
        "people": {key: rec.totals[key] for key in ("arrivals", "admissions", "admissions_direct", "discharges",
                                                    "prospects_not_admitted", "waiting_for_a_bed")},
        "charges": {"documented": rec.totals["charges_documented"], "transmitted": rec.totals["charges_transmitted"],
                    "refused": dict(sorted(rec.refused.items())), "written_off": dict(sorted(rec.written_off.items())),
                    "fixed_and_sent_again": rec.totals["charges_resent"]},
        "admission_to_first_claim_days": {"values": first_claim, **{k: v for k, v in spread(first_claim).items()
                                                                     if k != "count"}},
        "claims": claims,
        "eligibility": dict(sorted(rec.eligibility.items())),
        "reviews": {"authorized": rec.totals["reviews_authorized"], "pending": rec.totals["reviews_pending"],
                    "authorized_after_pending": rec.totals["reviews_authorized_after_pending"],
                    "denied": rec.totals["reviews_denied"]},
        "messages": messages,
        "latency_ms": {op: {**spread(values), "total": round(sum(values))} for op, values in sorted(rec.latency.items())},
        "mistakes": {kind: rec.mistakes[kind] for kind in sim.workload_mistakes()},
        "operations_refused": rec.failed,
        "notes": rec.notes,
        "reconciliation": reconciliation,
    }


def write(result: dict[str, Any], reports: Path) -> Path:
    folder = reports / "simulation"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "simulation.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    return path


def without_timing(result: dict[str, Any]) -> dict[str, Any]:
    """The result as two runs of the same seed and workload must agree on it."""
    return {k: v for k, v in result.items() if k not in TIMING}
