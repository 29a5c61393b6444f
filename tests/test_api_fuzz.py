"""Property-based tests of every mock's API from its own OpenAPI document (schemathesis).

All of schemathesis' checks are on: no server error, every status and body as documented, every
request the document calls valid accepted (2xx, or 403/404/409 for a rule or a missing record),
every request it calls invalid refused. The mocks start with a seeded census, so the documented
example id (1) reaches real records. Examples are bounded (5 per operation and mode; raise
KIPU_FUZZ_EXAMPLES, or change KIPU_FUZZ_SEED, for a deeper run) so the whole file runs in under a minute
on two cores; the seed makes a failure reproducible (schemathesis prints the curl command).
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from kipu_harness.apiauth import sign_environ
from kipu_harness.mocks import SYSTEMS, MockSuite
from kipu_harness.mocks import census
from kipu_harness.plugin_manager import make_plugin_manager

os.environ.setdefault("KIPU_VALIDATE_RESPONSES", "1")

IDEMPOTENCY_KEY = "Idempotency-Key"
MAX_EXAMPLES = int(os.environ.get("KIPU_FUZZ_EXAMPLES", "5"))
# An X12 body is a string to the document, which cannot say "a readable X12 interchange": text
# that is not one is a 400 naming the segment at fault, not a valid request refused.
UNREADABLE_X12 = {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "403", "404", "409"]}}
CONFIG = {"seed": int(os.environ.get("KIPU_FUZZ_SEED", "2026")), "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
          "operations": [{"include-path-regex": "/x12/", "checks": UNREADABLE_X12}]}


# HL7 and X12 bodies are text: send them as text, so those routes are fuzzed too.
schemathesis.serializer.alias(["application/hl7-v2", "application/edi-x12"], "text/plain")


def _suite() -> MockSuite:
    suite = MockSuite(make_plugin_manager())
    census.seed(suite, seed=7, size=4)
    return suite


def signed(app, credential):
    """The app behind a client that signs each request as it arrives (Kipu's APIAuth): the
    fuzzer's requests reach the EMR's input handling instead of stopping at a 401."""
    def wsgi(environ, start_response):
        return app(sign_environ(environ, credential), start_response)
    return wsgi


SUITE = _suite()
# The control routes need the suite's token (X-Kipu-Mock-Token), as a declared apiKey: schemathesis
# sends it, and checks that a request without it, or with another, is refused.
CONFIG["headers"] = {"X-Kipu-Mock-Token": SUITE.guard.token}
SCHEMAS = {system: schemathesis.openapi.from_wsgi(
    "/openapi.json", signed(SUITE.apps[system], SUITE.emr_auth.signer) if system == "emr" else SUITE.apps[system],
    config=SchemathesisConfig.from_dict(CONFIG)) for system in SYSTEMS}


def fresh_key(case):
    """An Idempotency-Key stands for one request: the fuzzer draws keys from a small space and
    would send one key with two bodies (a 422, rightly). A well-formed key becomes a new one per
    case; a malformed one stays, for the negative cases."""
    key = (case.headers or {}).get(IDEMPOTENCY_KEY)
    if isinstance(key, str) and re.fullmatch(r"[!-~]{1,255}", key):
        case.headers[IDEMPOTENCY_KEY] = uuid.uuid4().hex
    return case


@SCHEMAS["crm"].parametrize()
def test_crm_api(case):
    try:
        fresh_key(case).call_and_validate()
    finally:
        SUITE.faults.clear()  # a fault the fuzzer set through /_mock/faults must not meet the next case


@SCHEMAS["emr"].parametrize()
def test_emr_api(case):
    try:
        fresh_key(case).call_and_validate()
    finally:
        SUITE.faults.clear()  # a fault the fuzzer set through /_mock/faults must not meet the next case


@SCHEMAS["rcm"].parametrize()
def test_rcm_api(case):
    try:
        fresh_key(case).call_and_validate()
    finally:
        SUITE.faults.clear()  # a fault the fuzzer set through /_mock/faults must not meet the next case


@SCHEMAS["payer"].parametrize()
def test_payer_api(case):
    try:
        fresh_key(case).call_and_validate()
    finally:
        SUITE.faults.clear()  # a fault the fuzzer set through /_mock/faults must not meet the next case


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_is_fuzzed(system):
    """A document with no operations would make the tests above pass vacuously."""
    operations = [op for op in SCHEMAS[system].get_all_operations()]
    assert len(operations) >= 10, f"{system}: only {len(operations)} operations in the document"
