"""Faults on purpose (issue 10, point 4): the plan counts and clears, each kind does what it says
in the receiving system and on the way between mocks, and bad fault requests are refused."""

from __future__ import annotations

import pytest

from kipu_harness.mocks.common.faults import Fault, FaultPlan, InjectedTimeout


def fault(**values):
    return Fault.from_mapping({"system": "rcm", "channel": "http", "kind": "error", "next": 1, **values})


def test_next_n_meets_exactly_n_messages_then_goes():
    plan = FaultPlan()
    plan.add(fault(next=3))
    met = [plan.take("rcm", "http") is not None for _ in range(5)]
    assert met == [True, True, True, False, False]
    assert plan.view()["faults"] == [] and plan.view()["injected"] == {"error": 3}


def test_a_fault_meets_only_its_system_and_channel():
    plan = FaultPlan()
    plan.add(fault(next=2))
    assert plan.take("rcm", "hl7") is None and plan.take("emr", "http") is None
    assert plan.take("rcm", "http") is not None


def test_a_fraction_is_seeded_and_stays_until_cleared():
    def run():
        plan = FaultPlan(seed=5)
        plan.add(fault(next=None, fraction=0.3))
        return [plan.take("rcm", "http") is not None for _ in range(200)]

    first = run()
    assert first == run()  # the same seed, the same faults
    assert 30 <= sum(first) <= 90
    plan = FaultPlan()
    plan.add(fault(next=None, fraction=1.0))
    plan.clear()
    assert plan.take("rcm", "http") is None


@pytest.mark.parametrize("values, says", [
    ({"kind": "explode"}, "kind = 'explode'"),
    ({"channel": "smtp"}, "channel = 'smtp'"),
    ({"next": None}, "either next"),
    ({"fraction": 0.5}, "either next"),
    ({"next": 0}, "next = 0"),
    ({"status": 200}, "status = 200"),
    ({"colour": 1}, "unknown key"),
])
def test_a_wrong_fault_is_one_clear_error(values, says):
    with pytest.raises(ValueError, match=says):
        fault(**values)


# -- the network between the mocks ------------------------------------------------------------

class Receiver:
    def __init__(self):
        self.got: list[int] = []

    def deliver(self, n):
        return lambda: self.got.append(n) or f"ack {n}"


@pytest.mark.parametrize("kind, raises, got", [
    ("reset", ConnectionResetError, [2]),
    ("drop", InjectedTimeout, [2]),
    ("duplicate", None, [1, 1, 2]),
    ("reorder", None, [2, 1]),
])
def test_each_network_fault_does_what_it_says(kind, raises, got):
    plan, receiver = FaultPlan(), Receiver()
    plan.add(fault(channel="hl7", kind=kind))
    if raises:
        with pytest.raises(raises):
            plan.send("rcm", "hl7", receiver.deliver(1), lambda: "receipt")
    else:
        answer = plan.send("rcm", "hl7", receiver.deliver(1), lambda: "receipt")
        assert answer == ("receipt" if kind == "reorder" else "ack 1")  # the hop in between answers a reorder
    plan.send("rcm", "hl7", receiver.deliver(2), lambda: "receipt")
    assert receiver.got == got


def test_a_message_with_no_hop_to_hold_it_is_never_reordered():
    plan, receiver = FaultPlan(), Receiver()
    plan.add(fault(channel="x12", kind="reorder"))
    assert plan.send("rcm", "x12", receiver.deliver(1)) == "ack 1" and receiver.got == [1]


def test_a_held_message_goes_on_even_when_the_next_one_is_lost():
    plan, receiver = FaultPlan(), Receiver()
    plan.add(fault(channel="hl7", kind="reorder"))
    plan.send("rcm", "hl7", receiver.deliver(1), lambda: "receipt")
    plan.add(fault(channel="hl7", kind="drop"))
    with pytest.raises(InjectedTimeout):
        plan.send("rcm", "hl7", receiver.deliver(2), lambda: "receipt")
    assert receiver.got == [1] and plan.view()["held"] == 0


def test_a_held_message_the_receiver_refuses_is_kept_and_forwarded_again():
    plan, got = FaultPlan(), []
    answers = iter([False, True])  # the receiver refuses it once (an error), then takes it
    plan.add(fault(channel="hl7", kind="reorder"))
    plan.send("rcm", "hl7", lambda: got.append(1) or next(answers), lambda: "receipt", taken=bool)
    plan.flush()
    assert got == [1] and plan.view()["held"] == 1
    plan.flush()
    assert got == [1, 1] and plan.view()["held"] == 0


