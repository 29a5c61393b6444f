"""What one simulated day does, hour by hour of the systems' pinned clock:

- 08:00 discharges at the end of stay (the discharge date set in the EMR: ADT A03), new prospects;
- 09:00 admissions due, while a bed is free (Steps 1.4 to 4);
- 10:00 utilization review: late diagnoses noticed and sent, the payer's decisions on Pending U/Rs,
  concurrent reviews (and missed ones);
- 12:00 documentation: per-diem sessions, Group Therapy, evaluations;
- 17:00 billing: charges transmitted (every ``transmit_every_days``), treatments submitted and claims
  created (every ``claims_every_days``).

At the end of the day, the messages the systems' journals recorded since the day before are counted
by channel (on a target with the journal capability)."""

from __future__ import annotations

from . import billing, intake
from .state import Simulation


def run(sim: Simulation) -> None:
    rec, workload = sim.recorder, sim.workload
    rec.new_day(sim.today)
    sim.pin(8)
    if sim.day_number == 1:
        intake.open_census(sim)
    for stay in sim.in_care():
        if stay.discharge_on is not None and stay.discharge_on <= sim.today:
            if sim.call("discharge", sim.emr.discharge, stay.emr, sim.today.isoformat()) is not None:
                stay.discharged = sim.today
                rec.count("discharges")
    intake.arrive(sim)

    sim.pin(9)
    census = sim.census()
    for stay in sorted((s for s in sim.stays if s.converts and s.admitted is None and s.admit_on <= sim.today
                        and not s.opening), key=lambda s: (s.admit_on, s.key)):
        if census >= workload.beds:
            if stay.admit_on == sim.today:
                rec.count("waiting_for_a_bed")
            continue
        if intake.admit(sim, stay):
            census += 1
        else:  # the failed operation is counted; the admission is not tried again
            stay.converts = False
            rec.count("admissions_failed")

    sim.pin(10)
    for stay in sim.in_care():
        if stay.fix_on is not None and stay.fix_on <= sim.today:
            intake.add_late_diagnosis(sim, stay)
        if stay.connected and stay.insured:
            intake.decide_reviews(sim, stay)
            intake.review_due(sim, stay)

    sim.pin(12)
    rec.daily[-1]["census"] = sim.census()
    billing.document(sim)

    sim.pin(17)
    if (sim.day_number - 1) % workload.transmit_every_days == 0:
        billing.transmit(sim)
    if sim.day_number % workload.claims_every_days == 0:
        billing.bill(sim)
    count_messages(sim)


def count_messages(sim: Simulation) -> None:
    """The journal entries each system recorded since the last count, by channel."""
    if not sim.can("journal"):
        return
    total = 0
    for system, control in sim.target.controls.items():
        entries = control.journal(after=sim.journal_marks.get(system), bodies=False)
        if entries:
            sim.journal_marks[system] = entries[-1]["id"]
        for entry in entries:
            sim.recorder.messages[system][entry["channel"]] += 1
        total += len(entries)
    if sim.recorder.daily:
        sim.recorder.daily[-1]["messages"] = sim.recorder.daily[-1].get("messages", 0) + total
