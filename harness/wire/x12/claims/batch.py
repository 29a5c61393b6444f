"""A file of several 837 interchanges: split into its interchanges (:func:`interchanges`), and
validated on two cores (:func:`validate_837_all`).

pyx12 is pure Python, so one process validates one interchange at a time; a Work Center run of a
hundred claims spent a fifth of a simulated week there. A long batch is cut into chunks that a
worker process (worker.py) takes from the front while this process takes them from the back, so
the two meet wherever their speeds put them: a worker still starting, or a busy machine, costs
nothing but the parallelism. Every verdict is pyx12's, the one :func:`validate_837` gives, in the
file's order. If the worker cannot be started or dies, this process validates the rest.

The worker is a plain subprocess, not a ``multiprocessing`` pool: a spawned pool runs the
caller's ``__main__`` again in the worker (a script without a main guard would run twice), and
a forked one copies this process's threads' locks.
"""

from __future__ import annotations

import atexit
import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Callable

from .ack999 import validate_837
from .model import Validation

__all__ = ["PARALLEL_FROM", "interchanges", "validate_837_all"]

PARALLEL_FROM = 8  # fewer interchanges are validated here: a hand-over would cost more than it saves
CHUNK = 6  # interchanges the worker takes at once


def interchanges(text: str) -> list[str]:
    """The interchanges of an X12 file, in order, each from its ISA through its IEA, terminator
    and line break, read with the separators its own ISA declares. Text that does not start with
    an ISA, or an interchange with no IEA, is the last item as it is (its validation says why)."""
    found: list[str] = []
    rest = text.lstrip("\ufeff \t\r\n")
    while rest:
        if not rest.startswith("ISA") or len(rest) < 106:
            found.append(rest)
            break
        element, terminator = rest[3], rest[105]
        end = re.compile(f"{re.escape(terminator)}[\r\n]*IEA{re.escape(element)}[^{re.escape(terminator)}]*"
                         f"{re.escape(terminator)}").search(rest, 105)
        cut = end.end() if end else len(rest)
        while cut < len(rest) and rest[cut] in "\r\n":  # the line break after the IEA is the interchange's
            cut += 1
        found.append(rest[:cut])
        rest = rest[cut:].lstrip("\r\n \t")
    return found


class _Worker:
    """The worker process: pickled lists of texts in on its stdin, their validations out on its
    stdout, one list at a time (so one caller at a time: ``lock``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process = subprocess.Popen([sys.executable, "-m", "kipu_harness.wire.x12.claims.worker"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.ready = threading.Event()  # set once it has parsed its maps and said so
        threading.Thread(target=self._wait_ready, name="x12-worker-start", daemon=True).start()

    def _wait_ready(self) -> None:
        try:
            if pickle.load(self.process.stdout) == "ready":
                self.ready.set()
        except (EOFError, OSError, pickle.UnpicklingError):
            pass

    def validate(self, texts: list[str]) -> list[Validation]:
        """Raises OSError (or EOFError) when the worker is gone."""
        pickle.dump(texts, self.process.stdin)
        self.process.stdin.flush()
        answer = pickle.load(self.process.stdout)
        if not isinstance(answer, list) or len(answer) != len(texts):
            raise OSError("the validation worker answered something else")
        return answer

    def stop(self) -> None:
        try:
            self.process.stdin.close()
        except OSError:
            pass
        self.process.kill()


_worker: _Worker | None = None
_unavailable = False  # the worker could not start, or died: this process validates from then on
_start_lock = threading.Lock()


def _forget_after_fork() -> None:
    """A forked child shares its parent's worker pipes: it starts its own worker if it needs one."""
    global _worker, _unavailable, _start_lock
    _worker, _unavailable, _start_lock = None, False, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _started_worker() -> _Worker | None:
    """The worker, started on the first call (it is ready a second later, once it has parsed its
    maps); None without one."""
    global _worker, _unavailable
    with _start_lock:
        if _unavailable:
            return None
        if _worker is None:
            try:
                _worker = _Worker()
            except OSError:
                _unavailable = True
                return None
        if _worker.process.poll() is not None:
            _unavailable, _worker = True, None
            return None
        return _worker


def _give_up(worker: _Worker) -> None:
    global _worker, _unavailable
    with _start_lock:
        _unavailable = True
        if _worker is worker:
            _worker = None
    worker.stop()


def validate_837_all(texts: list[str], parallel_from: int = PARALLEL_FROM,
                     validate: Callable[[str], Validation] = validate_837) -> list[Validation]:
    """:func:`validate_837` of each text, in order; ``parallel_from`` texts or more on two cores.
    ``validate``: what this process validates with (e.g. one that turns pyx12's failure on a
    broken text into a verdict); the worker's verdicts are :func:`validate_837`'s, and a text that
    makes pyx12 fail there is handed to ``validate`` here."""
    worker = _started_worker() if len(texts) >= parallel_from else None
    if worker is None or not worker.lock.acquire(blocking=False):  # another request has it: validate here
        return [validate(text) for text in texts]
    try:
        return _shared(worker, [texts[n:n + CHUNK] for n in range(0, len(texts), CHUNK)], validate)
    finally:
        worker.lock.release()


def _shared(worker: _Worker, chunks: list[list[str]], validate: Callable[[str], Validation]) -> list[Validation]:
    results: list[list[Validation] | None] = [None] * len(chunks)
    taken = threading.Lock()
    bounds = {"front": 0, "back": len(chunks)}  # the worker takes chunks below front, this process back and up
    failed: list[BaseException] = []

    def feed() -> None:
        while not worker.ready.wait(0.01):  # still starting: this process goes on alone meanwhile
            with taken:
                if bounds["front"] >= bounds["back"] or worker.process.poll() is not None:
                    return
        while True:
            with taken:
                n = bounds["front"]
                if n >= bounds["back"]:
                    return
                bounds["front"] = n + 1
            try:
                results[n] = worker.validate(chunks[n])
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                failed.append(exc)
                return

    feeder = threading.Thread(target=feed, name="x12-worker-feed", daemon=True)
    feeder.start()
    while True:
        with taken:
            n = bounds["back"] - 1
            if n < bounds["front"]:
                break
            bounds["back"] = n
        results[n] = [validate(text) for text in chunks[n]]
    feeder.join(timeout=30)  # a chunk takes milliseconds: a worker that hangs is given up
    if failed or feeder.is_alive():
        _give_up(worker)
        feeder.join()
    # A chunk the worker did not answer, or a text it could not validate (None), is validated here,
    # and fails here as it would have.
    return [v if v is not None else validate(text) for n, chunk in enumerate(results)
            for text, v in zip(chunks[n], chunk if chunk is not None else [None] * len(chunks[n]))]


@atexit.register
def _stop() -> None:
    if _worker is not None:
        _worker.stop()
