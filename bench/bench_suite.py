"""How long the conformance suite takes: `kipu-harness run` in-process (the default target) and
over loopback (`--target local`), with the pytest start-up floor measured in the same run.

    python bench/bench_suite.py [--rounds 3]

Each round runs, one after the other (interleaved, so every row sees the same machine):

- ``floor``: `kipu-harness run -k <matches nothing>`: interpreter, plugins, collection of every
  scenario, no scenario run (what any run pays before its first scenario);
- ``inprocess``: `kipu-harness run` (every scenario, Flask test clients, in-memory SQLite);
- ``local``: `kipu-harness run --target local` (waitress on loopback, MLLP, SQLite files).

Each is a fresh process, as a user starts it. Prints the median, min and max wall seconds, the
median CPU seconds of the process (user + system: what other load on the machine cannot
inflate much), the scenarios passed, and the ratios local / in-process and floor / in-process.
A run that fails a scenario stops the bench (its output is printed). Reports go to a temporary
folder. Runs on demand, never in CI.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kipu_harness.progress import progress_bar

NOTHING = "no_scenario_is_named_like_this"  # `-k nothing` would match five scenarios' names
ROWS = {
    "floor": ["-k", NOTHING],
    "inprocess": [],
    "local": ["--target", "local"],
}


def harness_command() -> list[str]:
    script = Path(sys.executable).with_name("kipu-harness")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from kipu_harness.cli import main; sys.exit(main())"]


def run_once(name: str, reports: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, scenarios passed) of one fresh `kipu-harness run`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(harness_command() + ["run", "--reports", str(reports / name)] + ROWS[name],
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    expected = 5 if name == "floor" else 0  # pytest's "no tests ran"
    if done.returncode != expected:
        sys.exit(f"bench_suite: {name} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    passed = re.search(r"(\d+) passed", done.stdout)
    return wall, cpu, int(passed.group(1)) if passed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args()
    reports = Path(tempfile.mkdtemp(prefix="bench-suite-"))
    walls: dict[str, list[float]] = {name: [] for name in ROWS}
    cpus: dict[str, list[float]] = {name: [] for name in ROWS}
    passed: dict[str, int] = {}
    try:
        with progress_bar(args.rounds * len(ROWS), "runs") as advance:  # on stderr, on a terminal
            for number in range(1, args.rounds + 1):
                for name in ROWS:
                    advance(0, f"round {number}/{args.rounds}: {name}")
                    wall, cpu, passed[name] = run_once(name, reports)
                    walls[name].append(wall)
                    cpus[name].append(cpu)
                    print(f"round {number}: {name:<10} {wall:7.2f} s wall {cpu:7.2f} s CPU", file=sys.stderr,
                          flush=True)
                    advance()
    finally:
        shutil.rmtree(reports, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"kipu-harness suite bench: {args.rounds} interleaved rounds, {os.cpu_count()} cores, "
          f"load average {load:.2f} at the end")
    print(f"{'row':<10}{'median s':>10}{'min s':>8}{'max s':>8}{'CPU s':>8}{'scenarios':>11}")
    medians = {}
    for name in ROWS:
        medians[name] = statistics.median(walls[name])
        print(f"{name:<10}{medians[name]:>10.2f}{min(walls[name]):>8.2f}{max(walls[name]):>8.2f}"
              f"{statistics.median(cpus[name]):>8.2f}{passed[name]:>11}")
    print(f"local / in-process (median wall): {medians['local'] / medians['inprocess']:.2f}")
    print(f"floor / in-process (median wall): {medians['floor'] / medians['inprocess']:.2f}; "
          f"scenarios alone: {medians['inprocess'] - medians['floor']:.2f} s in-process, "
          f"{medians['local'] - medians['floor']:.2f} s local")


if __name__ == "__main__":
    main()
