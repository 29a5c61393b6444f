"""``eventually`` and ``stays``: waiting for something to happen, and watching that something does
not (issue 8, point 4). A fake clock stands in for time: no test sleeps."""

from __future__ import annotations

import pytest

from kipu_harness.waiting import drained, eventually, stays


class FakeClock:
    """``now()`` is the clock, ``pause(seconds)`` moves it on at once."""

    def __init__(self) -> None:
        self.t = 100.0
        self.pauses: list[float] = []

    def now(self) -> float:
        return self.t

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.t += seconds


def _stays(probe, clock, **kw):
    kw.setdefault("window", 1.0)
    kw.setdefault("interval", 0.25)  # exact in binary: the fake clock adds up exactly
    return stays(probe, clock=clock.now, pause=clock.pause, **kw)


def test_stays_watches_the_whole_window_when_the_condition_holds():
    clock, calls = FakeClock(), []
    _stays(lambda: calls.append(clock.t) or True, clock)
    assert calls[0] == 100.0 and calls[-1] >= 101.0  # from the start to the end of the window
    assert len(calls) == 5


def test_stays_fails_at_the_first_violation_with_the_probes_message():
    clock, calls = FakeClock(), []

    def probe():
        calls.append(clock.t)
        assert clock.t < 100.4, "a second patient arrived"

    with pytest.raises(AssertionError, match="a second patient arrived"):
        _stays(probe, clock)
    assert len(calls) == 3 and clock.t == 100.5  # stopped at once, not at the end of the window


def test_a_probe_that_returns_false_fails_naming_what():
    clock = FakeClock()
    with pytest.raises(AssertionError, match="nothing sent no longer held after 0.50s"):
        _stays(lambda: clock.t < 100.4, clock, what="nothing sent")


def test_other_return_values_mean_the_condition_holds():
    clock = FakeClock()
    for value in (None, [], 0, "", True, [1]):
        _stays(lambda v=value: v, clock, window=0.2)


def test_a_drained_barrier_ends_the_wait_after_one_more_probe():
    clock, calls = FakeClock(), []
    drained = iter([False, False, True])
    _stays(lambda: calls.append(clock.t), clock, window=60.0, barrier=lambda: next(drained))
    assert len(calls) == 3 and clock.t == 100.5


def test_a_violation_after_the_barrier_still_fails():
    clock = FakeClock()
    with pytest.raises(AssertionError, match="overwritten"):
        _stays(lambda: (_ for _ in ()).throw(AssertionError("overwritten")), clock, barrier=lambda: True)


def test_no_window_probes_once_without_asking_the_barrier():
    clock, calls = FakeClock(), []

    def barrier():
        raise AssertionError("the barrier is not asked when there is nothing to wait for")

    _stays(lambda: calls.append(1), clock, window=0, barrier=barrier)
    assert calls == [1] and clock.pauses == []
    with pytest.raises(AssertionError, match="phone"):
        _stays(lambda: False, clock, window=0, what="phone")


def test_eventually_returns_the_first_truthy_value():
    values = iter([[], None, ["patient"]])
    assert eventually(lambda: next(values), timeout=5, interval=0) == ["patient"]


class Control:
    def __init__(self, pending):
        self.pending = pending

    def outbox(self, status=None):
        assert status == "pending"
        return self.pending


def test_drained_is_true_only_when_no_outbox_has_anything_pending():
    emr, rcm = Control([{"id": 1}]), Control([])
    barrier = drained([emr, rcm])
    assert barrier() is False
    emr.pending = []
    assert barrier() is True
