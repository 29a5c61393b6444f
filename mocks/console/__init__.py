"""The console: one page that shows the mock CRM, EMR, RCM and payer side by side (their people and
each one's state, their outboxes, the mocks' clock) above a live feed of every message between
them. ``kipu-harness mocks up`` serves it on its own port (``--console-port``, default 8100).

A static page (``static/``: HTML, CSS and JS, nothing fetched from beyond the console) polls two
JSON routes read straight from the suite's stores:

- ``GET /api/state[?limit=N]``: each system's newest N people (default 50), outbox counts and
  rows, its URLs (and where its traffic goes when it is sent elsewhere), the clock.
- ``GET /api/feed[?after=CURSOR][&limit=N]``: the journal entries after the cursor (feed.py).

Read-only: nothing here changes a mock. Every SSN is masked. A request whose ``Origin`` is not the
console's own is refused, and so, when the console listens on loopback, is a ``Host`` that is not
a loopback name (a page that rebinds its own name to 127.0.0.1 cannot read it). Bad input is a 4xx
with the mocks' error shape, never a 5xx.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from .feed import BadQuery, feed, parse_cursor
from .views import state

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})
POLL_SECONDS = 1.0
# Nothing but the console itself: no CDN, no font, no beacon; links to the mocks are navigations.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class Refused(Exception):
    def __init__(self, status: int, message: str, field: str, problem: str):
        super().__init__(message)
        self.status, self.message, self.field, self.problem = status, message, field, problem


def create_app(suite: Any, *, urls: dict[str, str], elsewhere: dict[str, str] | None = None,
               mllp: tuple[str, int] | None = None, host: str = "127.0.0.1") -> Flask:
    """The console of ``suite``, whose systems are served at ``urls`` (a system in ``elsewhere``
    has its traffic sent to that URL instead); ``host``: where the console listens."""
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 0
    elsewhere = dict(elsewhere or {})
    bound = host.strip("[]").lower()
    hosts = None if bound in ALL_INTERFACES else LOOPBACK | {bound}

    @app.before_request
    def guard() -> None:
        name = (urlsplit(f"//{request.host}").hostname or "").lower()
        if hosts is not None and name not in hosts:
            raise Refused(403, "not the console's own host", "Host",
                          f"{request.host[:100]} is not a name of this machine's console")
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/").lower() != f"{request.scheme}://{request.host}".lower():
            raise Refused(403, "cross-origin request refused", "Origin",
                          f"{origin[:100]} is not the console's own origin; the console answers only its page")

    @app.get("/")
    def page() -> Any:
        return app.send_static_file("console.html")

    @app.get("/api/state")
    def state_json() -> Any:
        limit = _query({"limit"}).get("limit")
        return jsonify(state(suite, urls, elsewhere, mllp, _number("limit", limit, 50, 500)))

    @app.get("/api/feed")
    def feed_json() -> Any:
        query = _query({"after", "limit"})
        stores = {s: c.store for s, c in suite.contexts.items()}
        answer = feed(stores, parse_cursor(query.get("after")), _number("limit", query.get("limit"), 200, 1000))
        return jsonify({**answer, "poll_seconds": POLL_SECONDS})

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> Any:
        return _error(exc.status, exc.message, exc.field, exc.problem)

    @app.errorhandler(BadQuery)
    def bad_query(exc: BadQuery) -> Any:
        return _error(422, "bad query parameter", exc.field, exc.problem)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        where = "method" if exc.code == 405 else "path"
        return _error(exc.code or 500, exc.name.lower(), where, f"{request.method} {request.path[:100]}: {exc.name}")

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _query(known: set[str]) -> dict[str, str]:
    """The query's parameters, each at most once, none unknown (BadQuery otherwise)."""
    for name in request.args:
        if name not in known:
            raise BadQuery(name, f"unknown parameter; this route takes {', '.join(sorted(known))}")
        if len(request.args.getlist(name)) > 1:
            raise BadQuery(name, "is given more than once")
    return request.args.to_dict()


def _number(name: str, text: str | None, default: int, most: int) -> int:
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= most):
        raise BadQuery(name, f"{text[:40]!r} is not a whole number from 1 to {most}")
    return int(text)


def _error(status: int, message: str, field: str, problem: str) -> Any:
    response = jsonify({"errors": message, "status_code": status, "problems": [{"field": field, "problem": problem}]})
    response.status_code = status
    return response
