"""What the typed route declarations (flask-openapi3 + pydantic) cost per request, in-process.

    python bench/bench_validation.py [--requests 2000] [--runs 5]

Interleaved rounds of: the framework floor (GET /_mock/health: routing, journal-free, no
input), a query-model read (GET /_mock/outbox?status=failed, which finds nothing), a path-model read
(GET /crm/prospects/1), a full create (POST /crm/prospects: body model, write, integration event,
webhook to the RCM), and the body model's validation alone (ProspectIn.model_validate). Prints
medians in microseconds per request, and the share of a create that is validation.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kipu_harness.mocks import MockSuite
from kipu_harness.mocks.crm.schemas import ProspectIn
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.progress import progress_bar

BODY = {"first_name": "Ana", "middle_name": "Maria", "last_name": "Lopez", "dob": "1990-04-02",
        "gender": "Female", "phone": "512-555-0142", "address_state": "TX", "address_zip": "78701",
        "ssn": "123-45-6789"}


def timed(action, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        action()
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    suite = MockSuite(make_plugin_manager())
    crm = suite.apps["crm"].test_client()
    crm.environ_base["HTTP_X_KIPU_MOCK_TOKEN"] = suite.guard.token  # the control routes need it
    crm.post("/crm/prospects", json=BODY)
    cases = {
        "GET /_mock/health": lambda: crm.get("/_mock/health"),
        "GET /_mock/outbox?status=": lambda: crm.get("/_mock/outbox?status=failed"),  # none: the query is the work
        "GET /crm/prospects/1": lambda: crm.get("/crm/prospects/1"),
        "POST /crm/prospects": lambda: crm.post("/crm/prospects", json=BODY),
        "ProspectIn.model_validate": lambda: ProspectIn.model_validate(BODY),
    }
    results: dict[str, list[float]] = {name: [] for name in cases}
    for action in cases.values():
        timed(action, 50)  # warm-up
    with progress_bar(args.runs * len(cases), "runs") as advance:  # on stderr, on a terminal
        for run in range(1, args.runs + 1):
            for name, action in cases.items():  # interleaved: every case sees the same machine
                advance(0, f"run {run}/{args.runs}: {name}")
                n = args.requests if not name.startswith("POST") else args.requests // 20
                results[name].append(timed(action, n))
                advance()
    print(f"kipu-harness validation bench: {args.requests} requests x {args.runs} runs (µs per request, median)")
    medians = {name: statistics.median(values) for name, values in results.items()}
    for name, value in medians.items():
        print(f"  {name:<28}{value:>10.1f}")
    share = medians["ProspectIn.model_validate"] / medians["POST /crm/prospects"]
    print(f"validation / create: {share:.1%}; query-model read / floor: "
          f"{medians['GET /_mock/outbox?status='] / medians['GET /_mock/health']:.2f}")
    suite.close()


if __name__ == "__main__":
    main()
