"""Time 837 generation against pyx12 validation of the same batch.

    python bench/bench_claims.py [--claims 1000] [--runs 5] [--seed 42]

Generates N synthetic behavioral-health claims (seeded, so every run and every machine builds
the same batch): about half residential 837I claims (revenue code 1002, H0018 per diem, one line
per day of a 1-14 day statement period) and half outpatient 837P claims (90837 individual /
90853 group psychotherapy, 1-4 lines), about a fifth of them for a dependent. Each run times
:func:`build_837` over the whole batch (one interchange per format, split at 5000 claims) and
:func:`validate_837` over the interchanges it built, then the script prints the median, minimum
and maximum seconds and claims per second of each, and the ratio generation / validation.
Every validation must pass; the script exits 1 if one does not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import platform
import random
import statistics
import sys
import time

import pyx12

from kipu_harness.wire.x12.claims import (
    MAX_CLAIMS_PER_837,
    Address,
    Claim,
    Envelope,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
    build_837,
    validate_837,
)
from kipu_harness.wire.x12.npi import npi_valid
from kipu_harness.progress import progress_bar

FIRST = ("ANA", "BEN", "CARA", "DEV", "ELLA", "FINN", "GIA", "HUGO", "IVY", "JONAH", "KAI", "LENA")
LAST = ("ALVAREZ", "BROOKS", "CHEN", "DIAZ", "EVANS", "FOSTER", "GARCIA", "HAYES", "IBARRA",
        "JONES", "KIM", "LOPEZ")
STREETS = ("MAIN ST", "OAK AVE", "PINE RD", "CEDAR LN", "ELM ST", "LAKE DR")
CITIES = (("AUSTIN", "TX", "78701"), ("DENVER", "CO", "80202"), ("PHOENIX", "AZ", "85004"),
          ("NASHVILLE", "TN", "37203"))
PAYERS = (("ACME HEALTH", "ACME01"), ("BLUE RIVER PLAN", "BRP22"), ("STATE MEDICAID", "SMCD9"))
# Behavioral-health ICD-10-CM codes: alcohol/opioid/cannabis/cocaine/stimulant use disorders,
# depression, anxiety, PTSD, long-term opiate-analgesic use, housing instability.
DIAGNOSES = ("F10.20", "F11.20", "F11.23", "F12.20", "F14.20", "F15.20", "F33.1", "F32.A",
             "F41.1", "F43.10", "Z79.891", "Z59.00")
OUTPATIENT = (("90837", decimal.Decimal("150.00")), ("90853", decimal.Decimal("60.00")))
OP_PLACES = ("11", "57", "02", "10")


def npi(base9: str) -> str:
    """The NPI with ``base9`` and the check digit that makes it valid."""
    return next(base9 + d for d in "0123456789" if npi_valid(base9 + d))


FACILITY = Provider(name="KIPU RECOVERY CENTER", npi=npi("123456789"), tax_id="741234567",
                    address=Address("100 MAIN ST", "AUSTIN", "TX", "787011234"),
                    taxonomy="324500000X")
CLINICIANS = tuple(Provider(name=f"{last}, {first}", npi=npi(f"19{n:07d}"), taxonomy="101YA0400X")
                   for n, (first, last) in enumerate(zip(FIRST[:4], LAST[::3]), 1))


def synthetic_claims(count: int, seed: int) -> list[Claim]:
    rng = random.Random(seed)
    claims = []
    for n in range(1, count + 1):
        city, state, zip5 = rng.choice(CITIES)
        home = Address(f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", city, state, zip5)
        last = rng.choice(LAST)
        holder = Person(rng.choice(FIRST), last, dt.date(rng.randint(1960, 1995),
                        rng.randint(1, 12), rng.randint(1, 28)), rng.choice("FM"), home)
        payer_name, payer_id = rng.choice(PAYERS)
        patient = None
        relationship = "18"
        if rng.random() < 0.2:
            relationship = "19"
            patient = Person(rng.choice(FIRST), last, dt.date(rng.randint(2006, 2012),
                             rng.randint(1, 12), rng.randint(1, 28)), rng.choice("FMU"))
        subscriber = Subscriber(holder, f"M{rng.randint(10**8, 10**9 - 1)}", payer_name,
                                payer_id, relationship=relationship,
                                group_number=f"G{rng.randint(1000, 9999)}")
        diagnoses = tuple(rng.sample(DIAGNOSES, rng.randint(1, 4)))
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
        clinician = rng.choice(CLINICIANS)
        if rng.random() < 0.5:
            days = rng.randint(1, 14)
            lines = tuple(ServiceLine("H0018", decimal.Decimal("750.00"), 1,
                                      start + dt.timedelta(days=d), revenue_code="1002")
                          for d in range(days))
            claims.append(Claim(f"RES{n:06d}", "837I", FACILITY, clinician, subscriber, patient,
                                diagnoses, lines,
                                admission_date=start - dt.timedelta(days=rng.randint(0, 20))))
        else:
            lines = []
            for k in range(rng.randint(1, 4)):
                code, charge = rng.choice(OUTPATIENT)
                pointers = tuple(range(1, min(len(diagnoses), 4) + 1))
                lines.append(ServiceLine(code, charge, 1, start + dt.timedelta(days=7 * k),
                                         diagnosis_pointers=pointers))
            claims.append(Claim(f"OP{n:06d}", "837P", FACILITY, clinician, subscriber, patient,
                                diagnoses, tuple(lines), place_of_service=rng.choice(OP_PLACES)))
    return claims


def batches(claims: list[Claim]) -> list[list[Claim]]:
    """One 837 per format, split so none exceeds the guide's 5000 claims."""
    out = []
    for fmt in ("837P", "837I"):
        same = [c for c in claims if c.claim_format == fmt]
        out += [same[i:i + MAX_CLAIMS_PER_837] for i in range(0, len(same), MAX_CLAIMS_PER_837)]
    return out


