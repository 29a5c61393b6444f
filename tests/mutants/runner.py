"""Run every mutant against only the scenarios of its rule, and say which ones survive.

A fork server. A fresh pytest process costs about 7 s before its first scenario (imports, the
ICD-10-CM tables, collecting the scenarios of 10 feature files): one per mutant would be minutes
of start-up alone. So this process imports everything once, loads the ICD-10 tables and collects
the suite once (to know which scenarios each requirement has), then ``os.fork()``s one child per
job, ``--jobs`` at a time. The child inherits the warm interpreter, applies its mutant (a
monkeypatch, never undone: the child exits), and runs ``pytest.main`` on the scenarios tagged
with the mutant's requirements (``--kipu-requirement``), on the in-process target. It stops as
soon as every requirement it breaks has a failed scenario. A mutant is killed when every
requirement it breaks has the verdict "failed": at least one of its scenarios failed.

A kill counts only if the scenario that failed passes with nothing broken: once the mutants are
done, a baseline runs exactly the scenarios that killed them, unbroken.

    python tests/mutants                 # every mutant, 2 at a time
    python tests/mutants --list          # the table: mutant, requirements, what it breaks
    python tests/mutants --only "NAME" --keep /tmp/m   # one mutant; its output is kept
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import all_mutants
from .kit import Mutant, wrap

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FAMILIES = ("SYS", "WF", "PAT", "INS", "AUTH", "BAT", "PROC", "SET")
JOB_TIMEOUT = 300  # seconds; a child still running then is killed (SIGALRM) and reported


def family(rid: str) -> str:
    return rid.split("-")[0]


@dataclass
class Job:
    name: str
    requirements: tuple[str, ...]
    mutant: Mutant | None
    weight: int  # scenarios it may run: the longest jobs start first
    folder: Path
    only: frozenset[str] | None = None  # a baseline runs just these scenarios (node ids)
    modules: tuple[str, ...] = ()  # the test modules that hold them: the child collects only these
    seconds: float = 0.0
    cpu: float = 0.0  # the child's user + system time: what the job costs, whatever else the machine runs
    exit_code: int | None = None
    rows: list[dict] = field(default_factory=list)  # each scenario that ran: name, nodeid, requirements, outcome

    def pytest_args(self) -> list[str]:
        # --tb=line and no unraisable-exception plugin: its gc passes and long tracebacks cost more
        # than a one-scenario run; the verdict needs only each scenario's outcome.
        args = [*(self.modules or [str(SCENARIOS)]), "-q", "--tb=line", "-p", "no:cacheprovider", "-p", "no:unraisableexception",
                "--strict-markers", f"--rootdir={SCENARIOS}", "--target", "inprocess"]
        for rid in self.requirements:
            args += ["--kipu-requirement", rid]
        return args + list(self.mutant.options if self.mutant else ())

    def scenarios(self, rid: str) -> list[dict]:
        return [row for row in self.rows if rid in row["requirements"]]

    def outcome(self, rid: str) -> str:
        """The harness's verdict rule: failed if any scenario failed, passed if all passed."""
        outcomes = {row["outcome"] for row in self.scenarios(rid)}
        return ("failed" if "failed" in outcomes else "passed" if outcomes == {"passed"}
                else "skipped" if outcomes else "not run")

    def killed(self) -> bool:
        return bool(self.rows) and all(self.outcome(rid) == "failed" for rid in self.requirements)


def _requirement_ids(item) -> set[str]:
    ids = {m.args[0] for m in item.iter_markers("requirement")}
    return ids | {m.name.removeprefix("REQ-") for m in item.iter_markers() if m.name.startswith("REQ-")}


