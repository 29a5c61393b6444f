"""APIAuth on the mock EMR's Kipu API, verified as Kipu's scheme (the api_auth gem) does.

Every ``/api`` route needs it; the systems' integration webhooks (``/api/integrations``) and the
mock's control routes keep their own protection. Checked in this order, each failure answered
with the body Kipu sends (``{"errors", "status_code"}``, plus ``problems`` naming the field):

1. ``Authorization`` is ``APIAuth`` (HMAC-SHA1) or ``APIAuth-HMAC-SHA256`` ``{access_id}:{sig}``
   and names a known client: else 401 "API Client app not found".
2. ``app_id`` is in the query and is the client's: else 403 "Invalid or Missing Recipient".
3. ``X-Auth-Date`` (or ``Date``) is an HTTP date within the skew window of the real time;
   ``Content-MD5``, when sent, is the body's; the signature over the headers as received and
   the raw request URI matches, compared in constant time: else 403 "failed to authenticate".
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote

from flask import Flask, request

from kipu_harness.apiauth import DEVELOPMENT, Credential, canonical_string, content_md5, signature
from kipu_harness.events import Problem

from ..common.base import ApiError

_HEADER = re.compile(r"^APIAuth(?:-HMAC-(SHA1|SHA256))? ([^:\s]+):(\S+)$")
NOT_FOUND = "Access Denied - API Client app not found"
NO_RECIPIENT = "Access Denied - Invalid or Missing Recipient"
FAILED = "Access Denied - API Client app failed to authenticate"
OPEN_PREFIXES = ("/api/integrations/",)


@dataclass(frozen=True)
class EmrApiAuth:
    """Who may call the mock EMR's Kipu API: its clients, and how far a request's date may be
    from now. ``enabled=False`` (``mocks up --no-auth``) opens the API for exploring with curl."""

    credentials: tuple[Credential, ...] = (DEVELOPMENT,)
    skew_seconds: int = 900  # api_auth's default; Kipu documents none
    enabled: bool = True
    _by_id: dict[str, Credential] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = [c.access_id for c in self.credentials]
        if len(set(ids)) != len(ids):
            raise ValueError("[emr_api] the same access_id is configured twice")
        if self.enabled and not self.credentials:
            raise ValueError("[emr_api] no clients: configure one, or serve with --no-auth")
        object.__setattr__(self, "_by_id", {c.access_id: c for c in self.credentials})

    @property
    def signer(self) -> Credential | None:
        """The credential the harness's own in-process callers sign with (None: no auth)."""
        return self.credentials[0] if self.enabled and self.credentials else None

    def client(self, access_id: str) -> Credential | None:
        return self._by_id.get(access_id)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> "EmrApiAuth":
        """The ``[emr_api]`` table of the mocks' config: ``skew_seconds`` and ``[[emr_api.clients]]``
        (access_id, app_id, digest, and the secret as ``secret`` or ``secret_env``)."""
        unknown = sorted(set(values) - {"skew_seconds", "clients"})
        if unknown:
            raise ValueError(f"[emr_api] has unknown key(s): {', '.join(unknown)}; known: clients, skew_seconds")
        skew = values.get("skew_seconds", 900)
        if isinstance(skew, bool) or not isinstance(skew, int) or skew < 0:
            raise ValueError(f"[emr_api] skew_seconds = {skew!r}: expected a whole number of seconds, 0 or more")
        clients = values.get("clients")
        if clients is None:
            return cls(skew_seconds=skew)
        if not isinstance(clients, list) or not clients or not all(isinstance(c, dict) for c in clients):
            raise ValueError("[emr_api] clients: expected one or more [[emr_api.clients]] tables")
        # The server side has to know the secret; a mock's config file may hold it.
        return cls(tuple(Credential.from_mapping(c, f"[[emr_api.clients]] #{i}", secret_in_file=True)
                         for i, c in enumerate(clients, 1)), skew)


def raw_uri(environ: dict[str, Any]) -> str:
    """The request's path and query as sent: the server's raw request line when it keeps one."""
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if uri:
        return uri
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/;=,:@!$&'()*+~-._")
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def verify(auth: EmrApiAuth, environ: dict[str, Any], headers: Any, body: bytes) -> None:
    """Refuse the request (ApiError) unless it is signed by a known client for its app_id."""
    match = _HEADER.match(headers.get("Authorization", "").strip())
    if not match:
        why = "is missing" if "Authorization" not in headers else "is not 'APIAuth access_id:signature'"
        raise ApiError(401, NOT_FOUND, [Problem("Authorization", why)])
    algorithm, access_id, given = match.groups()
    credential = auth.client(access_id)
    if credential is None:
        raise ApiError(401, NOT_FOUND, [Problem("Authorization", f"access id {access_id!r} is not a client")])
    uri = raw_uri(environ)
    app_ids = [v for k, v in parse_qsl(uri.partition("?")[2], keep_blank_values=True) if k == "app_id"]
    if not app_ids or any(not hmac.compare_digest(a.encode(), credential.app_id.encode()) for a in app_ids):
        why = "is missing from the query" if not app_ids else "is not this client's app"
        raise ApiError(403, NO_RECIPIENT, [Problem("app_id", why)])
    date = headers.get("X-Auth-Date") or headers.get("Date") or ""
    _check_date(date, auth.skew_seconds)
    md5 = headers.get("Content-MD5", "")
    if md5 and not hmac.compare_digest(md5.encode(), content_md5(body).encode()):
        raise ApiError(403, FAILED, [Problem("Content-MD5", "is not the MD5 of the body")])
    # The digest is the scheme's: a SHA-256 signature under bare "APIAuth" is checked as SHA-1.
    digest = (algorithm or "SHA1").lower()
    canonical = canonical_string(headers.get("Content-Type", ""), md5, uri, date)
    expected = signature(credential.secret, canonical, digest)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, FAILED, [Problem("Authorization", "the signature does not match the request")])


@lru_cache(maxsize=256)
def _seconds(date: str) -> float | None:
    """An HTTP date as a POSIX time, None if it is none (a client's requests within a second
    share their Date, and so this parse)."""
    try:
        return parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _check_date(date: str, skew: int) -> None:
    if not date:
        raise ApiError(403, FAILED, [Problem("Date", "is missing (send Date or X-Auth-Date)")])
    sent = _seconds(date)
    if sent is None:
        raise ApiError(403, FAILED, [Problem("Date", "is not an HTTP date (Thu, 07 Nov 2019 20:08:59 GMT)")])
    off = sent - time.time()  # real time, not the mocks' pinned clock: this is about the wire
    if abs(off) > skew:
        raise ApiError(403, FAILED, [Problem("Date", f"is {abs(off):.0f} s {'ahead of' if off > 0 else 'behind'} "
                                                     f"the server's clock (at most {skew} s allowed)")])


def protect(app: Flask, auth: EmrApiAuth) -> None:
    """Check every Kipu API request before anything else reads it."""
    if not auth.enabled:
        return

    def check() -> None:
        path = request.path
        if path.startswith("/api/") and not path.startswith(OPEN_PREFIXES):
            verify(auth, request.environ, request.headers, request.get_data(cache=True))

    app.before_request_funcs.setdefault(None, []).insert(0, check)
