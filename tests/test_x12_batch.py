"""batch.py: a file of 837 interchanges split into them, whatever separators each declares, and
validated on two cores with the verdicts a one-by-one validation gives, in order: with the worker
process, when it dies midway, and where it cannot start."""

from __future__ import annotations

import os
import random
from dataclasses import replace

import pytest
from claimkit import OP, RCM, RES
from test_x12_pyx12_speed import broken, verdict

from kipu_harness.wire.x12.claims import Validation, batch, build_837, validate_837

FIRST = build_837([OP], RCM)
SECOND = build_837([RES], replace(RCM, interchange_control=43))
PIPES = build_837([replace(OP, claim_id="OP9")], replace(RCM, interchange_control=44)).replace("*", "|") \
    .replace("~\n", "'").replace(":", ">")  # other separators, and no line breaks


def test_a_file_splits_into_its_interchanges_each_with_its_own_separators():
    assert batch.interchanges(FIRST + SECOND + PIPES) == [FIRST, SECOND, PIPES]
    assert batch.interchanges("\n" + FIRST + "\r\n\r\n" + PIPES + "\n" + SECOND) == [FIRST + "\r\n\r\n",
                                                                                    PIPES + "\n", SECOND]
    assert batch.interchanges(FIRST) == [FIRST]
    assert all(validate_837(text).ok for text in batch.interchanges(FIRST + PIPES))


@pytest.mark.parametrize("tail", ["GS*HC*A*B~", "garbage", "ISA*00*short~"])
def test_what_follows_the_last_interchange_is_one_more_item_as_it_is(tail):
    assert batch.interchanges(FIRST + tail) == [FIRST, tail]


def test_an_interchange_with_no_iea_runs_to_the_end():
    cut = FIRST[:FIRST.index("IEA*")]
    assert batch.interchanges(cut + SECOND) == [cut + SECOND]
    assert batch.interchanges("") == []


def _fails(text: str) -> bool:
    try:
        validate_837(text)
    except Exception:  # noqa: BLE001 - pyx12 fails on some broken text
        return True
    return False


RNG = random.Random(5)
BROKEN = [broken(text, RNG) for text in (FIRST, SECOND) * 12]
TEXTS = [FIRST, SECOND, PIPES] * 4 + [text for text in BROKEN if not _fails(text)]
FAILING = [text for text in BROKEN if _fails(text)]


@pytest.fixture
def fresh(monkeypatch):
    """batch.py's worker state as a new process has it; the worker started here is stopped after."""
    monkeypatch.setattr(batch, "_worker", None)
    monkeypatch.setattr(batch, "_unavailable", False)
    yield
    if batch._worker is not None:
        batch._worker.stop()


def _started() -> batch._Worker:
    worker = batch._started_worker()
    assert worker is not None and worker.ready.wait(120), "the worker did not start"
    assert batch._started_worker() is worker
    return worker


def normalized(results):
    return [verdict_of(v) for v in results]


def verdict_of(validation):
    body = [s for s in validation.ack_999.split("~") if s.strip()[:3] not in ("ISA", "GS*", "GE*", "IEA")]
    return validation.ok, validation.errors, body


def test_the_worker_gives_the_verdicts_one_by_one_validation_gives(fresh, monkeypatch):
    worker = _started()
    handed = []
    validate = worker.validate
    monkeypatch.setattr(worker, "validate", lambda texts: handed.append(len(texts)) or validate(texts))
    expected = [verdict(text) for text in TEXTS]
    assert normalized(batch.validate_837_all(TEXTS, parallel_from=1)) == expected
    assert handed, "the worker took no chunk"
    assert sum(not v[0] for v in expected) >= 10


def test_a_worker_that_dies_leaves_the_rest_to_this_process(fresh, monkeypatch):
    worker = _started()
    worker.process.kill()
    worker.process.wait()
    expected = [verdict(text) for text in TEXTS]
    assert normalized(batch.validate_837_all(TEXTS, parallel_from=1)) == expected
    assert batch._unavailable and batch._started_worker() is None


def test_a_text_pyx12_fails_on_fails_as_on_its_own(fresh):
    assert FAILING, "the corpus has no text pyx12 fails on"
    _started()
    with pytest.raises(Exception) as alone:
        validate_837(FAILING[0])
    with pytest.raises(type(alone.value)):
        batch.validate_837_all(TEXTS[:6] + FAILING[:1] + TEXTS[6:], parallel_from=1)
    assert batch._started_worker() is not None  # the worker answered None for it and is still there


def test_where_no_worker_can_start_this_process_validates_alone(fresh, monkeypatch):
    monkeypatch.setattr(batch.sys, "executable", "/nonexistent/python")
    assert normalized(batch.validate_837_all(TEXTS, parallel_from=1)) == [verdict(text) for text in TEXTS]
    assert batch._unavailable


def test_a_batch_while_the_worker_starts_is_validated_all_the_same(fresh):
    assert normalized(batch.validate_837_all(TEXTS, parallel_from=1)) == [verdict(text) for text in TEXTS]
    assert batch._worker is not None and batch._worker.ready.wait(120)


def test_a_short_batch_starts_no_worker(fresh):
    assert normalized(batch.validate_837_all(TEXTS[:3])) == [verdict(text) for text in TEXTS[:3]]
    assert batch._worker is None


def test_a_forked_child_does_not_share_the_parents_worker(fresh):
    _started()
    child = os.fork()
    if child == 0:  # the child: exit 0 only if it forgot the worker and can validate on its own
        fine = batch._worker is None and not batch._unavailable and batch.validate_837_all(TEXTS[:3]) is not None
        os._exit(0 if fine else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert batch._started_worker() is not None  # the parent's is still its own


def test_a_text_pyx12_fails_on_goes_to_the_callers_own_validation(fresh):
    _started()
    seen = []

    def lenient(text):
        try:
            return validate_837(text)
        except Exception:  # noqa: BLE001 - the caller's way of answering a text pyx12 cannot read
            seen.append(text)
            return Validation(False, ("unreadable",), "")

    texts = TEXTS[:6] + FAILING[:1] + TEXTS[6:]
    results = batch.validate_837_all(texts, parallel_from=1, validate=lenient)
    assert seen == FAILING[:1] and results[6].errors == ("unreadable",)
    assert normalized(results[:6] + results[7:]) == [verdict(text) for text in TEXTS]
