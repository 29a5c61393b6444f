"""The outcome of a conformance run, per scenario and per requirement, and the verdict rules.

A requirement's verdict on a target says no more than the run proved:

- *proved*: every scenario tagged with it ran and passed;
- *partly proved*: some passed, the others were skipped or not run (which, and why, is kept);
- *failed*: any of its scenarios failed;
- *not provable here*: every one of its scenarios was skipped (the target lacks a capability);
- *not run*: none passed or failed, and some were not run (deselected, or not collected);
- *planned*: the catalogue says no scenario proves it yet.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import Requirement, TaggedScenario
from .evidence import Message

VERDICTS = ("proved", "partly proved", "failed", "not provable here", "not run", "planned")
# A verdict's mark in the terminal's grid of requirements (at most five characters).
MARKS = {"proved": "ok", "partly proved": "part", "failed": "FAIL", "not provable here": "n/a",
         "not run": "--", "planned": ".."}


@dataclass(frozen=True)
class StepResult:
    keyword: str  # Given, When, Then, And, But
    text: str
    line: int
    outcome: str  # passed, failed, skipped (pytest.skip inside it), not run


@dataclass(frozen=True)
class ScenarioResult:
    nodeid: str  # pytest's id ("" for a tagged scenario the run did not collect)
    name: str  # the Gherkin title (with the example's values); a plain test's own name
    requirements: tuple[str, ...]
    outcome: str  # passed, failed, skipped, not run
    detail: str = ""  # why it failed, was skipped or did not run
    feature: str = ""  # the feature file, e.g. features/patient.feature
    line: int = 0  # of the Scenario (or Scenario Outline) in that file
    steps: tuple[StepResult, ...] = ()
    evidence: tuple[Message, ...] = ()  # what it exchanged with the systems, in order (harness/evidence.py)
    evidence_dropped: int = 0  # messages past the per-scenario limit, counted and not kept
    duration: float = 0.0  # seconds, from the target's set-up for it to its tear-down

    @property
    def location(self) -> str:
        """``features/patient.feature:12``, or the pytest id when it is not a Gherkin scenario."""
        return f"{self.feature}:{self.line}" if self.feature else self.nodeid


@dataclass(frozen=True)
class RunInfo:
    """What a report says about its run: where it ran, with what, when and for how long."""

    target: str
    systems: tuple[tuple[str, str], ...] = ()  # (system, address), in the order CRM, EMR, RCM, payer
    profile: str = ""  # the profile's name (a remote target)
    harness_version: str = ""
    commit: str = ""  # the harness's git commit, "" when not run from a checkout
    python: str = ""
    started: str = ""  # ISO 8601, UTC
    duration: float = 0.0  # seconds
    settings: tuple[tuple[str, str], ...] = ()  # the integration settings in force, by name
    settings_file: str = ""  # --kipu-config, if one was given
    command: str = ""  # how the run was invoked (pytest's arguments)


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    outcome: str  # the verdict, one of VERDICTS
    scenarios: tuple[ScenarioResult, ...] = ()

    @property
    def unproved(self) -> tuple[ScenarioResult, ...]:
        """The scenarios that keep the verdict from *proved*: failed, skipped or not run."""
        return tuple(s for s in self.scenarios if s.outcome != "passed")

    def why(self) -> str:
        """One line: which scenarios did not pass, and why; empty when proved."""
        return "; ".join(f"{s.name} {s.outcome}" + (f": {s.detail}" if s.detail else "") for s in self.unproved)


def verdict(requirement: Requirement, scenarios: tuple[ScenarioResult, ...]) -> str:
    outcomes = {s.outcome for s in scenarios}
    if not outcomes:
        return "planned" if requirement.status == "planned" else "not run"
    if "failed" in outcomes:
        return "failed"
    if outcomes == {"passed"}:
        return "proved"
    if "passed" in outcomes:
        return "partly proved"
    if outcomes == {"skipped"}:
        return "not provable here"
    return "not run"


@dataclass(frozen=True)
class RunResult:
    target: str
    scenarios: tuple[ScenarioResult, ...]
    catalogue: dict[str, Requirement] = field(default_factory=dict)
    info: RunInfo | None = None

    def by_requirement(self) -> list[RequirementResult]:
        rows = []
        for rid, req in self.catalogue.items():
            mine = tuple(s for s in self.scenarios if rid in s.requirements)
            rows.append(RequirementResult(req, verdict(req, mine), mine))
        return rows

    def counts(self) -> dict[str, int]:
        """How many requirements got each verdict, in the order of VERDICTS."""
        found = [row.outcome for row in self.by_requirement()]
        return {v: found.count(v) for v in VERDICTS if v in found}


def run_result(target: str, catalogue: dict[str, Requirement], scenarios: dict[str, tuple[str, tuple[str, ...]]],
               outcomes: dict[str, tuple[str, str]], *, deselected: Collection[str] = (),
               tagged: Iterable[TaggedScenario] = (), collected: Collection[tuple[str, str] | None] = (),
               details: dict[str, dict] | None = None, info: RunInfo | None = None) -> RunResult:
    """A run's result from the pytest plugin's bookkeeping: ``scenarios`` (nodeid -> name and
    requirement IDs, for every collected item that names one) and their ``outcomes`` (nodeid ->
    outcome and detail). What the run left out counts against *proved*, as *not run*: an item
    with no outcome (``deselected``, or the run stopped), and a ``tagged`` scenario of the feature
    files that is not among the ``collected`` (feature file, scenario name) pairs, when every
    collected item could be traced to one (None among them: some could not, so nothing is inferred).
    ``details``: nodeid -> the scenario's Gherkin, step outcomes and evidence (harness/scenario_record.py)."""
    details = details or {}
    ran = [_scenario(nodeid, scenarios[nodeid], outcome, detail, details.get(nodeid))
           for nodeid, (outcome, detail) in outcomes.items()]
    left = [_scenario(nodeid, (name, ids), "not run", "deselected" if nodeid in deselected else "", details.get(nodeid))
            for nodeid, (name, ids) in scenarios.items() if nodeid not in outcomes]
    if None not in collected:
        left += [ScenarioResult("", s.label, s.requirements, "not run", "not collected in this run")
                 for s in tagged if (str(s.feature), s.name) not in collected]
    return RunResult(target, tuple(ran + left), catalogue, info)


