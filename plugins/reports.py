"""Report writers: requirements.json for machines, requirements.md for people."""

from __future__ import annotations

import json
from pathlib import Path

from kipu_harness import hookimpl
from kipu_harness.reports import RunResult


@hookimpl
def harness_write_reports(result: RunResult, directory: Path) -> None:
    rows = result.by_requirement()
    data = {
        "target": result.target,
        "summary": result.counts(),
        "requirements": [
            {
                "id": row.requirement.id,
                "section": row.requirement.section,
                "statement": row.requirement.statement,
                "catalogue_status": row.requirement.status,
                "outcome": row.outcome,
                "scenarios": [
                    {"name": s.name, "outcome": s.outcome, "nodeid": s.nodeid, "detail": s.detail}
                    for s in row.scenarios
                ],
            }
            for row in rows
        ],
    }
    (directory / "requirements.json").write_text(json.dumps(data, indent=2) + "\n")

    lines = [
        f"# Conformance by requirement: {result.target}",
        "",
        " · ".join(f"{n} {k}" for k, n in sorted(result.counts().items())),
        "",
        "| requirement | outcome | scenarios | statement |",
        "|---|---|---|---|",
    ]
    for row in rows:
        names = "<br>".join(f"{s.outcome}: {s.name}" for s in row.scenarios) or "–"
        lines.append(f"| {row.requirement.id} | {row.outcome} | {names} | {row.requirement.statement} |")
    (directory / "requirements.md").write_text("\n".join(lines) + "\n")
