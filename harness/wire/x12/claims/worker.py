"""The process batch.py validates 837s in: ``python -m kipu_harness.wire.x12.claims.worker``.

It parses the 837P and 837I maps, says ``"ready"`` (pickled) on stdout, then reads pickled lists
of 837 texts from stdin and writes each list's validations (:func:`validate_837`; None for a text
that makes pyx12 fail, which the parent then validates itself, to fail as it would), until stdin
closes. pyx12's log goes nowhere here either (ack999.py): its findings are in the validations.
"""

from __future__ import annotations

import pickle
import sys

from .ack999 import load_maps, validate_837


def _one(text: str):
    try:
        return validate_837(text)
    except Exception:  # noqa: BLE001 - pyx12 fails on some broken text: the parent validates that one itself
        return None


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    load_maps()
    pickle.dump("ready", sink)
    sink.flush()
    while True:
        try:
            texts = pickle.load(source)
        except EOFError:
            return
        pickle.dump([_one(text) for text in texts], sink)
        sink.flush()


if __name__ == "__main__":
    main()
