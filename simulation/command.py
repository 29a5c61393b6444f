"""``kipu-harness simulate``: run a facility through the integration for N days, print a summary and
write ``reports/simulation/simulation.json``. Exit 0 when the systems reconcile, 1 when they do not,
2 for bad input (one line)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _days(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 1 <= number <= 3650:
        raise argparse.ArgumentTypeError(f"{number}: expected 1 to 3650 days")
    return number


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "simulate", help="simulate a facility through the CRM, EMR, RCM and payer, day by day, and reconcile them",
        description="Simulate a facility day by day through the overview's workflow (prospects, admissions, "
                    "insurance and eligibility, U/R, attendance, charges through the Billing Audit Tool, claims "
                    "with their 999 and 277CA, discharges), with the systems' clock pinned to each day; then "
                    "reconcile the systems. Writes DIR/simulation/simulation.json. Exit code 1 when the systems "
                    "do not reconcile.")
    parser.add_argument("--days", type=_days, default=30, help="simulated days (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random draw (default 1): same seed and "
                                                            "workload, same facility and numbers")
    parser.add_argument("--workload", metavar="FILE", help="TOML workload: the keys it names over the default "
                                                           "(see the README, Simulate a facility)")
    parser.add_argument("--profile", metavar="FILE", help="simulate against a profile's systems (all mocked: "
                                                          "the clock is pinned) instead of the embedded mocks")
    parser.add_argument("--reports", default="reports", metavar="DIR", help="where the JSON goes (default ./reports)")


def simulate(args: argparse.Namespace) -> int:
    from kipu_harness.progress import progress_bar

    from . import engine, page, results, summary, workload

    chosen = workload.load(args.workload)  # a wrong key or value: one line, before anything starts
    target = engine.build_target(args.profile)
    try:
        engine.needs_clock(target)
        with progress_bar(args.days, "simulating") as advance:
            result = engine.simulate(target, chosen, seed=args.seed, days=args.days, advance=advance)
    finally:
        target.close()
    path = results.write(result, Path(args.reports))
    shown = page.write_html(result, path.parent)  # the charts, from the JSON alone
    print("\n".join(summary.lines(result)))
    print(f"results: {path}, {shown.name} (open it in a browser)")
    return 0 if result["reconciliation"]["passed"] else 1
