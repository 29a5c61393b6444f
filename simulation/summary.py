"""The terminal summary of a simulation's results: census, people, charges, claims, eligibility,
mistakes, messages, speed, and the reconciliation's checks with PASS/FAIL."""

from __future__ import annotations

from typing import Any

from .billing import LABELS

MISTAKES = {"missing_ur": "missing U/R", "expired_authorization": "expired authorization",
            "provider_not_on_authorization": "provider not on the authorization",
            "charge_without_service": "charge with no matching service", "late_diagnosis": "late diagnosis"}

ELIGIBILITY = {"auth_required": "authorization required", "not_found": "member not found",
               "checked_again": "checked again"}
REVIEWS = {"authorized": "authorized at once", "pending": "saved Pending",
           "authorized_after_pending": "authorized after Pending", "denied": "denied"}


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _listed(counts: dict[str, int], labels: dict[str, str] | None = None) -> str:
    shown = [f"{(labels or {}).get(k, k)} {_n(v)}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if v]
    return ", ".join(shown) or "none"


def lines(result: dict[str, Any]) -> list[str]:
    census, people, charges, claims = result["census"], result["people"], result["charges"], result["claims"]
    first = result["admission_to_first_claim_days"]
    refused = sum(charges["refused"].values())
    out = [
        f"simulated {result['days']} days of a {census['beds']}-bed facility (seed {result['seed']}, "
        f"workload {result['workload']['source']}, target {result['target']}) in {result['duration_s']:.1f} s",
        f"  census       {census['opening']} at the start, {census['closing']} at the end (most {census['max']}); "
        f"{_n(result['patient_days'])} patient-days, {result['patient_days_per_second']} patient-days/s",
        f"  people       {_n(people['arrivals'])} arrivals, {_n(people['admissions'])} admissions "
        f"({people['admissions_direct']} entered in the EMR), {_n(people['discharges'])} discharges, "
        f"{people['prospects_not_admitted']} prospects not admitted",
        f"  charges      {_n(charges['documented'])} documented, {_n(charges['transmitted'])} transmitted, "
        f"{_n(refused)} refused ({_listed(charges['refused'], LABELS)}); "
        f"{_n(charges['fixed_and_sent_again'])} fixed and sent again, "
        f"{_n(sum(charges['written_off'].values()))} written off",
        f"  claims       {_n(claims['submitted'])} submitted: {_n(claims['accepted'])} accepted, "
        f"{_n(claims['rejected'])} rejected; {_n(claims['private_pay_statements'])} private-pay statements",
        "  first claim  " + (f"{first['median']} days after admission (median), p90 {first['p90']}, max {first['max']}"
                             if first["values"] else "none made"),
        f"  eligibility  {_listed(result['eligibility'], ELIGIBILITY)}",
        f"  U/R          {_listed(result['reviews'], REVIEWS)}",
        f"  mistakes     {_listed(result['mistakes'], MISTAKES)}",
    ]
    channels = result["messages"]["by_channel"]
    out.append("  messages     " + (", ".join(f"{c} {_n(v['count'])}" for c, v in channels.items()) if channels
                                   else result["messages"].get("note", "none")))
    latency = result["latency_ms"]
    medians = [f"{op} {latency[op]['median']}" for op in ("admission", "eligibility", "transmit", "claim") if op in latency]
    out.append("  latency ms   " + (", ".join(medians) + " (median)" if medians else "none"))
    for operation, failure in result["operations_refused"].items():
        out.append(f"  refused      {operation}: {failure['count']}x, first: {failure['first']}")
    out += [f"  note         {note}" for note in result.get("notes", ())]
    reconciliation = result["reconciliation"]
    out.append(f"reconciliation: {'PASS' if reconciliation['passed'] else 'FAIL'}")
    for check in reconciliation["checks"]:
        out.append(f"  {'PASS' if check['passed'] else 'FAIL'}  {check['name']}: {check['detail']}")
    out += [f"  note  {note}" for note in reconciliation.get("notes", ())]
    return out
