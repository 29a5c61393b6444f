"""How fast the mocks take a patient from creation to Admitted in the RCM, in-process and over
loopback (waitress HTTP + MLLP), through the same clients the conformance suite uses.

    python bench/bench_admission.py [--patients 200] [--runs 5]

One admission = create the EMR patient (A04 to the RCM), add a diagnosis, generate the MR
Number (A01 over MLLP to the RCM, applied, acknowledged). Prints medians over runs and the
ratio loopback / in-process, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.synthetic import demographics, faker_for
from kipu_harness.target import TargetOptions, collect_targets


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
    args = parser.parse_args()
    fake = faker_for(42)
    people = [demographics(fake) for _ in range(args.patients)]
    pm = make_plugin_manager()
    specs = collect_targets(pm)
    timings: dict[str, list[float]] = {"inprocess": [], "local": []}
    targets = {name: specs[name].factory(TargetOptions(name=name, pm=pm)) for name in timings}
    try:
        admit_batch(targets["inprocess"], people[:5])  # warm-up: ICD-10 tables, hl7apy
        for _ in range(args.runs):
            for name, target in targets.items():  # interleaved, so both see the same machine
                target.reset()
                timings[name].append(admit_batch(target, people))
    finally:
        for target in targets.values():
            target.close()
    print(f"kipu-harness admission bench: {args.patients} admissions x {args.runs} runs")
    print(f"{'target':<10}{'median s':>10}{'min s':>9}{'max s':>9}{'admissions/s':>14}{'ms/admission':>14}")
    medians = {}
    for name, values in timings.items():
        medians[name] = statistics.median(values)
        print(f"{name:<10}{medians[name]:>10.3f}{min(values):>9.3f}{max(values):>9.3f}"
              f"{args.patients / medians[name]:>14.1f}{1000 * medians[name] / args.patients:>14.2f}")
    print(f"loopback / in-process (median seconds): {medians['local'] / medians['inprocess']:.2f}")


if __name__ == "__main__":
    main()
