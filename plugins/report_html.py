"""index.html: the conformance report a QA lead opens, one self-contained file (no network).

The page is rendered here with Jinja2 (Flask's own template engine) from the same data as
requirements.json (plugins/reports.py ``report_data``): the run, a summary per section, and each
requirement with its verdict, statement and scenarios, steps and reasons. The evidence of every
scenario is embedded once, as JSON, and drawn by the page's script when a scenario is opened: a
scenario proving three requirements is not written out three times."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from kipu_harness import hookimpl
from kipu_harness.plugins.reports import LEGEND, report_data
from kipu_harness.reports import MARKS, RunResult

TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def render(data: dict[str, Any]) -> str:
    evidence = [s["evidence"] for s in data["scenarios"]]
    # Inside <script>, "</" could close the element early: JSON lets us write it as "<\/".
    blob = json.dumps(evidence, separators=(",", ":")).replace("</", "<\\/")
    return _ENV.get_template("report.html").render(
        data=data, run=data["run"], marks=MARKS, legend=LEGEND.replace("*", ""), evidence_json=blob,
        slug=lambda text: "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-"))


@hookimpl
def harness_write_reports(result: RunResult, directory: Path) -> None:
    (directory / "index.html").write_text(render(report_data(result)), encoding="utf-8")