class Outcomes:
    """A pytest plugin for the child: keeps only the job's scenarios (a baseline's node ids), records
    each one's outcome (the worst of its phases), and stops a mutant's run once it is killed."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.rows: dict[str, dict] = {}

    def pytest_collection_modifyitems(self, config, items):
        if self.job.only is not None:
            dropped = [item for item in items if item.nodeid not in self.job.only]
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item.nodeid in self.job.only]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if report.when == "call" or report.outcome != "passed":
            row = self.rows.setdefault(item.nodeid, {"name": item.name, "nodeid": item.nodeid, "outcome": "passed",
                                                     "requirements": sorted(_requirement_ids(item))})
            if row["outcome"] == "passed":
                row["outcome"] = report.outcome
        if report.when == "teardown" and self.job.mutant is not None:
            self.job.rows = list(self.rows.values())
            if self.job.killed():
                item.session.shouldstop = "killed: every requirement of the mutant has a failed scenario"
        return report


# -- warming up: everything a child would otherwise import, load and collect ----------------------

def warm_up() -> dict[str, list[str]]:
    """Import and collect once in this process; returns each requirement's scenarios (node ids)."""
    from kipu_harness.mocks.emr.diagnoses import icd10_billable

    icd10_billable("F10.20")  # the ICD-10-CM table, kept for every child
    from kipu_harness.wire.x12.claims.ack999 import load_maps

    load_maps()  # pyx12's 837 maps (1 to 3 s), parsed once rather than in each child that sends a claim
    _parse_features_once()
    scenarios: dict[str, list[str]] = {}

    class Count:
        @pytest.hookimpl(trylast=True)
        def pytest_collection_modifyitems(self, items):
            for item in items:
                for rid in _requirement_ids(item):
                    scenarios.setdefault(rid, []).append(item.nodeid)

    with _silenced():
        code = pytest.main([str(SCENARIOS), "--collect-only", "-q", "-p", "no:cacheprovider",
                            f"--rootdir={SCENARIOS}"], plugins=[Count()])
    if code != 0:
        raise SystemExit(f"collecting the scenarios failed (exit {code}); run "
                         f"pytest {SCENARIOS} --collect-only to see why")
    gc.collect()
    gc.freeze()  # what is loaded now stays out of every child's garbage collections (and its pages shared)
    return scenarios


def modules(nodeids) -> tuple[str, ...]:
    return tuple(sorted({str(SCENARIOS / nodeid.split("::")[0]) for nodeid in nodeids}))


def _parse_features_once() -> None:
    """Every run of the harness's plugin parses all feature files for its traceability check; they
    do not change during this one, so each child reuses the warm-up's parse."""
    from kipu_harness import catalogue

    parse = getattr(catalogue, "scenarios_in_features", None)
    if parse is None:
        return
    parsed: dict[str, list] = {}

    def once(original, directory):
        if str(directory) not in parsed:
            parsed[str(directory)] = original(directory)
        return list(parsed[str(directory)])

    wrap(parse, once)


@contextlib.contextmanager
def _silenced():
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


# -- the fork server ---------------------------------------------------------------------------------