def envelope(n: int) -> Envelope:
    return Envelope(sender_id="KIPURCM", receiver_id="CLEARHOUSE", interchange_control=n,
                    group_control=n, transaction_control=n,
                    created_at=dt.datetime(2026, 11, 1, 12, 0, 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.claims < 1 or args.runs < 1:
        parser.error("--claims and --runs must be at least 1")

    claims = synthetic_claims(args.claims, args.seed)
    groups = batches(claims)
    build_s, validate_s = [], []
    texts: list[str] = []
    with progress_bar(2 * args.runs, "runs") as advance:  # on stderr, on a terminal
        for run in range(1, args.runs + 1):
            advance(0, f"run {run}/{args.runs}: generating {args.claims} claims")
            started = time.perf_counter()
            texts = [build_837(group, envelope(k)) for k, group in enumerate(groups, 1)]
            build_s.append(time.perf_counter() - started)
            advance(1, f"run {run}/{args.runs}: validating {args.claims} claims")
            started = time.perf_counter()
            results = [validate_837(text) for text in texts]
            validate_s.append(time.perf_counter() - started)
            advance()
            for group, result in zip(groups, results):
                if not result.ok:
                    print(f"validation failed for the {group[0].claim_format} batch:",
                          *result.errors[:10], sep="\n  ", file=sys.stderr)
                    return 1

    formats = {fmt: sum(c.claim_format == fmt for c in claims) for fmt in ("837P", "837I")}
    lines = sum(len(c.lines) for c in claims)
    segments = sum(t.count("~") for t in texts)
    size = sum(len(t) for t in texts)
    print(f"kipu-harness claims bench: {args.claims} claims ({formats['837P']} 837P, "
          f"{formats['837I']} 837I; {lines} service lines) in {len(texts)} interchanges, "
          f"{segments} segments, {size / 1024:.0f} KiB; {args.runs} runs, seed {args.seed}")
    print(f"Python {platform.python_version()}, pyx12 {pyx12.__version__}, "
          f"{platform.machine()}")
    print()
    header = (f"{'':<12}{'median s':>10}{'min s':>10}{'max s':>10}"
              f"{'claims/s median':>17}{'claims/s min':>14}{'claims/s max':>14}")
    print(header)
    print("-" * len(header))
    for name, times in (("generation", build_s), ("validation", validate_s)):
        med, low, high = statistics.median(times), min(times), max(times)
        # The fastest run gives the most claims per second, the slowest the fewest.
        print(f"{name:<12}{med:>10.4f}{low:>10.4f}{high:>10.4f}"
              f"{args.claims / med:>17.0f}{args.claims / high:>14.0f}{args.claims / low:>14.0f}")
    ratio = statistics.median(build_s) / statistics.median(validate_s)
    print()
    print(f"generation / validation (median seconds): {ratio:.4f} "
          f"(validation takes {1 / ratio:.0f}x as long as generation)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
