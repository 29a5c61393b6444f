"""How a client reaches a system: a Flask test client in-process, or HTTP to a base URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import requests


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


class FlaskTransport:
    def __init__(self, app: Any):
        self._client = app.test_client()

    def request(self, method, path, *, json_body=None, params=None, text=None, headers=None) -> Reply:
        kwargs: dict[str, Any] = {"query_string": params or {}, "headers": headers or {}}
        if json_body is not None:
            kwargs.update(data=json.dumps(json_body), content_type="application/json")
        elif text is not None:
            kwargs.update(data=text, content_type="text/plain")
        response = self._client.open(path, method=method, **kwargs)
        text_out = response.get_data(as_text=True)
        return Reply(response.status_code, response.get_json(silent=True), text_out)


class HttpTransport:
    def __init__(self, base_url: str, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._timeout = timeout

    def request(self, method, path, *, json_body=None, params=None, text=None, headers=None) -> Reply:
        kwargs: dict[str, Any] = {"params": params, "timeout": self._timeout, "headers": dict(headers or {})}
        if json_body is not None:
            kwargs["json"] = json_body
        elif text is not None:
            kwargs.update(data=text.encode())
            kwargs["headers"]["Content-Type"] = "text/plain"
        response = self._session.request(method, self.base_url + path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        return Reply(response.status_code, body, response.text)
