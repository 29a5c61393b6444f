"""In-process requests without Flask's test client (harness/wsgi.py): an app sees the same
request through wsgi.call as through werkzeug's test client, and the answer comes back whole."""

from __future__ import annotations

import json

import pytest
from flask import Flask, jsonify, request

from kipu_harness import wsgi
from kipu_harness.apiauth import DEVELOPMENT, sign_environ
from kipu_harness.transport import FlaskTransport


def _echo_app() -> Flask:
    app = Flask(__name__)

    @app.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(rest):
        return jsonify(method=request.method, path=request.path, args=request.args.to_dict(flat=False),
                       content_type=request.content_type, data=request.get_data(as_text=True),
                       header=request.headers.get("X-Thing"), uri=request.environ.get("REQUEST_URI"),
                       full=request.full_path), 201, {"X-Back": "yes"}

    return app


@pytest.mark.parametrize("method, path, params, body, headers", [
    ("GET", "/api/patients/1", {"phi_level": "high"}, b"", {}),
    ("GET", "/api/a%20b/%C3%A9", {"q": "x y", "n": 3, "none": None}, b"", {"X-Thing": "1"}),
    ("POST", "/api/patients", None, json.dumps({"name": "Zoë"}).encode(), {"Content-Type": "application/json"}),
    ("PATCH", "/p", {"inline": 1, "more": ["a", "b"]}, b"text", {"Content-Type": "text/plain; charset=utf-8"}),
])
def test_the_app_sees_what_the_test_client_gives_it(method, path, params, body, headers):
    app = _echo_app()
    ours = wsgi.call(app, method, path, query=wsgi.query_string(params), headers=headers, body=body)
    theirs = app.test_client().open(path, method=method, query_string={k: v for k, v in (params or {}).items()
                                                                       if v is not None},
                                    data=body, headers=headers)
    mine, werkzeugs = json.loads(ours.data), theirs.get_json()
    assert ours.status == theirs.status_code == 201
    assert ours.header("x-back") == "yes"
    for key in ("method", "path", "args", "content_type", "data", "header"):
        assert mine[key] == werkzeugs[key], key
    # The raw request target, as sent (percent-encoded), which APIAuth signs.
    assert mine["uri"] == path + ("?" + wsgi.query_string(params) if params else "")


def test_a_query_in_the_path_and_in_params_are_both_kept():
    answer = wsgi.call(_echo_app(), "GET", "/p?a=1", query="b=2")
    assert json.loads(answer.data)["args"] == {"a": ["1"], "b": ["2"]}


def test_a_signed_request_is_accepted_and_an_unsigned_one_refused():
    from kipu_harness.mocks.suite import MockSuite
    from kipu_harness.plugin_manager import make_plugin_manager

    suite = MockSuite(make_plugin_manager())
    path = "/api/patients/census"
    signed = FlaskTransport(suite.apps["emr"], DEVELOPMENT).request("GET", path, params={"phi_level": "high"})
    unsigned = FlaskTransport(suite.apps["emr"]).request("GET", path, params={"phi_level": "high"})
    assert signed.status == 200 and isinstance(signed.body, dict)
    assert unsigned.status == 401 and "problems" in unsigned.body
    manual = wsgi.call(suite.apps["emr"], "GET", path, query="phi_level=high",
                       sign=lambda environ: sign_environ(environ, DEVELOPMENT))
    assert manual.status == 200


def test_the_answer_iterable_is_closed():
    closed = []

    class Body(list):
        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("204 No Content", [("X-A", "1")])
        return Body([b"a", b"b"])

    answer = wsgi.call(app, "DELETE", "/x")
    assert (answer.status, answer.data, closed) == (204, b"ab", [True])


@pytest.mark.parametrize("raw", [
    b'{"a": [1, 2.5, "x\\u00e9"], "b": null}', b'{"n": NaN, "i": -Infinity}', b'{"big": 123456789012345678901234567890}',
    b'{"s": "\\ud800"}', b'{"a": 1, "a": 2}', b'[1, 2', b'not json', b'{"bad": "\xff"}', b'',
])
def test_a_json_answer_reads_as_the_standard_library_reads_it(raw):
    app = Flask(__name__)
    app.add_url_rule("/x", "x", lambda: (raw, 200, {"Content-Type": "application/json"}))
    text = raw.decode("utf-8", errors="replace")
    try:
        expected = json.loads(text)
    except ValueError:
        expected = None
    reply = FlaskTransport(app).request("GET", "/x")
    assert reply.text == text
    assert json.dumps(reply.body) == json.dumps(expected)  # NaN == NaN here, and the types are kept
