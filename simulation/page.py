"""reports/simulation/index.html: the simulated facility as one self-contained page (no script,
no network): the reconciliation first, the key figures, then the charts (census per day, charges
transmitted and refused, refusals per reason, days from admission to first claim, claims per
payer, messages per channel, latency per operation), the mistakes injected and the workload.

Drawn from the run's JSON (``simulation.json``) alone, so a page can be made again from a kept JSON:
``python -m kipu_harness.simulation.page reports/simulation/simulation.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import charts
from .charts import Series

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def figures(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The key figures, as (label, value), in the order the page shows them."""
    daily = data.get("daily", [])
    claims = data.get("claims", {}).get("by_payer", {})
    first_claim = data.get("admission_to_first_claim_days", {})
    return [
        ("patient-days", data.get("patient_days", 0)),
        ("admissions", sum(d.get("admissions", 0) for d in daily)),
        ("discharges", sum(d.get("discharges", 0) for d in daily)),
        ("census on the last day", daily[-1].get("census", 0) if daily else 0),
        ("charges transmitted", data.get("charges", {}).get("transmitted", 0)),
        ("charges refused", sum(data.get("charges", {}).get("refused", {}).values())),
        ("claims accepted", sum(p.get("accepted", 0) for p in claims.values())),
        ("claims rejected", sum(p.get("rejected", 0) for p in claims.values())),
        ("days to first claim (median)", first_claim.get("median", "–")),
        ("patient-days per second", data.get("patient_days_per_second", "–")),
    ]


def chart_set(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(heading, SVG) per chart."""
    daily = data.get("daily", [])
    days = [d["day"] for d in daily]
    refused = {reason.replace("_", " "): n for reason, n in data.get("charges", {}).get("refused", {}).items()}
    payers = data.get("claims", {}).get("by_payer", {})
    channels = data.get("messages", {}).get("by_channel", {})
    # The operations that took the most time in all, at most eight: a chart of thirty is unreadable.
    latency = dict(sorted(data.get("latency_ms", {}).items(), key=lambda kv: -kv[1].get("total", kv[1].get("median", 0)
                                                                                           * kv[1].get("count", 1)))[:8])
    return [
        ("Census per day", charts.lines("census per day", days, [
            Series("census", tuple(d.get("census", 0) for d in daily))])),
        ("Charges transmitted and refused per day", charts.lines("charges per day", days, [
            Series("transmitted", tuple(d.get("charges_transmitted", 0) for d in daily)),
            Series("refused", tuple(d.get("charges_refused", 0) for d in daily))])),
        ("Charges refused, per reason", charts.bars("charges refused per reason", list(refused), [
            Series("refused", tuple(refused.values()))])),
        ("Days from admission to first claim", charts.histogram(
            "days from admission to first claim", data.get("admission_to_first_claim_days", {}).get("values", []))),
        ("Claims accepted and rejected, per payer", charts.bars("claims per payer", list(payers), [
            Series("accepted", tuple(p.get("accepted", 0) for p in payers.values())),
            Series("rejected", tuple(p.get("rejected", 0) for p in payers.values()))])),
        ("Messages per channel", charts.bars("messages per channel", list(channels), [
            Series("messages", tuple(c.get("count", 0) for c in channels.values()))])),
        ("Latency of the eight busiest operations (ms)", charts.bars("latency per operation", list(latency), [
            Series("median", tuple(l.get("median", 0) for l in latency.values())),
            Series("p90", tuple(l.get("p90", 0) for l in latency.values()))])),
    ]


def render(data: dict[str, Any]) -> str:
    shown = [(label, f"{value:,}" if isinstance(value, int) else value) for label, value in figures(data)]
    return _ENV.get_template("simulation.html").render(data=data, figures=shown, charts=chart_set(data))


def write_html(data: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    path.write_text(render(data), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - a page again from a kept JSON
    source = Path(sys.argv[1])
    print(write_html(json.loads(source.read_text()), source.parent))
