"""What running the conformance suite in pytest-xdist workers (`kipu-harness run -n N`) gains here.

    python bench/bench_parallel.py [--rounds 3] [--targets inprocess,mocks,slow] [--workers 1,2,4]

For each target, `kipu-harness run` in one process, then with `-n 2` and `-n 4` (``--workers``;
1 is no -n), interleaved round after round so every row sees the same machine:

- ``inprocess``: the default target (Flask test clients, in-memory SQLite, each worker its own);
- ``mocks``: `--profile` of a fresh `kipu-harness mocks up --memory` on free ports (its profile as
  written: mocked systems; the workers share them, so reset and clock are withdrawn under -n);
- ``slow``: the same mocks with every system marked not mocked and ``settle = 0.5``: a deployment
  whose negative checks must watch for half a second, where waiting dominates, not CPU.

Every run of a profile target gets mocks of its own, started before the clock starts and stopped
after it stops. Prints per row the median, min and max wall seconds, the median CPU seconds of the
run (its workers included; the mocks' own CPU is not), and the scenarios passed and skipped; then
the speed-up of each -n over one process. A run that fails a scenario stops the bench. Runs on
demand, never in CI.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

from bench_suite import harness_command

from kipu_harness.apiauth import DEVELOPMENT

SECRET_ENV = "BENCH_EMR_SECRET"


@contextmanager
def mocks_up(folder: Path, slow: bool):
    """A fresh `mocks up --memory` on free ports; the profile a run uses (slow: not mocked, settle 0.5)."""
    profile = folder / "mocks.toml"
    process = subprocess.Popen(
        harness_command() + ["mocks", "up", "--memory", "--crm-port", "0", "--emr-port", "0", "--rcm-port", "0",
                             "--payer-port", "0", "--mllp-port", "0", "--console-port", "0",
                             "--profile-out", str(profile)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in process.stdout:
            if "Ctrl-C to stop" in line:
                break
        else:
            sys.exit("bench_parallel: mocks up did not start")
        if slow:
            profile = slow_profile(profile)
        yield profile
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def slow_profile(written: Path) -> Path:
    """The mocks as a deployment: every system not mocked, the EMR signed for, settle 0.5 s."""
    systems = tomllib.loads(written.read_text())["systems"]
    lines = ['name = "slow deployment"', "settle = 0.5"]
    for system, entry in systems.items():
        lines += ["", f"[systems.{system}]", f'url = "{entry["url"]}"', "mocked = false"]
        if system == "emr":
            lines += [f'access_id = "{DEVELOPMENT.access_id}"', f'app_id = "{DEVELOPMENT.app_id}"',
                      f'secret_env = "{SECRET_ENV}"']
        if "mllp" in entry:
            lines.append(f'mllp = "{entry["mllp"]}"')
    profile = written.with_name("slow.toml")
    profile.write_text("\n".join(lines) + "\n")
    return profile


def run_once(target: str, workers: int, folder: Path) -> tuple[float, float, int, int]:
    """(wall s, CPU s, passed, skipped) of one fresh `kipu-harness run`."""
    folder.mkdir(parents=True)
    more = ["-n", str(workers)] if workers > 1 else []
    env = {**os.environ, SECRET_ENV: DEVELOPMENT.secret}
    with mocks_up(folder, target == "slow") if target != "inprocess" else _nothing() as profile:
        where = ["--profile", str(profile)] if profile else []
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(harness_command() + ["run", "--reports", str(folder / "reports"), *where, *more],
                              capture_output=True, text=True, env=env)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"bench_parallel: {target} -n {workers} exited {done.returncode}:\n{done.stdout[-4000:]}")
    summary = [line for line in done.stdout.splitlines() if re.search(r" in [\d.]+s\b", line)][-1]
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|skipped)", summary)}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, counts.get("passed", 0), counts.get("skipped", 0)


@contextmanager
def _nothing():
    yield None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--targets", default="inprocess,mocks,slow", help="inprocess, mocks, slow (default all)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, 1 = no -n (default 1,2,4)")
    args = parser.parse_args()
    rows = [(t, int(n)) for t in args.targets.split(",") for n in args.workers.split(",")]
    results: dict[tuple[str, int], list[tuple[float, float, int, int]]] = {row: [] for row in rows}
    base = Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    try:
        for number in range(1, args.rounds + 1):
            for target, workers in rows:
                found = run_once(target, workers, base / f"{number}-{target}-{workers}")
                results[(target, workers)].append(found)
                print(f"round {number}: {target:<10} -n {workers}  {found[0]:7.2f} s wall {found[1]:7.2f} s CPU  "
                      f"{found[2]} passed {found[3]} skipped", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"kipu-harness run -n N bench: {args.rounds} interleaved rounds, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} at the end")
    print(f"{'target':<10}{'-n':>4}{'median s':>10}{'min s':>8}{'max s':>8}{'CPU s':>8}{'passed':>8}{'skipped':>9}"
          f"{'speed-up':>10}")
    for target, workers in rows:
        walls = [r[0] for r in results[(target, workers)]]
        one = statistics.median(r[0] for r in results.get((target, 1), results[(target, workers)]))
        last = results[(target, workers)][-1]
        print(f"{target:<10}{workers:>4}{statistics.median(walls):>10.2f}{min(walls):>8.2f}{max(walls):>8.2f}"
              f"{statistics.median(r[1] for r in results[(target, workers)]):>8.2f}{last[2]:>8}{last[3]:>9}"
              f"{one / statistics.median(walls):>9.2f}x")


if __name__ == "__main__":
    main()
