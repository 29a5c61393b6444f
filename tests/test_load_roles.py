"""The Locust roles of `kipu-harness load` (load/roles.py) on the embedded mocks, one task at a time and
without Locust: they use the facility the workload's [load] table names (its dates, level of care and
templates), and a name the deployment lacks fails the task with the workload's key in the reason."""

from __future__ import annotations

import dataclasses

import pytest

from kipu_harness.contract import NotOffered
from kipu_harness.load.operations import Failed, Operations
from kipu_harness.load.roles import ROLES, Role, Shared
from kipu_harness.load.workload import Workload, load_workload
from kipu_harness.simulation import engine
from kipu_harness.synthetic import faker_for
from loadkit import FACILITY


@pytest.fixture
def facility():
    """Fresh embedded mocks (the default facility), in this process."""
    target = engine.build_target()
    yield target
    target.close()


def play(target, role: str, workload: Workload, fired: list) -> Role:
    """One user of ``role`` as the locustfile makes it, its operations reported into ``fired``."""
    ops = Operations(lambda **event: fired.append(event), role, wait_timeout=15)
    drivers = {"crm": target.crm, "emr": target.emr, "rcm": target.rcm}
    return ROLES[role](drivers, ops, workload, Shared(), faker_for(role))


def test_a_biller_bills_with_the_workloads_dates_level_of_care_and_templates(facility, tmp_path):
    # The deployment's own templates for what FACILITY names (the default facility has neither).
    emr = facility.emr
    emr.add_billable_template(name="PHP Day", kind="group_session", billing="per_diem", level_of_care="PHP")
    emr.add_billable_template(name="Psychiatric Evaluation", kind="evaluation", billing="ancillary",
                              service_description="Psychiatric Evaluation", cpt="90792")
    path = tmp_path / "w.toml"
    path.write_text(FACILITY)
    fired: list = []
    biller = play(facility, "biller", load_workload(path), fired)
    biller.task()  # no patient handed on: it admits, insures and authorizes one, then bills its first day
    assert [(e["name"], e["exception"]) for e in fired if e["exception"]] == []
    case = biller.case
    episode = facility.rcm.get(case.rcm_id).episodes[-1]
    assert episode.admit_date == "2026-04-06" and [i["effective_date"] for i in episode.insurances] == ["2026-04-01"]
    assert [(a["service"], a["start_date"], a["end_date"])
            for a in (*episode.utilization_reviews, *episode.standalone_authorizations)] == [
        ("PHP", "2026-04-06", "2026-04-30"), ("Psychiatric Evaluation", "2026-04-06", "2026-04-30")]
    billed = sorted((t["date_of_service"], t["service_name"], t["status"]) for t in facility.rcm.attendance(case.rcm_id))
    assert billed == [("2026-04-07", "PHP", "claimed"), ("2026-04-07", "Psychiatric Evaluation", "claimed")]
    assert facility.rcm.claims(case.rcm_id)


@pytest.mark.parametrize("role, key, value, operation, problem", [
    ("clinician", "group_template", "Group Therapy 90", ("EMR", "billable templates"),
     "the EMR has no billable template 'Group Therapy 90' (workload [load] group_template); "
     "it has: Group Therapy, Individual Therapy 60, Residential Day"),
    ("biller", "per_diem_template", "Inpatient Day", ("EMR", "billable templates"),
     "the EMR has no billable template 'Inpatient Day' (workload [load] per_diem_template)"),
    ("utilization_reviewer", "level_of_care", "Inpatient", ("RCM", "services"),
     "the RCM has no level of care 'Inpatient' (workload [load] level_of_care); it has: Detox, IOP, OP, PHP, "
     "Residential"),
    ("intake_coordinator", "level_of_care", "Inpatient", ("RCM", "services"),
     "the RCM has no level of care 'Inpatient' (workload [load] level_of_care)"),
])
def test_a_name_the_deployment_lacks_fails_the_task_naming_the_workloads_key(facility, role, key, value, operation,
                                                                             problem):
    fired: list = []
    user = play(facility, role, dataclasses.replace(Workload(), **{key: value}), fired)
    with pytest.raises(Failed) as failed:
        user.task()
    assert str(failed.value).startswith(f"{operation[0]} {operation[1]}: {problem}")
    # Locust's failure table shows the same reason, against the lookup that found the name missing.
    assert (fired[-1]["request_type"], fired[-1]["name"]) == operation and problem in str(fired[-1]["exception"])


class _NoTemplates:
    """An EMR driver that does not offer the billable templates (a vendor's may not)."""

    def __init__(self, emr):
        self._emr = emr

    def billable_templates(self):
        raise NotOffered("billable templates")

    def __getattr__(self, name):
        return getattr(self._emr, name)


@pytest.mark.parametrize("role", ["clinician", "biller"])
def test_without_the_templates_a_role_documents_nothing_and_fails_nothing(facility, role):
    fired: list = []
    ops = Operations(lambda **event: fired.append(event), role, wait_timeout=15)
    drivers = {"crm": facility.crm, "emr": _NoTemplates(facility.emr), "rcm": facility.rcm}
    user = ROLES[role](drivers, ops, Workload(), Shared(), faker_for(role))
    user.task()  # no patient handed on: it admits one itself first
    assert [(e["name"], e["exception"]) for e in fired if e["exception"]] == []
    documented = {e["name"] for e in fired} & {"document group session", "document evaluation", "transmit"}
    assert documented == set(), documented
    assert ("EMR", "billable templates") in ops.not_offered
