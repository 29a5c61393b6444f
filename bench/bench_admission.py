"""How fast the mocks take a patient from creation to Admitted in the RCM, in-process and over
loopback (waitress HTTP + MLLP), through the same clients the conformance suite uses.

    python bench/bench_admission.py [--patients 200] [--runs 5] [--served]

One admission = create the EMR patient (A04 to the RCM), add a diagnosis, generate the MR
Number (A01 over MLLP to the RCM, applied, acknowledged). Rows: ``inprocess`` (the apps called
directly) and ``local`` (served on loopback in this process, as the conformance suite's local
target does); with ``--served`` also ``mocks up`` in a process of its own (waitress) and the
same suite with its EMR served by granian (bench_http.py's factory; granian in the venv), which
the client reaches over loopback without sharing their GIL. Prints medians over interleaved
runs and each row's ratio to in-process, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kipu_harness.apiauth import DEVELOPMENT
from kipu_harness.clients import EmrClient
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.progress import progress_bar
from kipu_harness.synthetic import demographics, faker_for
from kipu_harness.target import TargetOptions, collect_targets
from kipu_harness.transport import HttpTransport


class Served:
    """The mocks in a process of their own (bench_http.Mocks), as a target with only an EMR."""

    def __init__(self, server: str):
        from bench_http import Mocks  # beside this file

        self.mocks = Mocks(server, signed=True)
        self.emr = EmrClient(HttpTransport(self.mocks.urls["emr"], credential=DEVELOPMENT))

    def reset(self) -> None:
        pass  # each run's people are new patients; the lookups stay flat as they add up

    def close(self) -> None:
        self.mocks.stop()


def admit_batch(target, people) -> float:
    started = time.perf_counter()
    for person in people:
        patient = target.emr.add_diagnosis(target.emr.create_patient(**person), "F10.20")
        target.emr.action(patient, "mr_number")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--served", action="store_true",
                        help="also mocks up (waitress) and granian, each in a process of its own")
    args = parser.parse_args()
    fake = faker_for(42)
    people = [demographics(fake) for _ in range(args.patients)]
    pm = make_plugin_manager()
    specs = collect_targets(pm)
    targets = {name: specs[name].factory(TargetOptions(name=name, pm=pm)) for name in ("inprocess", "local")}
    if args.served:
        targets["mocks up"] = Served("waitress")
        targets["granian"] = Served("granian")
    timings: dict[str, list[float]] = {name: [] for name in targets}
    try:
        with progress_bar(args.runs * len(targets), "warm-up") as advance:  # on stderr, on a terminal
            for target in targets.values():
                admit_batch(target, people[:5])  # warm-up: ICD-10 tables, hl7apy
            for run in range(1, args.runs + 1):
                for name, target in targets.items():  # interleaved, so both see the same machine
                    advance(0, f"run {run}/{args.runs}: {args.patients} admissions, {name}")
                    target.reset()
                    timings[name].append(admit_batch(target, people))
                    advance()
    finally:
        for target in targets.values():
            target.close()
    print(f"kipu-harness admission bench: {args.patients} admissions x {args.runs} runs")
    print(f"{'target':<10}{'median s':>10}{'min s':>9}{'max s':>9}{'admissions/s':>14}{'ms/admission':>14}"
          f"{'x in-process':>14}")
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, values in timings.items():
        print(f"{name:<10}{medians[name]:>10.3f}{min(values):>9.3f}{max(values):>9.3f}"
              f"{args.patients / medians[name]:>14.1f}{1000 * medians[name] / args.patients:>14.2f}"
              f"{medians[name] / medians['inprocess']:>14.2f}")


if __name__ == "__main__":
    main()
