"""What the mock tests share: a fresh suite per test, Flask clients per system, checks that a
refused call named the right fields and wrote nothing, the suite's clock and a new EMR patient."""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.transport import signing_client
from kipu_harness.waiting import eventually

SSN = "123-45-6789"
PINNED = "2024-06-01T12:00:00"

KINDS = {"crm": ("prospect", "opportunity"),
         "emr": ("patient", "insurance", "utilization_review", "care_level", "payor"),
         "rcm": ("patient", "payer"), "payer": ("member",)}


@dataclass
class Mocks:
    suite: MockSuite
    crm: FlaskClient
    emr: FlaskClient
    rcm: FlaskClient
    payer: FlaskClient

    def client(self, system: str) -> FlaskClient:
        return getattr(self, system)


@pytest.fixture(scope="module")
def pm():
    return make_plugin_manager()


def _mocks(suite: MockSuite) -> Mocks:
    """Test clients; the EMR's signs every request with the suite's client, as Kipu's API needs,
    and each sends the suite's control token (its /_mock routes need it)."""
    clients = [signing_client(suite.apps[s], suite.emr_auth.signer if s == "emr" else None)
               for s in ("crm", "emr", "rcm", "payer")]
    for client in clients:
        client.environ_base["HTTP_X_KIPU_MOCK_TOKEN"] = suite.guard.token
    return Mocks(suite, *clients)


@pytest.fixture
def mocks(pm):
    suite = MockSuite(pm)
    yield _mocks(suite)
    suite.close()


# -- helpers -------------------------------------------------------------------------------

def state(suite: MockSuite) -> dict[str, Any]:
    """Everything a refused call must leave as it was: every record and every outbox row."""
    snapshot: dict[str, Any] = {}
    for system in SYSTEMS:
        store = suite.contexts[system].store
        with store.read() as tx:
            snapshot[system] = {kind: tx.all(kind) for kind in KINDS[system]}
        snapshot[system]["outbox"] = store.outbox()
    return snapshot


def refused(response, status: int, fields: set[str]) -> dict[str, str]:
    """Assert the JSON error body names exactly ``fields``; returns {field: problem}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.headers.get("Content-Type")
    body = response.get_json()
    assert set(body) == {"errors", "status_code", "problems"}, body
    assert isinstance(body["errors"], str) and body["errors"]
    assert body["status_code"] == status
    assert isinstance(body["problems"], list) and body["problems"]
    for p in body["problems"]:
        assert set(p) == {"field", "problem"}, p
        assert isinstance(p["field"], str) and isinstance(p["problem"], str) and p["problem"]
    named = {p["field"]: p["problem"] for p in body["problems"]}
    assert set(named) == fields, body["problems"]
    return named


def pin_clock(m: Mocks, when: str = PINNED, system: str = "emr") -> None:
    """Pin the suite's one clock to ``when``, through ``system``'s control route."""
    response = m.client(system).post("/_mock/clock", json={"now": when})
    assert response.status_code == 200 and response.get_json() == {"now": when}


def new_patient(m: Mocks, **data: Any) -> dict[str, Any]:
    """An EMR patient made from a Kipu document holding ``data`` (WF-1.5)."""
    response = m.emr.post("/api/patients", json={"document": {"recipient_id": 1, "data": data}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["patient"]


CLI = [sys.executable, "-m", "kipu_harness.cli"]


@pytest.fixture
def mocks_up(tmp_path):
    """`kipu-harness mocks up` on free ports, as a user would start it; stopped with Ctrl-C."""
    profile = tmp_path / "mocks.toml"
    process = subprocess.Popen(
        CLI + ["mocks", "up", "--memory", "--crm-port", "0", "--emr-port", "0", "--rcm-port", "0", "--payer-port", "0",
               "--mllp-port", "0", "--console-port", "0", "--profile-out", str(profile)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        eventually(lambda: profile.exists() and "mllp" in profile.read_text(), timeout=60, what="mocks up")
        yield profile
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "kipu-harness mocks are up" in out and "RCM MLLP" in out and out.rstrip().endswith("stopped.")
