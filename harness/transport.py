"""How a client reaches a system: a Flask test client in-process, or HTTP to a base URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from . import evidence, wsgi
from .apiauth import Credential, KipuAuth, sign_environ


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    text: str

    @property
    def ok(self) -> bool:
        return self.status < 400


class Transport(Protocol):
    def request(self, method: str, path: str, *, json_body: Any = None, params: dict | None = None,
                text: str | None = None, headers: dict | None = None) -> Reply: ...


def signing_client(app: Any, credential: Credential | None) -> Any:
    """A Flask test client for ``app`` that signs every request with ``credential`` (Kipu's
    APIAuth), as a real client on the wire would; ``None``: a plain test client."""
    from flask import Request
    from flask.testing import FlaskClient

    if credential is None:
        return app.test_client()

    class SigningClient(FlaskClient):
        def open(self, *args: Any, buffered: bool = False, follow_redirects: bool = False, **kwargs: Any) -> Any:
            if args and isinstance(args[0], Request):
                request = args[0]
            else:
                request = self._request_from_builder_args(args, kwargs)  # what FlaskClient.open does
            sign_environ(request.environ, credential)
            return super().open(request, buffered=buffered, follow_redirects=follow_redirects)

    return SigningClient(app, app.response_class, use_cookies=True)


class FlaskTransport:
    """The app in-process (harness/wsgi.py): the same routes and environ a server gives it, signed
    with ``credential`` (Kipu's APIAuth) as a real client on the wire would be."""

    def __init__(self, app: Any, credential: Credential | None = None, system: str = ""):
        self._app = app
        self.system = system or getattr(app, "name", "")  # as the scenario's evidence names it
        self._sign = (lambda environ: sign_environ(environ, credential)) if credential else None

    def request(self, method, path, *, json_body=None, params=None, text=None, headers=None) -> Reply:
        headers = dict(headers or {})
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif text is not None:
            body = text.encode()
            headers["Content-Type"] = "text/plain; charset=utf-8"
        answer = wsgi.call(self._app, method, path, query=wsgi.query_string(params), headers=headers,
                           body=body, sign=self._sign)
        text_out = answer.data.decode("utf-8", errors="replace")
        if evidence.recording():
            evidence.http_call(self.system, method, path, params, json_body if json_body is not None else text,
                               answer.status, text_out)
        try:
            parsed = json.loads(text_out) if "json" in (answer.header("Content-Type") or "") else None
        except ValueError:
            parsed = None
        return Reply(answer.status, parsed, text_out)


class HttpTransport:
    def __init__(self, base_url: str, timeout: float = 15.0, credential: Credential | None = None,
                 system: str = ""):
        self.base_url = base_url.rstrip("/")
        self.system = system or self.base_url  # as the scenario's evidence names it
        self._session = requests.Session()
        if credential is not None:
            self._session.auth = KipuAuth(credential)  # every request signed as it goes on the wire
        self._timeout = timeout

    def request(self, method, path, *, json_body=None, params=None, text=None, headers=None) -> Reply:
        kwargs: dict[str, Any] = {"params": params, "timeout": self._timeout, "headers": dict(headers or {})}
        if json_body is not None:
            kwargs["json"] = json_body
        elif text is not None:
            kwargs.update(data=text.encode())
            kwargs["headers"]["Content-Type"] = "text/plain"
        sent = json_body if json_body is not None else text
        try:
            response = self._session.request(method, self.base_url + path, **kwargs)
        except requests.RequestException:
            evidence.http_call(self.system, method, path, params, sent, None, "")
            raise
        evidence.http_call(self.system, method, path, params, sent, response.status_code, response.text)
        try:
            body = response.json()
        except ValueError:
            body = None
        return Reply(response.status_code, body, response.text)


CONTROL_TOKEN_HEADER = "X-Kipu-Mock-Token"  # what the mocks' /_mock routes need (mocks/common/guard.py)


class WithHeaders:
    """A transport that adds these headers to every request (the mocks' control token, say)."""

    def __init__(self, transport: Transport, headers: dict[str, str]):
        self._transport, self._headers = transport, dict(headers)

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        kwargs["headers"] = {**(kwargs.get("headers") or {}), **self._headers}
        return self._transport.request(method, path, **kwargs)
