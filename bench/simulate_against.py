"""``bench_simulate.py --against REF``: this checkout's simulation against another commit's, side by side.

A machine shared with other work changes speed by a third from one minute to the next, which
buries a 10% change in sequential rounds. Here each round runs both versions at the same time, one
per core (swapped every round), so whatever slows the machine slows both, and the figure is the
per-round ratio of their wall times. REF is installed from ``git archive`` into a temporary folder
(``pip install --no-deps --target``) and imported first through PYTHONPATH; each side is a fresh
process that warms up with one simulated day, then runs the measured days.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def install(ref: str, into: Path) -> Path:
    """REF's package, installed into ``into/site``: its own pyproject decides what is in it."""
    source, site = into / "src", into / "site"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(source)], check=True, stdout=subprocess.DEVNULL)
    return site


def child(days: int, seed: int, workload_path: str | None) -> None:
    """One side of a round (run in its own process): a warm-up day, then ``days``; one JSON line."""
    import kipu_harness
    from kipu_harness.simulation import engine, workload

    chosen = workload.load(workload_path)
    for length in (1, days):
        target = engine.build_target()
        try:
            result = engine.simulate(target, chosen, seed=seed, days=length)
        finally:
            target.close()
    print(json.dumps({"wall": result["duration_s"], "patient_days": result["patient_days"],
                      "reconciled": result["reconciliation"]["passed"], "package": kipu_harness.__file__}))


def _start(site: Path | None, core: int | None, args: list[str]) -> subprocess.Popen:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = str(site)  # ahead of this checkout's editable install
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None and hasattr(os, "sched_setaffinity") \
        and os.cpu_count() > 1 else None
    return subprocess.Popen([sys.executable, __file__, *args], env=env, stdout=subprocess.PIPE, text=True,
                            preexec_fn=pin)


def _finish(name: str, process: subprocess.Popen, site: Path) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"bench_simulate --against: the {name} side failed (exit {process.returncode})")
    answer = json.loads(out.strip().splitlines()[-1])
    if not answer["reconciled"]:
        raise SystemExit(f"bench_simulate --against: the {name} side did not reconcile")
    if (name == "ref") != answer["package"].startswith(str(site)):
        raise SystemExit(f"bench_simulate --against: the {name} side imported {answer['package']}")
    return answer


def compare(ref: str, rounds: int, days: int, seed: int, workload_path: str | None, together: bool = True) -> None:
    """Side by side, one core each (``together``), or one after the other with every core each
    (for a change that uses the second core), the first side alternating."""
    args = ["--child", str(days), str(seed)] + ([workload_path] if workload_path else [])
    walls: dict[str, list[float]] = {"ref": [], "this": []}
    with tempfile.TemporaryDirectory(prefix="kipu-bench-") as tmp:
        site = install(ref, Path(tmp))
        for number in range(rounds):
            if together:
                sides = {"ref": _start(site, number % 2, args), "this": _start(None, 1 - number % 2, args)}
                for name, process in sides.items():
                    answer = _finish(name, process, site)
                    walls[name].append(answer["wall"])
            else:
                for name in (("ref", "this") if number % 2 == 0 else ("this", "ref")):
                    answer = _finish(name, _start(site if name == "ref" else None, None, args), site)
                    walls[name].append(answer["wall"])
            print(f"round {number + 1}/{rounds}: {ref} {walls['ref'][-1]:.2f} s, this checkout "
                  f"{walls['this'][-1]:.2f} s, ratio {walls['this'][-1] / walls['ref'][-1]:.3f}", flush=True)
    ratios = [t / r for r, t in zip(walls["ref"], walls["this"])]
    pd = answer["patient_days"]
    how = "side by side (one core each)" if together else "one after the other (every core each)"
    print(f"{days} days, {pd:,} patient-days, {rounds} rounds {how}: "
          f"{ref} median {statistics.median(walls['ref']):.2f} s ({pd / statistics.median(walls['ref']):.1f} pd/s), "
          f"this checkout {statistics.median(walls['this']):.2f} s ({pd / statistics.median(walls['this']):.1f} pd/s); "
          f"time ratio this/{ref}: median {statistics.median(ratios):.3f} (each round: "
          f"{', '.join(f'{r:.3f}' for r in ratios)})")


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    child(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