def test_a_held_message_is_delivered_when_flushed():
    plan, receiver = FaultPlan(), Receiver()
    plan.add(fault(channel="hl7", kind="reorder"))
    plan.send("rcm", "hl7", receiver.deliver(1), lambda: "receipt")
    assert receiver.got == [] and plan.view()["held"] == 1
    plan.flush()
    assert receiver.got == [1] and plan.view()["held"] == 0


# -- in the receiving system, through /_mock/faults ----------------------------------------------

def test_the_rcm_answers_the_injected_error_then_recovers(mocks):
    response = mocks.rcm.post("/_mock/faults", json={"faults": [{"channel": "http", "kind": "error", "next": 2,
                                                                 "status": 502}]})
    assert response.status_code == 201 and response.get_json()["faults"][0]["left"] == 2
    statuses = [mocks.rcm.get("/rcm/patients").status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert mocks.rcm.get("/_mock/health").status_code == 200  # the control routes never meet a fault


def test_an_hl7_error_is_an_ae_207_and_applies_nothing(mocks):
    from test_rcm_hl7_input import _adt

    from kipu_harness.wire import hl7v2
    from mockkit import state

    mocks.emr.post("/_mock/faults", json={"faults": [{"system": "rcm", "channel": "hl7", "kind": "error",
                                                      "next": 1}]})
    before = state(mocks.suite)
    answer = mocks.rcm.post("/rcm/hl7", data=_adt(), content_type="text/plain").get_data(as_text=True)
    assert hl7v2.ack_code(answer)[0] == "AE" and "|207^" in answer  # ERR-3 207: try again later
    assert "|C-A04-41|" in answer  # it acknowledges the message it was sent
    assert state(mocks.suite)["rcm"] == before["rcm"]
    again = mocks.rcm.post("/rcm/hl7", data=_adt(), content_type="text/plain").get_data(as_text=True)
    assert hl7v2.ack_code(again)[0] == "AA"


def test_an_in_process_hang_is_a_timeout_at_once(mocks):
    mocks.rcm.post("/_mock/faults", json={"faults": [{"channel": "http", "kind": "hang", "next": 1}]})
    with pytest.raises(TimeoutError):
        mocks.rcm.get("/rcm/patients", environ_base={"kipu.in_process": True})
    assert mocks.rcm.get("/rcm/patients").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"faults": [{"channel": "http", "kind": "error"}]}, "faults.0"),
    ({"faults": [{"channel": "http", "kind": "melt", "next": 1}]}, "faults.0.kind"),
    ({"faults": []}, "faults"),
    ({"faults": [{"channel": "http", "kind": "error", "next": 1, "status": 200}]}, "faults.0.status"),
])
def test_a_wrong_fault_request_is_a_422_naming_it_and_sets_nothing(mocks, body, field):
    response = mocks.crm.post("/_mock/faults", json=body)
    assert response.status_code == 422
    assert field in [p["field"] for p in response.get_json()["problems"]]
    assert mocks.crm.get("/_mock/faults").get_json()["faults"] == []


def test_clearing_ends_the_faults_and_releases_held_messages(mocks):
    mocks.crm.post("/_mock/faults", json={"faults": [{"system": "rcm", "channel": "http", "kind": "error",
                                                      "fraction": 1.0}]})
    assert mocks.rcm.get("/rcm/patients").status_code == 503
    cleared = mocks.crm.delete("/_mock/faults").get_json()
    assert cleared["faults"] == [] and cleared["held"] == 0
    assert mocks.rcm.get("/rcm/patients").status_code == 200


def test_a_faults_file_is_read_and_checked(tmp_path):
    good = tmp_path / "faults.toml"
    good.write_text('[[faults]]\nsystem = "rcm"\nchannel = "hl7"\nkind = "drop"\nfraction = 0.1\n')
    plan = FaultPlan()
    assert plan.load(str(good)) == 1 and plan.view()["faults"][0]["kind"] == "drop"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[faults]]\nsystem = "rcm"\nchannel = "hl7"\nkind = "drop"\n')
    with pytest.raises(ValueError, match=r"\[\[faults\]\] #1: give either next"):
        FaultPlan().load(str(bad))
