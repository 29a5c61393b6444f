"""`kill -9` in the middle of admissions (issue 10, point 5): `mocks up` on a data folder is killed
while a client admits patients, started again on the same data, and then every write the client
saw acknowledged is there, every message queued before the kill reaches the RCM once, and every
SQLite file passes its integrity check. Bounded: a fixed number of admissions and timeouts."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import tomllib

import requests

from kipu_harness.apiauth import DEVELOPMENT
from kipu_harness.clients import EmrClient, MockControl, RcmClient
from kipu_harness.transport import HttpTransport
from kipu_harness.waiting import eventually

CLI = [sys.executable, "-m", "kipu_harness.cli"]
PATIENT = {"first_name": "Kim", "last_name": "Ode", "dob": "1979-02-03", "gender": "Female", "phone": "512-555-0110",
           "address_street": "9 Oak St", "address_city": "Austin", "address_state": "TX", "address_zip": "73301",
           "admission_date": "2026-03-02T10:00"}


def _up(data, profile):
    return subprocess.Popen(CLI + ["mocks", "up", "--data", str(data), "--profile-out", str(profile), "--crm-port", "0",
                                   "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0", "--mllp-port", "0",
                                   "--console-port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _systems(profile):
    eventually(lambda: profile.exists() and "mllp" in profile.read_text(), timeout=60, what="mocks up")
    loaded = tomllib.loads(profile.read_text())
    return {name: entry["url"] for name, entry in loaded["systems"].items()}, loaded["control_token"]


def test_kill_nine_loses_no_acknowledged_write_and_no_queued_message(tmp_path):
    data, profile = tmp_path / "data", tmp_path / "mocks.toml"
    process = _up(data, profile)
    acknowledged: list[int] = []  # EMR patients whose MR Number the client saw generated
    stop = threading.Event()
    try:
        urls, _ = _systems(profile)
        emr = EmrClient(HttpTransport(urls["emr"], credential=DEVELOPMENT, timeout=10))

        def admit_until_killed():
            while not stop.is_set():
                try:
                    patient = emr.add_diagnosis(emr.create_patient(**PATIENT), "F10.20")
                    emr.action(patient, "mr_number")
                except (requests.RequestException, RuntimeError, OSError):
                    return  # the server died under us: what was acknowledged is all we know
                acknowledged.append(patient.id)

        worker = threading.Thread(target=admit_until_killed, daemon=True)
        worker.start()
        eventually(lambda: len(acknowledged) >= 8, timeout=120, what="admissions before the kill")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        stop.set()
        worker.join(timeout=30)
        assert not worker.is_alive()
    finally:
        if process.poll() is None:
            process.kill()
    for db in sorted(data.glob("*.db")):
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", db.name

    profile.unlink()
    again = _up(data, profile)
    try:
        urls, token = _systems(profile)
        emr = EmrClient(HttpTransport(urls["emr"], credential=DEVELOPMENT))
        rcm = RcmClient(HttpTransport(urls["rcm"]))
        census = {p.id: p for p in emr.census()}
        missing = [i for i in acknowledged if i not in census or not census[i].mr_number]
        assert not missing, f"acknowledged admissions lost in the kill: {missing}"
        control = MockControl(HttpTransport(urls["emr"]), token)
        eventually(lambda: not control.outbox(status="pending"), timeout=60, what="the EMR's outbox drained")
        for patient_id in acknowledged:
            found = rcm.find_patients(emr_patient_id=patient_id)
            assert len(found) == 1 and found[0].status == "Admitted", (patient_id, found)
    finally:
        again.send_signal(signal.SIGINT)
        _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err[-2000:]