def _child(job: Job) -> None:
    """In the forked child: output to the job's file, apply the mutant, run pytest, exit."""
    fd = os.open(job.folder / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    signal.alarm(JOB_TIMEOUT)
    code = 99
    outcomes = Outcomes(job)
    try:
        if job.mutant is not None:
            job.mutant.apply()
        code = int(pytest.main(job.pytest_args(), plugins=[outcomes]))
    except BaseException:  # noqa: BLE001 - whatever happens, the child must exit here
        traceback.print_exc()
    (job.folder / "outcomes.json").write_text(json.dumps(list(outcomes.rows.values()), indent=1))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_jobs(jobs: list[Job], parallel: int, progress) -> None:
    pending = sorted(jobs, key=lambda j: -j.weight)  # longest first packs the slots best
    running: dict[int, tuple[Job, float]] = {}
    while pending or running:
        while pending and len(running) < parallel:
            job = pending.pop(0)
            job.folder.mkdir(parents=True, exist_ok=True)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(job)
            running[pid] = (job, time.monotonic())
        pid, status, usage = os.wait4(-1, 0)
        job, started = running.pop(pid)
        job.seconds = time.monotonic() - started
        job.cpu = usage.ru_utime + usage.ru_stime
        job.exit_code = os.waitstatus_to_exitcode(status)
        report = job.folder / "outcomes.json"
        job.rows = json.loads(report.read_text()) if report.exists() else []
        progress(job)


def baseline_jobs(killers: set[str], weights: dict[str, int], parallel: int, folder: Path) -> list[Job]:
    """The scenarios that killed a mutant, unbroken, in ``parallel`` jobs of about equal weight."""
    chunks: list[list[str]] = [[] for _ in range(max(1, min(parallel, len(killers))))]
    for nodeid in sorted(killers, key=lambda n: -weights.get(n, 1)):
        min(chunks, key=lambda c: sum(weights.get(n, 1) for n in c)).append(nodeid)
    return [Job(f"baseline {n + 1}", (), None, len(chunk), folder / f"baseline-{n + 1}", only=frozenset(chunk),
                modules=modules(chunk)) for n, chunk in enumerate(chunks) if chunk]


# -- verdicts ------------------------------------------------------------------------------------------

def verdict(job: Job, unbroken: dict[str, str]) -> str:
    """killed, survived, or why the run says nothing (an error, a timeout, a kill that is no kill)."""
    if job.exit_code == -signal.SIGALRM:
        return f"error: still running after {JOB_TIMEOUT} s"
    if not job.rows:
        return f"error: no scenario ran (exit {job.exit_code}); see {job.folder / 'output.txt'}"
    output = job.folder / "output.txt"
    if "MutantOutOfDate" in (output.read_text(errors="replace") if output.exists() else ""):
        return f"error: the mutant no longer fits the code it wraps (MutantOutOfDate); see {output}"
    if not job.killed():
        return "survived"
    invalid = [rid for rid in job.requirements
               if not any(unbroken.get(row["nodeid"]) == "passed"
                          for row in job.scenarios(rid) if row["outcome"] == "failed")]
    if invalid:
        return f"invalid: the scenarios of {', '.join(invalid)} that failed fail unbroken too"
    return "killed"


def describe(job: Job) -> str:
    ran = "; ".join(f"{rid} {job.outcome(rid)}: "
                    + (", ".join(f"{row['name']} ({row['outcome']})" for row in job.scenarios(rid)) or "no scenario ran")
                    for rid in job.requirements)
    return f"{job.name} [{', '.join(job.requirements)}]: {ran}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="children at a time (default 2)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this mutant (repeatable)")
    parser.add_argument("--requirement", action="append", default=[], metavar="ID",
                        help="run only the mutants of this requirement (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the table of mutants and exit")
    parser.add_argument("--json", metavar="FILE", help="write every verdict, with the scenarios run, to FILE")
    parser.add_argument("--keep", metavar="DIR", help="keep each job's output in DIR (default: a temporary folder)")
    args = parser.parse_args(argv)

    mutants = all_mutants()
    if args.only:
        unknown = sorted(set(args.only) - {m.name for m in mutants})
        if unknown:
            parser.error(f"no mutant named {', '.join(unknown)}")
        mutants = [m for m in mutants if m.name in args.only]
    if args.requirement:
        mutants = [m for m in mutants if set(m.requirements) & set(args.requirement)]
    if args.list:
        for m in mutants:
            print(f"{m.name:<60} {', '.join(m.requirements):<16} {m.breaks}")
        return 0

    # The mocks check each answer against its OpenAPI model when the tests ask (tests/conftest.py):
    # a conformance run does not, and a kill must come from a scenario, not from that check.
    os.environ.pop("KIPU_VALIDATE_RESPONSES", None)
    started = time.monotonic()
    scenarios = warm_up()
    warm = time.monotonic() - started
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kipu-mutants-"))
    jobs = [Job(m.name, m.requirements, m, sum(len(scenarios.get(r, ())) for r in m.requirements),
                folder / f"m{n:03d}", modules=modules(node for r in m.requirements for node in scenarios.get(r, ())))
            for n, m in enumerate(mutants)]
    print(f"warm-up (imports, ICD-10-CM, collection): {warm:.1f} s; {len(jobs)} mutants, {args.jobs} at a time; "
          f"output in {folder}", flush=True)

    def progress(job: Job) -> None:
        print("b" if job.mutant is None else "." if job.killed() else "S", end="", flush=True)

    run_jobs(jobs, args.jobs, progress)
    killers = {row["nodeid"]: 1 for job in jobs if job.killed() for row in job.rows if row["outcome"] == "failed"}
    baselines = baseline_jobs(set(killers), {}, args.jobs, folder)
    run_jobs(baselines, args.jobs, progress)
    print()
    unbroken = {row["nodeid"]: row["outcome"] for b in baselines for row in b.rows}
    results = [(job, verdict(job, unbroken)) for job in jobs]
    for job, said in results:
        if said != "killed":
            print(f"{said.split(':')[0].upper()}: {describe(job)}" + (f" -- {said}" if ":" in said else ""))
    tally: dict[str, list[int]] = {}
    for job, said in results:
        counted = tally.setdefault(family(job.requirements[0]), [0, 0])
        counted[0] += said == "killed"
        counted[1] += 1
    killed = sum(k for k, _ in tally.values())
    print(f"killed {killed} of {len(results)} mutants ("
          + ", ".join(f"{fam} {tally[fam][0]}/{tally[fam][1]}" for fam in FAMILIES if fam in tally)
          + f"); {len(unbroken)} killing scenarios pass unbroken")
    cpu = sum(job.cpu for job in jobs + baselines)
    print(f"{time.monotonic() - started:.0f} s: warm-up {warm:.0f} s, then {len(jobs) + len(baselines)} children "
          f"using {cpu:.0f} s of CPU ({sum(j.cpu for j in jobs) / max(1, len(jobs)):.1f} s a mutant)")
    if args.json:
        Path(args.json).write_text(json.dumps([{
            "name": job.name, "requirements": list(job.requirements), "breaks": job.mutant.breaks, "verdict": said,
            "seconds": round(job.seconds, 1), "cpu": round(job.cpu, 1), "scenarios": job.rows, "output": str(job.folder / "output.txt"),
        } for job, said in results], indent=2) + "\n")
    return 0 if killed == len(results) else 1
