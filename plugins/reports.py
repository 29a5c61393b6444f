"""Report writers: requirements.json for machines, requirements.md for people.

Each requirement gets its verdict on the run's target (see kipu_harness.reports: proved, partly
proved, failed, not provable here, not run, planned) with the scenarios that kept it from *proved*
and why, and what the catalogue says about proving it black-box. SSNs are masked in both."""

from __future__ import annotations

import json
from pathlib import Path

from kipu_harness import hookimpl
from kipu_harness.phi import mask_data, mask_ssn
from kipu_harness.reports import VERDICTS, RunResult


@hookimpl
def harness_write_reports(result: RunResult, directory: Path) -> None:
    rows = result.by_requirement()
    data = {
        "target": result.target,
        "verdicts": list(VERDICTS),
        "summary": result.counts(),
        "requirements": [
            {
                "id": row.requirement.id,
                "section": row.requirement.section,
                "statement": row.requirement.statement,
                "catalogue_status": row.requirement.status,
                "black_box": row.requirement.black_box,
                "black_box_note": row.requirement.black_box_note,
                "outcome": row.outcome,
                "why": row.why(),
                "scenarios": [
                    {"name": s.name, "outcome": s.outcome, "nodeid": s.nodeid, "detail": s.detail}
                    for s in row.scenarios
                ],
            }
            for row in rows
        ],
    }
    # A failure's detail may quote what a system answered: SSNs masked (kipu_harness.phi).
    (directory / "requirements.json").write_text(json.dumps(mask_data(data), indent=2) + "\n")

    lines = [
        f"# Conformance by requirement: {result.target}",
        "",
        " · ".join(f"{n} {k}" for k, n in result.counts().items()),
        "",
        "*proved*: every scenario tagged with the requirement ran and passed · *partly proved*: some passed, "
        "the others were skipped or not run · *failed*: one failed · *not provable here*: every one was "
        "skipped on this target · *not run* · *planned*: no scenario yet. Black-box: can the requirement be "
        "proved with no mock-only capability (journal, clock, outbox, payer set-up)?",
        "",
        "| requirement | verdict | scenarios | black-box | statement |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        names = "<br>".join(_cell(f"{s.outcome}: {s.name}" + (f" ({s.detail})" if s.detail and s.outcome != "passed"
                                                               else "")) for s in row.scenarios) or "–"
        req = row.requirement
        black_box = req.black_box + (f": {_cell(req.black_box_note)}" if req.black_box_note else "")
        lines.append(f"| {req.id} | {row.outcome} | {names} | {black_box} | {_cell(req.statement)} |")
    (directory / "requirements.md").write_text(mask_ssn("\n".join(lines)) + "\n")


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