def _scenario(nodeid: str, named: tuple[str, tuple[str, ...]], outcome: str, why: str, detail: dict | None) -> ScenarioResult:
    if detail is None:
        return ScenarioResult(nodeid, named[0], named[1], outcome, why)
    return ScenarioResult(
        nodeid, named[0], named[1], outcome, why, feature=detail["feature"], line=detail["line"],
        steps=tuple(StepResult(*step) for step in detail["steps"]),
        evidence=tuple(Message.from_json(m) for m in detail["evidence"]),
        evidence_dropped=detail["dropped"], duration=detail["duration"])


def summary_lines(result: RunResult, columns: int = 6, reports: str | None = None) -> list[str]:
    """The terminal summary: a grid of requirement and verdict, the counts, then for each requirement
    partly proved, failed or not provable here, the scenarios that did not pass and why (scenarios
    skipped or not run for one reason share a line; a requirement not run at all has only its mark),
    and where the requirement reports went (``reports``, a folder), if anywhere."""
    rows = result.by_requirement()
    lines = ["  ".join(f"{r.requirement.id:<9}{MARKS[r.outcome]:<5}" for r in rows[start:start + columns])
             for start in range(0, len(rows), columns)]
    counts = result.counts()
    legend = {"partly proved": "part = partly proved", "not provable here": "n/a = not provable here",
              "not run": "-- = not run", "planned": ".. = planned, not yet in the suite"}
    keys = [text for verdict_, text in legend.items() if counts.get(verdict_)]
    lines.append(", ".join(f"{n} {k}" for k, n in counts.items()) + (f"  ({'; '.join(keys)})" if keys else ""))
    for row in rows:
        if row.outcome in ("proved", "not run", "planned"):
            continue
        alike: dict[tuple[str, str], list[str]] = {}  # several scenarios skipped for one reason: one line
        for s in row.unproved:
            alike.setdefault((s.outcome, s.detail), []).append(s.name)
        for (outcome, detail), names in alike.items():
            shown = names if outcome == "failed" or len(names) == 1 else [f"{len(names)} scenarios"]
            for name in shown:
                lines.append(f"{row.requirement.id} {row.outcome}: {name} {outcome}" + (f": {detail}" if detail else ""))
    if reports:
        lines.append(f"requirement reports: {Path(reports) / 'requirements.md'}")
    return lines
