"""What a run keeps of each scenario for its reports: its Gherkin (title with its example's values,
``feature:line``, steps), each step's outcome, and the evidence it produced (harness/evidence.py).

Kept as plain JSON-able dicts keyed by pytest node id, so a pytest-xdist worker hands them to the
controller as they are (harness/parallel.py). The pytest plugin calls these from its hooks.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from . import evidence

RUNNING = "running"


def describe(item: Any, features: Path | None) -> dict[str, Any] | None:
    """A pytest-bdd item's scenario as written, rendered with its example row; None for any other test."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry as templates

    template = templates.get(getattr(item, "function", None))
    if template is None:
        return None
    callspec = getattr(item, "callspec", None)
    example = dict(callspec.params.get("_pytest_bdd_example") or {}) if callspec else {}
    scenario = template.render(example)
    return {
        "title": scenario.name,
        "example": {str(k): str(v) for k, v in example.items()},
        "feature": shown_path(Path(template.feature.filename), features),
        "file": str(Path(template.feature.filename).resolve()),
        "template": template.name,
        "line": scenario.line_number,
        "steps": [[step.keyword, step.name, step.line_number, "not run"] for step in scenario.steps],
        "evidence": [],
        "dropped": 0,
        "duration": 0.0,
    }


def title(detail: dict[str, Any]) -> str:
    """The scenario's name in reports: its Gherkin title, with its example's values when the title
    has no placeholder for them (each example row is a scenario of its own)."""
    if detail["example"] and detail["title"] == detail["template"]:
        return f"{detail['title']} [{', '.join(detail['example'].values())}]"
    return detail["title"]


def shown_path(path: Path, features: Path | None) -> str:
    """A feature file as a reader finds it: ``features/patient.feature`` beside the suite's own
    features, else relative to the working directory, else as it is."""
    path = path.resolve()
    for base in ([features.resolve().parent] if features else []) + [Path.cwd()]:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def step_started(detail: dict[str, Any] | None) -> None:
    if detail is None:
        return
    for step in detail["steps"]:
        if step[3] == "not run":
            step[3] = RUNNING
            return


def step_ended(detail: dict[str, Any] | None, outcome: str) -> None:
    """The running step passed or failed (for a step with no definition, the next one failed)."""
    if detail is None:
        return
    for step in detail["steps"]:
        if step[3] == RUNNING:
            step[3] = outcome
            return
    if outcome == "failed":
        for step in detail["steps"]:
            if step[3] == "not run":
                step[3] = "failed"
                return


def finished(detail: dict[str, Any] | None, outcome: str) -> None:
    """The call is over: a step still running was skipped (pytest.skip inside it) or failed."""
    if detail is None:
        return
    for step in detail["steps"]:
        if step[3] == RUNNING:
            step[3] = "skipped" if outcome == "skipped" else "failed"


class Recorder:
    """Opens the evidence before a scenario and closes it after, adding what each system's journal
    gained meanwhile when the target shows its journal (capability ``journal``)."""

    def __init__(self) -> None:
        self.marks: dict[str, int] = {}  # each system's last journal id seen, on a target with no reset
        self.started = 0.0

    def begin(self, target: Any, *, journal: bool) -> None:
        if journal and "reset" not in target.capabilities and not self.marks:
            self.marks = {system: _last_id(control.journal()) for system, control in target.controls.items()}
        self.started = time.perf_counter()
        evidence.start()

    def end(self, target: Any, detail: dict[str, Any] | None, *, journal: bool) -> dict[str, list[dict]]:
        """Closes the recording into ``detail``; returns the journal entries read (system -> new entries)."""
        calls, dropped = evidence.stop()
        journals: dict[str, list[dict]] = {}
        if journal:
            after = {} if "reset" in target.capabilities else self.marks
            journals = {system: control.journal(after=after.get(system) or None)
                        for system, control in target.controls.items()}
            if "reset" not in target.capabilities:
                self.marks = {system: _last_id(entries, self.marks.get(system, 0)) for system, entries in journals.items()}
        if detail is not None:
            kept = calls + evidence.journal_messages(journals, calls)
            detail["evidence"] = [m.as_json() for m in kept[:evidence.MAX_MESSAGES]]
            detail["dropped"] = dropped + max(0, len(kept) - evidence.MAX_MESSAGES)
            detail["duration"] = round(time.perf_counter() - self.started, 3)
        return journals


def _last_id(entries: list[dict[str, Any]], default: int = 0) -> int:
    return max((int(e["id"]) for e in entries), default=default)
