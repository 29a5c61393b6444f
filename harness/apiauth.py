"""Kipu's API v3 request signing ("APIAuth", the scheme of the api_auth Ruby gem), for clients.

A request is signed over the canonical string ``content-type,content-md5,request-uri,date``:
the headers as sent (empty when absent), the path and query byte for byte as they go on the
wire, and the ``Date``. ``app_id`` is a query parameter of every request, so it is signed too.
The scheme prefix names the digest: ``APIAuth`` is HMAC-SHA1, ``APIAuth-HMAC-SHA256`` SHA-256.

No well-kept Python package implements this scheme (api_auth is Ruby; kipu-python's signer
signs a URI that its HTTP library then rewrites), so it is written here, against Kipu's
published test vector (tests/test_apiauth.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests

SCHEMES = {"sha1": "APIAuth", "sha256": "APIAuth-HMAC-SHA256"}
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


@dataclass(frozen=True)
class Credential:
    """An API client of a Kipu instance: who signs (access_id), with what, for which app_id."""

    access_id: str
    secret: str = field(repr=False)  # never printed by accident
    app_id: str
    digest: str = "sha1"

    def __post_init__(self) -> None:
        if self.digest not in SCHEMES:
            raise ValueError(f"digest = {self.digest!r}: expected one of {', '.join(SCHEMES)}")
        for name in ("access_id", "secret", "app_id"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must be a non-empty string")
        if ":" in self.access_id or " " in self.access_id:
            raise ValueError(f"access_id {self.access_id!r} may not hold ':' or a space (the header could not be read)")

    @property
    def scheme(self) -> str:
        return SCHEMES[self.digest]

    @classmethod
    def from_mapping(cls, values: dict[str, Any], where: str, *, secret_in_file: bool) -> "Credential":
        """From a TOML table: access_id, app_id, digest, and the secret, read from the environment
        variable ``secret_env`` names (or, where ``secret_in_file`` allows it, from ``secret``)."""
        known = {"access_id", "app_id", "digest", "secret_env"} | ({"secret"} if secret_in_file else set())
        unknown = sorted(set(values) - known)
        if "secret" in unknown:
            raise ValueError(f"{where}: never write the secret in this file: put it in an environment variable "
                             "and name the variable with secret_env")
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        missing = [k for k in ("access_id", "app_id") if not isinstance(values.get(k), str) or not values[k]]
        if missing:
            raise ValueError(f"{where}: {' and '.join(missing)} must be given (a string)")
        secret = values.get("secret")
        variable = values.get("secret_env")
        if variable is not None:
            if not isinstance(variable, str) or not variable:
                raise ValueError(f"{where}: secret_env must name an environment variable")
            secret = os.environ.get(variable)
            if not secret:
                raise ValueError(f"{where}: secret_env names {variable}, which is not set in the environment")
        if not secret:
            raise ValueError(f"{where}: the secret is missing: name its environment variable with secret_env")
        try:
            return cls(values["access_id"], secret, values["app_id"], values.get("digest", "sha1"))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


# The mocks' development credential: public on purpose, like a framework's dev secret. `mocks up`
# prints it; configure your own under [[emr_api.clients]] to replace it.
DEVELOPMENT = Credential("kipu-harness-dev", "kipu-harness-dev-secret", "kipu-harness-dev-app")


def canonical_string(content_type: str, content_md5: str, request_uri: str, date: str) -> str:
    return ",".join((content_type, content_md5, request_uri, date))


def signature(secret: str, canonical: str, digest: str = "sha1") -> str:
    mac = hmac.digest(secret.encode(), canonical.encode(), _DIGESTS[digest])  # the one-shot C path
    return base64.b64encode(mac).decode()


def content_md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 (the scheme's checksum)


def http_date() -> str:
    """Now, as RFC 1123 wants it: ``Thu, 07 Nov 2019 20:08:59 GMT``."""
    return formatdate(usegmt=True)


def authorization(credential: Credential, content_type: str, md5: str, request_uri: str, date: str) -> str:
    sig = signature(credential.secret, canonical_string(content_type, md5, request_uri, date), credential.digest)
    return f"{credential.scheme} {credential.access_id}:{sig}"


def with_app_id(query: str, app_id: str) -> str:
    """The query with ``app_id`` last, unless the caller put one in already."""
    if any(k == "app_id" for k, _ in parse_qsl(query, keep_blank_values=True)):
        return query
    return f"{query}&{urlencode({'app_id': app_id})}" if query else urlencode({"app_id": app_id})


class KipuAuth(requests.auth.AuthBase):
    """requests' hook: ``session.auth = KipuAuth(credential)`` signs every request it sends,
    over the URI and body exactly as they are prepared to go on the wire."""

    def __init__(self, credential: Credential):
        self.credential = credential

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        base, _, query = r.url.partition("?")
        r.url = f"{base}?{with_app_id(query, self.credential.app_id)}"
        body = r.body.encode() if isinstance(r.body, str) else (r.body or b"")
        date = http_date()
        r.headers["Date"] = date
        md5 = ""
        if body:
            md5 = r.headers["Content-MD5"] = content_md5(body)
        r.headers["Accept"] = "application/vnd.kipusystems+json; version=3"
        r.headers["Authorization"] = authorization(self.credential, r.headers.get("Content-Type", ""), md5,
                                                   r.path_url, date)
        return r


def sign_environ(environ: dict[str, Any], credential: Credential) -> dict[str, Any]:
    """The same signature on a WSGI environ (a Flask test client's request), in place."""
    query = with_app_id(environ.get("QUERY_STRING", ""), credential.app_id)
    path = environ.get("REQUEST_URI", "").partition("?")[0] or environ.get("PATH_INFO", "/")
    uri = f"{path}?{query}"
    environ.update(QUERY_STRING=query, REQUEST_URI=uri, RAW_URI=uri)
    stream = environ.get("wsgi.input")
    body = stream.read() if stream is not None else b""
    environ["wsgi.input"] = io.BytesIO(body)
    date = environ["HTTP_DATE"] = http_date()
    md5 = ""
    if body:
        md5 = environ["HTTP_CONTENT_MD5"] = content_md5(body)
    environ["HTTP_ACCEPT"] = "application/vnd.kipusystems+json; version=3"
    environ["HTTP_AUTHORIZATION"] = authorization(credential, environ.get("CONTENT_TYPE", ""), md5, uri, date)
    return environ
