"""How many simulated patient-days a second `kipu-harness simulate` runs on the embedded mocks.

    python bench/bench_simulate.py [--days 30] [--rounds 3] [--seed 1] [--workload FILE] [--profile OUT]

Each round builds fresh in-process mocks and simulates ``--days`` days of the workload (the default
60-bed facility unless ``--workload``), the same seed every round, so every round does the same work
(the same patient-days, the same claims). A warm-up round of one day first pays what a process pays
once (pyx12's maps, the ICD-10 table). Prints, per round and as medians: the patient-days, the wall
seconds of the simulation (setup, days and close, reconciliation), patient-days per wall second and
per CPU second of this process and the clearinghouse's validation worker (user + system: what other
load on the machine inflates least), and
the driver operations that took the most wall time. ``--profile OUT`` also writes a cProfile of one
more round to OUT (``python -m pstats OUT``). ``--against REF`` instead runs this checkout and git
commit REF side by side, one core each, and prints their time ratio per round (simulate_against.py):
the figure to trust for a change on a machine shared with other work; ``--sequential`` runs the two
one after the other instead, with every core each, for a change that uses the second core (the
clearinghouse's validation). Runs on demand, never in CI.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import statistics

from kipu_harness.progress import progress_bar
from kipu_harness.wire.x12.claims import batch
from kipu_harness.simulation import engine, workload


def cpu() -> float:
    """CPU seconds of this process and of the clearinghouse's validation worker (batch.py), if it runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + _worker_cpu()


def _worker_cpu() -> float:
    worker = batch._worker
    try:  # Linux: utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks
        fields = open(f"/proc/{worker.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def one_round(chosen: workload.Workload, seed: int, days: int) -> tuple[dict, float]:
    """The results of one simulation on fresh mocks, and the CPU seconds it took."""
    target = engine.build_target()
    try:
        started = cpu()
        result = engine.simulate(target, chosen, seed=seed, days=days)
        return result, cpu() - started
    finally:
        target.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workload", metavar="FILE")
    parser.add_argument("--profile", metavar="OUT", help="also write a cProfile of one more round here")
    parser.add_argument("--against", metavar="REF", help="instead: this checkout against git commit REF, side by "
                                                         "side, one core each (simulate_against.py)")
    parser.add_argument("--sequential", action="store_true", help="with --against: the two one after the other, "
                                                                    "every core each (for a change that uses two)")
    args = parser.parse_args()
    if args.against:
        from simulate_against import compare  # bench/ is on sys.path when this file runs

        return compare(args.against, args.rounds, args.days, args.seed, args.workload, together=not args.sequential)
    chosen = workload.load(args.workload)
    rows = []
    with progress_bar(args.rounds + 1, "warm-up") as advance:  # on stderr, on a terminal
        one_round(chosen, args.seed, 1)
        advance()
        for number in range(1, args.rounds + 1):
            advance(0, f"round {number}/{args.rounds}: {args.days} days")
            result, seconds = one_round(chosen, args.seed, args.days)
            if not result["reconciliation"]["passed"]:
                raise SystemExit(f"bench_simulate: round {number} did not reconcile")
            rows.append((result, seconds))
            advance()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(one_round, chosen, args.seed, args.days)
        profiler.dump_stats(args.profile)
    days = rows[0][0]["patient_days"]
    print(f"kipu-harness simulate bench: {args.days} days of workload {chosen.source} (seed {args.seed}), "
          f"{days:,} patient-days, {rows[0][0]['claims']['submitted']} claims, {args.rounds} rounds")
    print(f"{'round':<7}{'wall s':>8}{'setup':>8}{'days':>8}{'recon':>8}{'CPU s':>8}{'pd/s wall':>11}{'pd/s CPU':>10}")
    for number, (result, seconds) in enumerate(rows, 1):
        t = result["timings_s"]
        print(f"{number:<7}{result['duration_s']:>8.2f}{t['setup_s']:>8.2f}{t['days_s']:>8.2f}"
              f"{t['reconciliation_s']:>8.2f}{seconds:>8.2f}{days / result['duration_s']:>11.1f}{days / seconds:>10.1f}")
    wall = statistics.median(r["duration_s"] for r, _ in rows)
    spent = statistics.median(s for _, s in rows)
    print(f"{'median':<7}{wall:>8.2f}{'':>24}{spent:>8.2f}{days / wall:>11.1f}{days / spent:>10.1f}")
    totals: dict[str, float] = {}
    for result, _ in rows:
        for operation, spread in result["latency_ms"].items():
            totals[operation] = totals.get(operation, 0.0) + spread["total"] / len(rows)
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:6]
    print("wall s per round, by driver operation: " + ", ".join(f"{op} {ms / 1000:.2f}" for op, ms in top))


if __name__ == "__main__":
    main()
