"""The example vendor adapter (examples/acme-driver) runs the whole conformance suite through its
own driver, against the mocks placed behind Acme's route shape; and a driver that lacks part of
the contract, or a driver name nobody registered, is one line before anything runs."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from kipu_harness.clients import CrmClient, EmrClient, PayerClient, RcmClient
from kipu_harness.contract import missing_operations
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.target import collect_drivers
from kipu_harness.transport import HttpTransport

# Installed by the README's test command (pip install -e examples/acme-driver), as a vendor would.
import acme_kipu_driver  # noqa: E402,F401


@pytest.fixture
def mocks_behind_acme(tmp_path):
    """`kipu-harness mocks up`'s suite served on free loopback ports, and Acme's gateways before it."""
    from acme_kipu_driver import gateway

    from kipu_harness.cli import write_profile
    from kipu_harness.mocks import MockSuite
    from kipu_harness.mocks.serve import ServedSuite

    suite = MockSuite(make_plugin_manager(), data_dir=str(tmp_path / "data"))
    served = ServedSuite(suite)
    write_profile(tmp_path / "mocks.toml", served, allow_reset=True, control_token=suite.guard.token)
    profile = tomllib.loads((tmp_path / "mocks.toml").read_text())
    urls, gateways, stop = gateway.serve(profile)
    (tmp_path / "acme.toml").write_text(gateway.acme_profile(profile, urls))
    yield tmp_path / "acme.toml", urls, gateways
    stop()
    served.stop()
    suite.close()


def test_the_built_in_drivers_offer_the_whole_contract():
    for system, client in {"crm": CrmClient, "emr": EmrClient, "rcm": RcmClient, "payer": PayerClient}.items():
        assert missing_operations(system, client(HttpTransport("http://127.0.0.1:9"))) == [], system


def test_the_example_driver_is_found_through_its_entry_point():
    drivers = collect_drivers(make_plugin_manager())
    assert drivers["acme"].plugin == "acme" and set(drivers["acme"].factories) == {"crm", "emr", "rcm", "payer"}


def test_the_whole_suite_passes_through_the_acme_driver(mocks_behind_acme, tmp_path):
    profile, urls, gateways = mocks_behind_acme
    # The gateways really have another shape: the built-in driver's requests find nothing there.
    with pytest.raises(Exception) as refused:
        CrmClient(HttpTransport(urls["crm"])).create_prospect(first_name="Ana", last_name="Lopez")
    assert getattr(refused.value, "status", None) == 404
    probed = {s: g.seen["refused"] for s, g in gateways.items()}

    done = subprocess.run([sys.executable, "-m", "kipu_harness.cli", "run", "--profile", str(profile),
                           "--reports", str(tmp_path / "reports")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "failed" not in done.stdout.splitlines()[-1], done.stdout[-1500:]
    # Every system was driven through Acme's routes, and nothing but the control routes bypassed them.
    assert all(g.seen["acme"] > 0 for g in gateways.values()), {s: g.seen for s, g in gateways.items()}
    assert {s: g.seen["refused"] for s, g in gateways.items()} == probed


def test_a_driver_short_of_the_contract_is_one_line(tmp_path):
    (tmp_path / "short.py").write_text(
        "from kipu_harness import hookimpl\n"
        "class HalfCrm:\n"
        "    def __init__(self, address): pass\n"
        "    def create_prospect(self, **fields): pass\n"
        "@hookimpl\n"
        "def harness_register_drivers(register):\n"
        "    register('half', crm=HalfCrm)\n")
    (tmp_path / "p.toml").write_text(
        '[systems.crm]\nurl = "http://127.0.0.1:9"\ndriver = "half"\n'
        '[systems.emr]\nurl = "http://127.0.0.1:9"\n[systems.rcm]\nurl = "http://127.0.0.1:9"\n')
    done = subprocess.run([sys.executable, "-m", "kipu_harness.cli", "run", "--profile", str(tmp_path / "p.toml"),
                           "--kipu-plugin", "short"], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "driver = 'half'" in line and "lacks 7 operation(s)" in line and "push_to_emr" in line, line


def test_an_unknown_driver_name_is_one_line(tmp_path):
    (tmp_path / "p.toml").write_text(
        '[systems.crm]\nurl = "http://127.0.0.1:9"\ndriver = "acmee"\n'
        '[systems.emr]\nurl = "http://127.0.0.1:9"\n[systems.rcm]\nurl = "http://127.0.0.1:9"\n')
    done = subprocess.run([sys.executable, "-m", "kipu_harness.cli", "run", "--profile", str(tmp_path / "p.toml")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "driver = 'acmee'" in line and "known: acme, kipu" in line, line


def test_docs_contract_names_every_operation():
    from pathlib import Path

    from kipu_harness.contract import DRIVERS

    text = (Path(__file__).resolve().parent.parent / "docs" / "contract.md").read_text()
    missing = [f"{system}.{name}" for system, protocol in DRIVERS.items() for name, member in vars(protocol).items()
               if not name.startswith("_") and callable(member) and f"`{name}(" not in text and f"`{name}`" not in text]
    assert missing == []
