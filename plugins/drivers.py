"""The built-in driver, ``kipu``: the mocks' CRM, RCM and payer APIs and the EMR's Kipu API v3."""

from __future__ import annotations

from typing import Any

from kipu_harness import hookimpl
from kipu_harness.clients import CrmClient, EmrClient, PayerClient, RcmClient
from kipu_harness.target import SystemAddress
from kipu_harness.transport import HttpTransport


def _over_http(client: type, system: str) -> Any:
    return lambda address: client(HttpTransport(address.url, system=system))


def _emr(address: SystemAddress) -> EmrClient:
    """Kipu's API signs every request: with the profile's credentials, or a mock's development client."""
    return EmrClient(HttpTransport(address.url, credential=address.signer, system="emr"))


@hookimpl
def harness_register_drivers(register: Any) -> None:
    register("kipu", crm=_over_http(CrmClient, "crm"), emr=_emr, rcm=_over_http(RcmClient, "rcm"),
             payer=_over_http(PayerClient, "payer"),
             description="the APIs of kipu-harness's mocks, and Kipu's API v3 for the EMR (the default)")
