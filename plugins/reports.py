"""Report writers: requirements.json for machines, requirements.md for people (index.html: the
report_html plugin). One content, three forms, all built from :func:`report_data`.

Each requirement gets its verdict on the run's target (see kipu_harness.reports: proved, partly
proved, failed, not provable here, not run, planned), its scenarios by Gherkin title and
``feature:line`` with their steps, the reason any of them failed or was skipped, and the evidence
each produced (the messages it exchanged, kipu_harness.evidence). SSNs are masked everywhere."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from kipu_harness import hookimpl
from kipu_harness.phi import mask_data, mask_ssn
from kipu_harness.reports import VERDICTS, RunResult, ScenarioResult

LEGEND = ("*proved*: every scenario tagged with the requirement ran and passed · *partly proved*: some passed, "
          "the others were skipped or not run · *failed*: one failed · *not provable here*: every one was "
          "skipped on this target · *not run* · *planned*: no scenario yet. Black-box: can the requirement be "
          "proved with no mock-only capability (journal, clock, outbox, payer set-up)?")


def report_data(result: RunResult) -> dict[str, Any]:
    """Everything the reports say, as JSON-able data, SSNs masked. Scenarios are listed once
    (``scenarios``, with steps and evidence); a requirement names its own by index (``ref``)."""
    rows = result.by_requirement()
    order: dict[int, int] = {}  # id(scenario) -> its index in the scenario list
    scenarios: list[dict[str, Any]] = []
    for row in rows:
        for s in row.scenarios:
            if id(s) not in order:
                order[id(s)] = len(scenarios)
                scenarios.append(_scenario(s))
    sections: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = sections.setdefault(row.requirement.section, {})
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    data = {
        "target": result.target,
        "run": _run(result),
        "verdicts": list(VERDICTS),
        "summary": result.counts(),
        "sections": [{"section": name, "summary": {v: c[v] for v in VERDICTS if v in c}} for name, c in sections.items()],
        "requirements": [
            {
                "id": row.requirement.id,
                "section": row.requirement.section,
                "overview": row.requirement.overview,
                "statement": row.requirement.statement,
                "catalogue_status": row.requirement.status,
                "black_box": row.requirement.black_box,
                "black_box_note": row.requirement.black_box_note,
                "outcome": row.outcome,
                "why": row.why(),
                "scenarios": [
                    {"name": s.name, "location": s.location, "outcome": s.outcome, "detail": s.detail,
                     "nodeid": s.nodeid, "ref": order[id(s)]}
                    for s in row.scenarios
                ],
            }
            for row in rows
        ],
        "scenarios": scenarios,
    }
    # A failure's detail or a message may quote what a system answered: SSNs masked (kipu_harness.phi).
    return mask_data(data)


def _run(result: RunResult) -> dict[str, Any]:
    if result.info is None:
        return {"target": result.target}
    info = dataclasses.asdict(result.info)
    info["systems"] = dict(result.info.systems)
    info["settings"] = dict(result.info.settings)
    return info


def _scenario(s: ScenarioResult) -> dict[str, Any]:
    return {
        "name": s.name, "feature": s.feature, "line": s.line, "location": s.location, "nodeid": s.nodeid,
        "requirements": list(s.requirements), "outcome": s.outcome, "detail": s.detail, "duration": s.duration,
        "steps": [dataclasses.asdict(step) for step in s.steps],
        "evidence": [m.as_json() for m in s.evidence], "evidence_dropped": s.evidence_dropped,
    }


@hookimpl
def harness_write_reports(result: RunResult, directory: Path) -> None:
    data = report_data(result)
    (directory / "requirements.json").write_text(json.dumps(data, indent=1) + "\n")
    (directory / "requirements.md").write_text(mask_ssn("\n".join(markdown(data))) + "\n")


def markdown(data: dict[str, Any]) -> list[str]:
    """requirements.md: the run, a summary per section, then each requirement with its scenarios;
    the steps and evidence of every scenario that did not pass (index.html has them all)."""
    run = data["run"]
    lines = [f"# Conformance by requirement: {data['target']}", "",
             " · ".join(f"{n} {k}" for k, n in data["summary"].items()), "", "## The run", "",
             "| | |", "|---|---|"]
    for label, value in (("target", run.get("target")), ("profile", run.get("profile")),
                         ("harness", f"{run.get('harness_version', '')} {run.get('commit', '')}".strip()),
                         ("python", run.get("python")), ("started", run.get("started")),
                         ("duration", f"{run['duration']} s" if "duration" in run else ""),
                         ("integration settings", run.get("settings_file") or ("defaults" if run.get("settings") else "")),
                         ("command", f"`{run['command']}`" if run.get("command") else "")):
        if value:
            lines.append(f"| {label} | {_cell(str(value))} |")
    for system, address in run.get("systems", {}).items():
        lines.append(f"| {system} | {_cell(address)} |")
    lines += ["", "## Summary by section", "", "| section | " + " | ".join(data["verdicts"]) + " |",
              "|---|" + "---|" * len(data["verdicts"])]
    for section in data["sections"]:
        lines.append(f"| {section['section']} | " + " | ".join(str(section["summary"].get(v, "")) for v in data["verdicts"]) + " |")
    lines += ["", LEGEND, ""]
    current = None
    for req in data["requirements"]:
        if req["section"] != current:
            current = req["section"]
            lines += [f"## {current}", ""]
        black_box = f" · black-box: {req['black_box']}" if req["black_box"] else ""
        lines += [f"### {req['id']}: {req['outcome']}", "", req["statement"], "",
                  f"Overview: {req['overview']}{black_box}" + (f" ({req['black_box_note']})" if req["black_box_note"] else ""), ""]
        for ref in req["scenarios"]:
            lines += _scenario_lines(data["scenarios"][ref["ref"]])
        if not req["scenarios"]:
            lines.append("- no scenario" + (" yet (planned)" if req["outcome"] == "planned" else ""))
        lines.append("")
    return lines


def _scenario_lines(s: dict[str, Any]) -> list[str]:
    where = f" (`{s['location']}`)" if s["location"] else ""
    lines = [f"- **{s['outcome']}**: {s['name']}{where}" + (f": {s['detail']}" if s["detail"] and s["outcome"] != "passed" else "")]
    if s["outcome"] == "passed" or not (s["steps"] or s["evidence"]):
        return lines
    lines += [f"  - {step['outcome']}: {step['keyword']} {step['text']} (line {step['line']})" for step in s["steps"]]
    if s["evidence"]:
        lines += ["", "  <details><summary>evidence: " + f"{len(s['evidence'])} messages</summary>", "", "  ````"]
        for m in s["evidence"]:
            lines.append(f"  [{m['source']} {m['system']} {m['channel']}] {m['summary']}"
                         + (f" (x{m['repeat']})" if m.get("repeat", 1) > 1 else "") + ("  <- failed" if m["failed"] else ""))
            for body in (m["request"], m["response"]):
                lines += [f"    {line}" for line in body.replace("\r", "\n").splitlines()[:40] if line.strip()]
        lines += ["  ````", "  </details>", ""]
    return lines


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
