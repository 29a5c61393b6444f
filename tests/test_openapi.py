"""Each mock's /openapi.json is complete and true: every route the app serves is in it, the
document validates as OpenAPI 3.1, every body and response is typed, and the API page is served."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from kipu_harness.mocks import SYSTEMS

UNDOCUMENTED = ("/openapi.json", "/docs")  # the document and its pages describe the API; they are not in it
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _served(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(UNDOCUMENTED) or rule.endpoint == "static":
            continue
        path = _template(rule.rule)
        routes |= {(method.lower(), path) for method in rule.methods & METHODS}
    return routes


def _template(rule: str) -> str:
    return re.sub(r"<(?:[^<:>]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.fixture(params=SYSTEMS)
def system(request):
    return request.param


def test_every_route_is_in_the_document(mocks, system):
    doc = mocks.client(system).get("/openapi.json").get_json()
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    missing = _served(mocks.suite.apps[system]) - documented
    assert not missing, f"{system}: served but not documented: {sorted(missing)}"
    ghosts = documented - _served(mocks.suite.apps[system])
    assert not ghosts, f"{system}: documented but not served: {sorted(ghosts)}"


def test_the_document_validates_as_openapi_3_1(mocks, system):
    doc = mocks.client(system).get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_operation_is_typed_and_says_how_it_refuses(mocks, system):
    doc = mocks.client(system).get("/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{system} {method.upper()} {path}"
            assert op.get("summary"), f"{where}: no summary"
            for status, response in op["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is None:
                    continue  # a non-JSON answer (X12, HL7) documents its own media type
                assert schema != {"type": "object"}, f"{where} {status}: untyped response"
                if int(status) >= 400:
                    assert schema == {"$ref": "#/components/schemas/Error"}, f"{where} {status}: not the Error shape"
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                ref = body.get("$ref", "").rsplit("/", 1)[-1]
                assert ref in schemas and schemas[ref].get("properties"), f"{where}: untyped request body"
            for param in op.get("parameters", []):
                assert param["schema"].get("type") or param["schema"].get("anyOf") or param["schema"].get("enum"), \
                    f"{where}: parameter {param['name']} is untyped"
            if "{" in path:
                assert "404" in op["responses"], f"{where}: a path with an id says nothing of 404"


def test_the_api_page_is_served_from_the_installed_package(mocks, system):
    client = mocks.client(system)
    page = client.get("/docs/swagger")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    assert b"https://" not in page.data.split(b"<body")[0], "the page must not fetch its assets from the network"
    asset = client.get("/docs/swagger/js/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    assert client.get("/docs/openapi.json").get_json() is not None
