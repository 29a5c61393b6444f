"""Kipu's APIAuth on the mock EMR: the published test vectors, every tamper refused with Kipu's
error, and requests signed by an implementation written here from Kipu's guide (not the
harness's signer) accepted, in-process and over a real socket."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
from email.utils import formatdate

import pytest

from kipu_harness import apiauth
from kipu_harness.apiauth import DEVELOPMENT, Credential
from kipu_harness.mocks import MockSuite
from kipu_harness.mocks.emr.apiauth import EmrApiAuth
from kipu_harness.mocks.serve import ServedSuite

VECTOR_URI = "/api/patients/census?phi_level=high&app_id=OFZdZaTiCgy5gZnjnpo-Y7pFNoQvgsLJvtQSPJpWJNM"
VECTOR_DATE = "Thu, 07 Nov 2019 20:08:59 GMT"
NOT_FOUND = {"errors": "Access Denied - API Client app not found", "status_code": 401}
NO_RECIPIENT = {"errors": "Access Denied - Invalid or Missing Recipient", "status_code": 403}
FAILED = {"errors": "Access Denied - API Client app failed to authenticate", "status_code": 403}
SECOND = Credential("north-billing", "a second secret", "north-app", "sha256")


# -- a second implementation of the scheme, from Kipu's guide: the test's own ------------------

def their_signature(secret: str, content_type: str, md5: str, uri: str, date: str, algorithm=hashlib.sha1) -> str:
    message = f"{content_type},{md5},{uri},{date}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, algorithm).digest()).decode()


def their_headers(method: str, uri: str, body: bytes = b"", *, access_id="kipu-harness-dev",
                  secret="kipu-harness-dev-secret", scheme="APIAuth", algorithm=hashlib.sha1, date=None) -> dict:
    date = date or formatdate(usegmt=True)
    headers = {"Date": date, "Accept": "application/vnd.kipusystems+json; version=3"}
    content_type = md5 = ""
    if method in ("POST", "PATCH"):
        content_type = headers["Content-Type"] = "application/json"
        md5 = headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    headers["Authorization"] = f"{scheme} {access_id}:{their_signature(secret, content_type, md5, uri, date, algorithm)}"
    return headers


def test_the_published_test_vectors():
    assert their_signature("test_secret_key", "", "", VECTOR_URI, VECTOR_DATE) == "h1PXvNGSmNaZqXBv9/UcqjCFsJ0="
    assert their_signature("test_secret_key", "", "", VECTOR_URI, VECTOR_DATE,
                           hashlib.sha256) == "boYgaBORoufqIwn+yNU/+r6rS1Hww1UAk2JYf/JWKN8="
    canonical = apiauth.canonical_string("", "", VECTOR_URI, VECTOR_DATE)
    assert apiauth.signature("test_secret_key", canonical, "sha1") == "h1PXvNGSmNaZqXBv9/UcqjCFsJ0="
    assert apiauth.signature("test_secret_key", canonical, "sha256") == "boYgaBORoufqIwn+yNU/+r6rS1Hww1UAk2JYf/JWKN8="


# -- in-process: the EMR app with two clients --------------------------------------------------

@pytest.fixture
def emr(pm):
    suite = MockSuite(pm, emr_auth=EmrApiAuth((DEVELOPMENT, SECOND)))
    yield suite.apps["emr"].test_client()
    suite.close()


CENSUS = "/api/patients/census?phi_level=high&app_id=kipu-harness-dev-app"
BODY = json.dumps({"document": {"recipient_id": "kipu-harness-dev-app",
                                "data": {"first_name": "Ann", "last_name": "Lee"}}}).encode()
CREATE = "/api/patients?app_id=kipu-harness-dev-app"


def send(client, method, uri, headers, body=b""):
    response = client.open(uri, method=method, headers=headers, data=body)
    return response.status_code, response.get_json()


def test_requests_signed_by_an_independent_implementation_are_answered(emr):
    assert send(emr, "GET", CENSUS, their_headers("GET", CENSUS))[0] == 200
    status, body = send(emr, "POST", CREATE, their_headers("POST", CREATE, BODY), BODY)
    assert status == 201 and body["patient"]["first_name"] == "Ann"
    uri = f"/api/patients/{body['patient']['id']}?phi_level=high&patient_master_id={body['patient']['patient_master_id']}" \
          "&app_id=kipu-harness-dev-app"
    assert send(emr, "GET", uri, their_headers("GET", uri))[0] == 200


def test_each_configured_client_signs_with_its_own_digest_and_app(emr):
    uri = "/api/patients/census?phi_level=high&app_id=north-app"
    headers = their_headers("GET", uri, access_id="north-billing", secret="a second secret",
                            scheme="APIAuth-HMAC-SHA256", algorithm=hashlib.sha256)
    assert send(emr, "GET", uri, headers)[0] == 200
    # the other client's app_id is not this client's recipient
    other = "/api/patients/census?phi_level=high&app_id=kipu-harness-dev-app"
    headers = their_headers("GET", other, access_id="north-billing", secret="a second secret",
                            scheme="APIAuth-HMAC-SHA256", algorithm=hashlib.sha256)
    assert send(emr, "GET", other, headers)[1] | {"problems": []} == NO_RECIPIENT | {"problems": []}


def _date(offset: float) -> str:
    return formatdate(time.time() + offset, usegmt=True)


def _tampers():
    good = their_headers("POST", CREATE, BODY)
    changed = BODY.replace(b"Ann", b"Bob")
    return {
        "no Authorization": ("POST", CREATE, {k: v for k, v in good.items() if k != "Authorization"}, BODY, NOT_FOUND),
        "not APIAuth": ("POST", CREATE, {**good, "Authorization": "Bearer abc"}, BODY, NOT_FOUND),
        "unknown access id": ("POST", CREATE, their_headers("POST", CREATE, BODY, access_id="nobody"), BODY, NOT_FOUND),
        "wrong secret": ("POST", CREATE, their_headers("POST", CREATE, BODY, secret="guess"), BODY, FAILED),
        "body changed after signing": ("POST", CREATE, good, changed, FAILED),
        "body and Content-MD5 changed": ("POST", CREATE, {**good, "Content-MD5": apiauth.content_md5(changed)},
                                         changed, FAILED),
        "Content-Type changed": ("POST", CREATE, {**good, "Content-Type": "application/json; charset=utf-8"}, BODY,
                                 FAILED),
        "Date changed": ("POST", CREATE, {**good, "Date": _date(-5)}, BODY, FAILED),
        "Date an hour ago": ("GET", CENSUS, their_headers("GET", CENSUS, date=_date(-3600)), b"", FAILED),
        "Date an hour ahead": ("GET", CENSUS, their_headers("GET", CENSUS, date=_date(3600)), b"", FAILED),
        "no Date": ("GET", CENSUS, {k: v for k, v in their_headers("GET", CENSUS).items() if k != "Date"}, b"",
                    FAILED),
        "Date not a date": ("GET", CENSUS, their_headers("GET", CENSUS, date="yesterday"), b"", FAILED),
        "path changed": ("GET", CENSUS.replace("census", "admissions"), their_headers("GET", CENSUS), b"", FAILED),
        "query changed": ("GET", CENSUS.replace("high", "low"), their_headers("GET", CENSUS), b"", FAILED),
        "app_id changed": ("GET", CENSUS.replace("dev-app", "dev-ap"), their_headers("GET", CENSUS), b"",
                           NO_RECIPIENT),
        "no app_id": ("GET", "/api/patients/census?phi_level=high",
                      their_headers("GET", "/api/patients/census?phi_level=high"), b"", NO_RECIPIENT),
        "SHA-256 under bare APIAuth": ("GET", CENSUS, their_headers("GET", CENSUS, algorithm=hashlib.sha256), b"",
                                       FAILED),
        "SHA-1 under APIAuth-HMAC-SHA256": ("GET", CENSUS, their_headers("GET", CENSUS, scheme="APIAuth-HMAC-SHA256"),
                                            b"", FAILED),
    }


@pytest.mark.parametrize("name", list(_tampers()))
def test_every_tamper_is_refused_with_kipus_error_and_writes_nothing(emr, name):
    method, uri, headers, body, expected = _tampers()[name]
    status, answer = send(emr, method, uri, headers, body)
    assert status == expected["status_code"], answer
    assert {k: answer[k] for k in ("errors", "status_code")} == expected
    assert answer["problems"] and answer["problems"][0]["field"]  # which header or parameter failed
    census = send(emr, "GET", CENSUS, their_headers("GET", CENSUS))[1]
    assert census["patients"] == []


def test_x_auth_date_stands_in_for_date(emr):
    headers = their_headers("GET", CENSUS)
    headers["X-Auth-Date"] = headers.pop("Date")
    assert send(emr, "GET", CENSUS, headers)[0] == 200


@pytest.mark.parametrize("path", ["/api/integrations/rcm/insurances", "/_mock/health", "/openapi.json", "/docs/swagger"])
def test_the_integration_webhooks_and_control_routes_keep_their_own_protection(emr, path):
    response = emr.get(path)
    assert response.status_code not in (401, 403), path


def test_no_auth_opens_the_api(pm):
    suite = MockSuite(pm, emr_auth=EmrApiAuth(enabled=False))
    try:
        assert suite.apps["emr"].test_client().get("/api/patients/census?phi_level=high").status_code == 200
    finally:
        suite.close()


def test_the_skew_window_is_configurable(pm):
    suite = MockSuite(pm, emr_auth=EmrApiAuth(skew_seconds=7200))
    try:
        client = suite.apps["emr"].test_client()
        assert send(client, "GET", CENSUS, their_headers("GET", CENSUS, date=_date(-3600)))[0] == 200
    finally:
        suite.close()


@pytest.mark.parametrize("table, says", [
    ({"clients": [{"access_id": "a", "app_id": "b"}]}, "secret is missing"),
    ({"clients": [{"access_id": "a", "app_id": "b", "secret": "s", "digest": "md5"}]}, "digest = 'md5'"),
    ({"clients": [{"access_id": "a", "app_id": "b", "secret": "s"}] * 2}, "same access_id"),
    ({"skew_seconds": -1}, "skew_seconds"),
    ({"clients": []}, "one or more"),
    ({"colour": "red"}, "unknown key"),
])
def test_a_broken_emr_api_table_is_one_clear_error(table, says):
    with pytest.raises(ValueError, match=says):
        EmrApiAuth.from_mapping(table)


# -- over a real socket: the raw request line is what is signed ----------------------------------

def test_a_request_over_http_is_checked_against_its_raw_uri(pm):
    suite = MockSuite(pm)
    served = ServedSuite(suite)
    try:
        host, port = served.urls["emr"].removeprefix("http://").split(":")
        # Percent-encoded as kipu-python's urlencode sends it: the server must not re-normalise.
        uri = "/api/patients/census?phi_level=high&start_date=2024-01-01T00%3A00%3A00&app_id=kipu-harness-dev-app"
        answers = []
        for sent_uri in (uri, uri.replace("%3A", ":")):  # the second was signed with %3A, sent with ':'
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request("GET", sent_uri, headers=their_headers("GET", uri))
            answers.append(connection.getresponse().status)
            connection.close()
        assert answers == [200, 403]
    finally:
        served.stop()
        suite.close()
