"""Who may change a mock, checked before any route: the request's Origin, the control token of
the routes under /_mock, and the type of a body sent to a state-changing route.

- **Origin.** A request whose ``Origin`` header is present and is not one of the mocks' own is
  refused (403), whatever its method: a web page open in a browser cannot drive the mocks. The
  mocks' own origins are the four systems' URLs as served (a mock's window may call another
  mock), with ``localhost``, ``127.0.0.1`` and ``[::1]`` standing for one another; a request
  without a served suite (in-process) is its own origin when its ``Host`` is loopback. A request
  without ``Origin`` (curl, the harness, another mock) is not judged by it.
- **Control token.** Every route under /_mock except ``GET /_mock/health`` (which says only
  "ok" and which system; a profile's preflight asks it) needs the header ``X-Kipu-Mock-Token``
  with the suite's token: missing, 401; wrong, 403. ``kipu-harness mocks up`` makes one per run
  (or takes ``--control-token``), prints it and writes it into the profile it writes.
- **Body type.** A POST, PUT, PATCH or DELETE with a body must send it as ``application/json``
  (or a ``+json`` type), except where the route's documented body is text (the RCM's HL7 route,
  the payer's X12 routes: their own types, such as ``text/plain``); else 415. A request with no
  body is not judged by it. So no HTML form (``text/plain``, ``application/x-www-form-urlencoded``,
  ``multipart/form-data``) can write to a mock.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from flask import current_app, request

from kipu_harness.events import Problem

from .base import CONTROL_PREFIX, ApiError

TOKEN_HEADER = "X-Kipu-Mock-Token"
OPEN_CONTROL = frozenset({f"{CONTROL_PREFIX}/health"})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
JSON = "application/json"


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Guard:
    """What one suite of mocks admits: its control token and its own origins."""

    token: str = field(default_factory=new_token)
    origins: set[str] = field(default_factory=set)  # "http://127.0.0.1:8101", as served

    def serve(self, urls: dict[str, str] | list[str]) -> None:
        """The suite is served at these URLs: each is an origin of its own (with its loopback aliases)."""
        for url in (urls.values() if isinstance(urls, dict) else urls):
            parts = urlsplit(url)
            # All interfaces (0.0.0.0, ::) include loopback; another address stands for itself.
            hosts = LOOPBACK if parts.hostname in LOOPBACK | {"0.0.0.0", "::"} else {parts.hostname or ""}
            for host in hosts:
                self.origins.add(_origin(parts.scheme, host, parts.port))

    def own_origin(self, origin: str) -> bool:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False  # "null" (a sandboxed page, a file), or nonsense
        wanted = _origin(parts.scheme, parts.hostname, parts.port)
        if wanted in self.origins:
            return True
        host = urlsplit(f"{request.scheme}://{request.host}")
        same = wanted == _origin(host.scheme, host.hostname or "", host.port)
        return same and (host.hostname or "") in LOOPBACK

    def token_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token.encode())


def _origin(scheme: str, host: str, port: int | None) -> str:
    host = host.lower()
    port = port or (443 if scheme == "https" else 80)
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def guard_of(app: Any) -> Guard:
    """The app's guard: the suite's, or one of its own (with a token nobody knows) for an app
    made outside a MockSuite."""
    guard = app.extensions.get("kipu_guard")  # (not setdefault: a Guard() per request costs a new token)
    return guard if guard is not None else app.extensions.setdefault("kipu_guard", Guard())


def install(app: Any) -> None:
    """Check every request of ``app`` before its route (and before its body is read as JSON)."""
    app.before_request_funcs.setdefault(None, []).append(check)


def check() -> None:
    guard = guard_of(current_app)
    origin = request.headers.get("Origin")
    if origin is not None and not guard.own_origin(origin):
        raise ApiError(403, "cross-origin request refused",
                       [Problem("Origin", f"{origin[:100]} is not one of the mocks' own origins; "
                                          "a web page cannot call the mocks")])
    if request.path.startswith(CONTROL_PREFIX + "/") and request.path not in OPEN_CONTROL:
        given = request.headers.get(TOKEN_HEADER)
        if not given:
            raise ApiError(401, "the mock control routes need the control token",
                           [Problem(TOKEN_HEADER, "missing: send the token `kipu-harness mocks up` printed "
                                                  "(also in the profile it wrote, control_token)")])
        if not guard.token_matches(given):
            raise ApiError(403, "wrong control token", [Problem(TOKEN_HEADER, "is not this suite's control token")])
    # A request no route takes (404, 405) is answered so by the routing, whatever its body.
    if request.method in STATE_CHANGING and request.routing_exception is None and _has_body():
        accepted = _accepted_types()
        mimetype = request.mimetype
        if not (mimetype in accepted or (JSON in accepted and mimetype.startswith("application/")
                                         and mimetype.endswith("+json"))):
            raise ApiError(415, "unsupported body type",
                           [Problem("Content-Type", f"{mimetype or 'none'} is not accepted here; "
                                                    f"send {' or '.join(accepted)}")])


def _has_body() -> bool:
    if request.content_length:
        return True
    if request.content_length == 0:
        return False
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower() and bool(request.get_data(cache=True))


def _accepted_types() -> tuple[str, ...]:
    """JSON, or the route's own text types (a flask-openapi3 RawModel body: HL7, X12)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return _body_types(view) if view is not None else (JSON,)


@lru_cache(maxsize=None)
def _body_types(view: Any) -> tuple[str, ...]:
    try:
        raw = get_type_hints(getattr(view, "__wrapped__", view)).get("raw")
    except Exception:  # noqa: BLE001 - a view whose hints cannot be read takes JSON
        raw = None
    return tuple(getattr(raw, "mimetypes", None) or (JSON,))


def document(spec: dict[str, Any]) -> None:
    """Say it in the OpenAPI document: the token on the control routes, 415 where a body goes."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    guarded = False
    for path, item in spec["paths"].items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if operation.get("requestBody"):
                responses.setdefault("415", {"description": "The body is not of a type this route takes",
                                             "content": error})
            if path.startswith(CONTROL_PREFIX + "/") and path not in OPEN_CONTROL:
                guarded = True
                operation["security"] = [{"MockToken": []}]
                responses.setdefault("401", {"description": f"No {TOKEN_HEADER} header", "content": error})
                responses.setdefault("403", {"description": f"A wrong {TOKEN_HEADER}", "content": error})
    if guarded:
        schemes = spec.setdefault("components", {}).setdefault("securitySchemes", {}) or {}
        schemes["MockToken"] = {"type": "apiKey", "in": "header", "name": TOKEN_HEADER,
                                "description": "the control token `kipu-harness mocks up` prints"}
        spec["components"]["securitySchemes"] = schemes
