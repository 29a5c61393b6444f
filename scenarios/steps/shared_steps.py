"""Steps about more than one system: the systems' clock, refusals, the messages between them."""

from __future__ import annotations

import datetime as dt

from pytest_bdd import given, parsers, then

from kipu_harness.clients import Refusal

from ..vocabulary import TYPES


def attempt(refusals, system, call, fallback=None):
    """Run a user action; a refusal is kept, with the system that refused, for the Then step
    that expects it ("the EMR refuses with status ...")."""
    try:
        return call()
    except Refusal as refusal:
        refusals.append((system, refusal))
        return fallback


@given(parsers.parse("the systems' date is {day:Date}", extra_types=TYPES))
def pin_date(target, day):
    when = dt.datetime.combine(day, dt.time(9, 0))
    for control in target.controls.values():
        control.pin_clock(when)


@given(parsers.parse("the systems' time moves on by {minutes:d} minutes"))
def time_moves_on(target, minutes):
    now = target.controls["emr"].now()
    for control in target.controls.values():
        control.pin_clock(now + dt.timedelta(minutes=minutes))


def _refused(refusals, system):
    """A refusal is a refusal: a 4xx, or no such operation at all; never the mock's status or wording."""
    assert refusals, f"the {system} did not refuse"
    who, refusal = refusals[-1]
    assert who == system, f"the last refusal came from the {who}, not the {system}"
    assert refusal.status is None or 400 <= refusal.status < 500, f"not a refusal: {refusal}"
    return refusal


@then(parsers.parse("the {system} refuses"))
def refused(refusals, system):
    _refused(refusals, system)


@then(parsers.parse('the {system} refuses, naming "{field}"'))
def refused_naming(refusals, system, field):
    """Where the overview says the error names what is wrong (PROC-01: what is missing)."""
    refusal = _refused(refusals, system)
    assert field in refusal.problems, f"the refusal names {sorted(refusal.problems)}, not {field!r}: {refusal}"


@then(parsers.parse('the last HL7 message the RCM received has DG1 "{first}" starting {first_day:d} '
                    'and DG1 "{second}" starting {second_day:d}'))
def last_message_dg1(target, emr_patient, first, first_day, second, second_day):
    import hl7

    received = [hl7.parse(e["body"].replace("\n", "\r")) for e in target.controls["rcm"].journal("hl7")
                if e["summary"] == "received"]
    # The journal holds every patient's messages: the last one about this patient (PID-3, type PI).
    mine = [m for m in received if _patient_ids(m) & {str(emr_patient.id)}]
    assert mine, f"the RCM journal holds no HL7 message for EMR patient {emr_patient.id}"
    message = mine[-1]
    starts = {str(seg[3][0][0]): str(seg[5]) for seg in message.segments("DG1")}
    assert starts.get(first) == str(first_day) and starts.get(second) == str(second_day), starts


def _patient_ids(message) -> set[str]:
    """The EMR Patient IDs in PID-3: type PI, assigned by anyone but the CRM (whose prospect id is a PI too)."""
    from kipu_harness.wire.hl7v2.message import CRM_AUTHORITY

    pid = str(message.segment("PID")).split("|")
    ids = [rep.split("^") for rep in pid[3].split("~")] if len(pid) > 3 else []
    return {parts[0] for parts in ids if parts[4:5] == ["PI"] and parts[3:4] != [CRM_AUTHORITY]}
