"""The outcome of a conformance run, per scenario and per requirement."""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalogue import Requirement


@dataclass(frozen=True)
class ScenarioResult:
    nodeid: str
    name: str
    requirements: tuple[str, ...]
    outcome: str  # passed, failed, skipped
    detail: str = ""


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    outcome: str  # passed, failed, skipped, not run, planned
    scenarios: tuple[ScenarioResult, ...] = ()


@dataclass(frozen=True)
class RunResult:
    target: str
    scenarios: tuple[ScenarioResult, ...]
    catalogue: dict[str, Requirement] = field(default_factory=dict)

    def by_requirement(self) -> list[RequirementResult]:
        rows = []
        for rid, req in self.catalogue.items():
            mine = tuple(s for s in self.scenarios if rid in s.requirements)
            outcomes = {s.outcome for s in mine}
            if "failed" in outcomes:
                outcome = "failed"
            elif "passed" in outcomes:
                outcome = "passed"
            elif "skipped" in outcomes:
                outcome = "skipped"
            else:
                outcome = "planned" if req.status == "planned" else "not run"
            rows.append(RequirementResult(req, outcome, mine))
        return rows

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.by_requirement():
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
        return counts
