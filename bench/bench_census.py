"""Cost as the census grows (issue 11, goal 4): at each size, the time to seed it, the latency of
the reads a client makes most (one patient, a census page, the RCM's lookup of an EMR patient)
against `kipu-harness mocks up` over loopback, and the serving process's memory.

    python bench/bench_census.py [--sizes 1000,10000,100000] [--requests 400] [--rounds 4]
                                 [--data-root DIR] [--server-path DIR] [--seed 1]

For each size: seed a data folder in bulk (in this process, timed; a folder already seeded with
that census is reused and its seeding not timed), start `mocks up --data` on it (free ports), send
the requests through the signed client (harness/apiauth.py, the development credentials), in
interleaved rounds, and read the server's RSS (/proc/PID/status) after them. Prints the median and
p99 per request, and each size's ratio to the first (smallest) size of the same run.

    GET  /api/patients/{id}?phi_level=high&patient_master_id=...   a random patient each time
    GET  /api/patients/census?phi_level=high&page=1&per=20          the first page
    GET  /api/patients/census?phi_level=high&page=P&per=20          a random page
    GET  /rcm/patients?emr_patient_id=ID                            the RCM's lookup

``--server-path DIR`` puts DIR first on the serving process's PYTHONPATH: another checkout of
kipu_harness (one built with the package layout) against the same data, for a before/after.
On demand only, never in CI: 100,000 people take a minute or two to seed and ~1.2 GB on disk.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from kipu_harness.apiauth import DEVELOPMENT, KipuAuth
from kipu_harness.mocks import MockSuite, census
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.progress import progress_bar

READS = ("patient", "census p1", "census page", "rcm lookup")


def seeded(folder: Path, size: int, seed: int) -> float | None:
    """Seed ``folder`` with ``size`` people; seconds taken, or None when it already held them.
    Also prints the CPU seconds of this process and of the one drawing the people: on a busy
    machine the wall time says more about the others than about the seeding."""
    emr = folder / "emr.db"
    if emr.exists():
        with sqlite3.connect(emr) as db:
            (have,) = db.execute("SELECT COUNT(*) FROM records WHERE kind = 'patient'").fetchone()
        if have == size - size // 3:
            return None
        raise SystemExit(f"{folder} holds another census ({have} EMR patients): remove it or pick another --data-root")
    suite = MockSuite(make_plugin_manager(), data_dir=folder)
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    census.seed(suite, seed, size, via="bulk")
    took = time.perf_counter() - started
    print(f"{size:>7} people: seeding took {took:.1f} s, CPU {time.process_time() - cpu:.1f} s here and "
          f"{_children_cpu() - children:.1f} s drawing the people", flush=True)
    suite.close()
    return took


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Served:
    """`kipu-harness mocks up --data FOLDER` on free ports, in its own process."""

    def __init__(self, folder: Path, server_path: str | None):
        env = dict(os.environ)
        if server_path:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, (server_path, env.get("PYTHONPATH"))))
        command = [sys.executable, "-c", "from kipu_harness.cli import main; raise SystemExit(main())", "mocks", "up",
                   "--data", str(folder), *[a for s in ("crm", "emr", "rcm", "payer") for a in (f"--{s}-port", "0")],
                   "--mllp-port", "0", "--console-port", "0"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.urls: dict[str, str] = {}
        for line in self.process.stdout:
            found = re.match(r"\s+(CRM|EMR|RCM|PAYER)\s+(http://\S+)", line)
            if found:
                self.urls[found[1].lower()] = found[2]
            if line.startswith("Ctrl-C to stop"):
                break
        else:
            raise SystemExit(f"mocks up did not start: {self.process.wait()}")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def patients(folder: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(f"file:{folder / 'emr.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT id, json_extract(doc, '$.patient_master_id') FROM records"
                          " WHERE kind = 'patient' ORDER BY id").fetchall()


def measure(served: Served, people: list[tuple[int, str]], requests_each: int, rounds: int,
            rng: random.Random, advance=lambda n=1, what=None: None) -> dict[str, list[float]]:
    emr, rcm = requests.Session(), requests.Session()
    emr.auth = KipuAuth(DEVELOPMENT)
    base, rcm_base = served.urls["emr"], served.urls["rcm"]
    pages = max(1, len(people) // 20)
    times: dict[str, list[float]] = {name: [] for name in READS}

    def one(name: str) -> None:
        pid, master = rng.choice(people)
        if name == "patient":
            session, url = emr, f"{base}/api/patients/{pid}?phi_level=high&patient_master_id={master}"
        elif name == "census p1":
            session, url = emr, f"{base}/api/patients/census?phi_level=high&page=1&per=20"
        elif name == "census page":
            session, url = emr, f"{base}/api/patients/census?phi_level=high&page={rng.randint(1, pages)}&per=20"
        else:
            session, url = rcm, f"{rcm_base}/rcm/patients?emr_patient_id={pid}"
        started = time.perf_counter()
        answer = session.get(url, timeout=300)
        times[name].append(time.perf_counter() - started)
        advance()
        if answer.status_code != 200:
            raise SystemExit(f"{url}: HTTP {answer.status_code} {answer.text[:200]}")

    for name in READS:  # warm up: the first request of a kind loads what it needs
        one(name)
    for name in READS:
        times[name].clear()
    for _ in range(rounds):
        for name in READS:
            for _ in range(max(1, requests_each // rounds)):
                one(name)
    return times


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated census sizes (people)")
    parser.add_argument("--requests", type=int, default=400, help="requests of each kind per size")
    parser.add_argument("--rounds", type=int, default=4, help="rounds the requests are interleaved in")
    parser.add_argument("--data-root", help="where the seeded folders are kept (default: a temporary folder)")
    parser.add_argument("--server-path", help="prepend to the serving process's PYTHONPATH (another checkout)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    root = Path(args.data_root or tempfile.mkdtemp(prefix="bench-census-"))
    rng = random.Random(args.seed)
    rows = []
    for size in sizes:
        folder = root / f"census-{size}"
        seconds = seeded(folder, size, args.seed)
        people = patients(folder)
        served = Served(folder, args.server_path)
        try:
            rss_idle = served.rss_mb()
            reads = len(READS) * (1 + args.rounds * max(1, args.requests // args.rounds))  # with the warm-up
            with progress_bar(reads, f"{size} people: reads") as advance:  # on stderr, on a terminal
                times = measure(served, people, args.requests, args.rounds, rng, advance)
            rss = served.rss_mb()
        finally:
            served.stop()
        disk = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        rows.append((size, seconds, times, rss_idle, rss, disk))
        print(f"{size:>7} people: seeded in {'(reused)' if seconds is None else f'{seconds:.1f} s'}, "
              f"RSS {rss_idle:.0f} MB idle, {rss:.0f} MB after the reads, {disk:.0f} MB on disk", flush=True)
    first = rows[0][2]
    print(f"\n{'people':>7} {'seed s':>7}  " + "  ".join(f"{n + ' p50/p99 ms':>26}" for n in READS) + "  RSS MB")
    for size, seconds, times, _, rss, _ in rows:
        cells = []
        for name in READS:
            med, ratio = statistics.median(times[name]), statistics.median(times[name]) / statistics.median(first[name])
            cells.append(f"{med * 1e3:8.2f} /{p99(times[name]) * 1e3:8.2f} ({ratio:5.2f}x)")
        print(f"{size:>7} {'-' if seconds is None else f'{seconds:.1f}':>7}  " + "  ".join(f"{c:>26}" for c in cells)
              + f"  {rss:6.0f}")
    if len(rows) > 1:
        (small, *_, rss_small, _), (large, *_, rss_large, disk_large) = rows[0], rows[-1]
        per = (rss_large - rss_small) / (large - small) * 10_000
        print(f"\nRSS per 10,000 people (between {small:,} and {large:,}): {per:.1f} MB;"
              f" on disk: {disk_large / large * 10_000:.0f} MB per 10,000")


if __name__ == "__main__":
    main()
