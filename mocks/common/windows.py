"""Manage Insurance / Manage Review windows: a scoped, expiring link from the EMR into the RCM.

The EMR signs {patient, scope, expiry} with a secret it shares with the RCM; the RCM accepts the
link only for that patient, that scope, and until it expires (by the mocks' clock, so a scenario
can let it expire). No third-party token library: itsdangerous reads the wall clock, not ours.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

SCOPES = {"insurance": "Manage Insurance", "review": "Manage Review"}


class WindowRefused(Exception):
    """A link the RCM does not accept; str() says why."""


@dataclass(frozen=True)
class Window:
    emr_patient_id: str
    scope: str
    expires_at: dt.datetime


def issue(secret: bytes, emr_patient_id: str, scope: str, now: dt.datetime, ttl_minutes: int) -> tuple[str, Window]:
    window = Window(str(emr_patient_id), scope, now + dt.timedelta(minutes=ttl_minutes))
    payload = json.dumps({"p": window.emr_patient_id, "s": scope, "x": window.expires_at.isoformat()},
                         separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(secret, body)}", window


def verify(secret: bytes, token: str, *, emr_patient_id: str, scope: str, now: dt.datetime) -> Window:
    body, _, signature = (token or "").partition(".")
    # compare_digest takes only ASCII strings; anything else cannot be one of our signatures.
    if not body or not token.isascii() or not hmac.compare_digest(signature, _sign(secret, body)):
        raise WindowRefused("not a valid RCM window link")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    window = Window(data["p"], data["s"], dt.datetime.fromisoformat(data["x"]))
    if window.emr_patient_id != str(emr_patient_id):
        raise WindowRefused("this link was issued for another patient")
    if window.scope != scope:
        raise WindowRefused(f"this link was issued for {SCOPES[window.scope]}, not {SCOPES[scope]}")
    if now >= window.expires_at:
        raise WindowRefused(f"this link expired at {window.expires_at.isoformat()}: open it again from the EMR")
    return window


def _sign(secret: bytes, body: str) -> str:
    digest = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
