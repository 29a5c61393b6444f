"""What a write answers besides its record: the state of the messages it queued (``delivery``),
and the same answer again for a client's retry (``Idempotency-Key``).

``Idempotency-Key`` (any POST of a system's API; the control routes under /_mock ignore it): 1 to
255 visible ASCII characters, chosen by the client, one per intended request. The first request
with a key is handled; its answer (status and body) is kept when it succeeded, or when it wrote
anything at all. The same key with the same request (method, path and query, ``X-Kipu-User``,
and body, compared as JSON) again gets that answer, with ``Idempotent-Replayed: true``, and writes
nothing. The same key with another request is a 422 naming ``Idempotency-Key``. A refusal that
wrote nothing keeps nothing: the client may correct the body and use the key again.

Atomicity: the key is claimed inside the write's own transaction (SystemContext.in_write), so
the record and the claim commit together or not at all. A retry that arrives while the first
request is still being answered, or after a crash between the commit and the answer, finds the
claim without an answer and gets a 409 naming the record made, never a second record.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from flask import Response, current_app, g, has_request_context, request

from kipu_harness.events import Problem

from .base import CONTROL_PREFIX, ApiError, SystemContext
from .store import Tx

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
REPLAYED = "Idempotent-Replayed"
IN_USE = ("Refused (among other reasons): the Idempotency-Key is in use by a request not yet answered, "
          "or one that wrote but whose answer was lost")

OPENAPI_PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "description": "Makes a retry safe: the same key with the same request returns the first answer "
                   "(status and body) and writes nothing; with another request it is a 422. "
                   "1 to 255 visible ASCII characters, one per intended request (a UUID, say).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$"},
}


def install(app: Any, context: SystemContext) -> None:
    """Register the key's check before each request, and its keeping (with ``delivery``) after."""
    in_flight: set[str] = set()
    guard = threading.Lock()
    context.in_write.append(_claim)

    @app.before_request
    def replay() -> Response | None:
        if request.method != "POST" or request.path.startswith(CONTROL_PREFIX):
            return None
        key = request.headers.get(HEADER)
        if key is None:
            return None
        if not _KEY.fullmatch(key):
            raise ApiError(422, f"invalid {HEADER}",
                           [Problem(HEADER, "must be 1 to 255 visible ASCII characters (no spaces)")])
        fingerprint = _fingerprint()
        with context.store.read() as tx:
            kept = tx.idempotent(key)
        if kept is None:
            with guard:
                if key in in_flight:
                    raise _busy(key)
                in_flight.add(key)
            g.kipu_idempotency = (key, fingerprint)
            return None
        if kept["fingerprint"] != fingerprint:
            raise ApiError(422, f"{HEADER} already used for another request",
                           [Problem(HEADER, "was first sent with another method, path, user or body: "
                                            "use a new key for a new request")])
        if kept["status"] is None:
            raise _busy(key, kept["record"])
        answer = json.loads(kept["answer"])
        g.kipu_replayed = True
        response = Response(answer["body"], status=kept["status"], mimetype=answer["mimetype"])
        response.headers[REPLAYED] = "true"
        return response

    @app.after_request
    def keep(response: Response) -> Response:
        if g.get("kipu_replayed"):
            return response
        ids = g.get("kipu_outbox")
        if ids and 200 <= response.status_code < 300:
            _add_delivery(response, context.outbox.summary(ids))
        claim = g.get("kipu_idempotency")
        if claim is not None and (200 <= response.status_code < 300 or g.get("kipu_claimed")):
            key, fingerprint = claim
            answer = json.dumps({"mimetype": response.mimetype, "body": response.get_data(as_text=True)})
            with context.store.transaction() as tx:
                tx.keep_idempotent(key, fingerprint, status=response.status_code, answer=answer)
        return response

    @app.teardown_request
    def release(_exc: BaseException | None) -> None:
        claim = g.get("kipu_idempotency")
        if claim is not None:
            with guard:
                in_flight.discard(claim[0])


def _claim(tx: Tx, record: dict[str, Any], kind: str | None) -> None:
    """Inside a write's transaction: the key is taken by this request, with the record it made."""
    if not has_request_context() or g.get("kipu_claimed"):
        return
    claim = g.get("kipu_idempotency")
    if claim is None:
        return
    key, fingerprint = claim
    if tx.idempotent(key) is not None:  # taken since the check (another process on the same file)
        raise _busy(key)
    made = f"{kind} {record['id']}" if kind and isinstance(record, dict) and "id" in record else "a record"
    tx.keep_idempotent(key, fingerprint, record=made)
    g.kipu_claimed = True


def _busy(key: str, record: str | None = None) -> ApiError:
    if record:
        why = (f"a request with this key made {record} but its answer was not kept (still being answered, "
               "or the system stopped before it could answer): read the record instead of creating it again")
    else:
        why = "a request with this key is being handled: retry when it has been answered"
    return ApiError(409, f"{HEADER} in use", [Problem(HEADER, why)])


def _fingerprint() -> str:
    """The request a key stands for: method, path and query, user, and body (as JSON if it is)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except ValueError:
        body = raw
    parts = [request.method.encode(), request.full_path.rstrip("?").encode(),
             request.headers.get("X-Kipu-User", "").encode(), body]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def _add_delivery(response: Response, delivery: dict[str, Any]) -> None:
    """``"delivery": {destination: {"state": ...}}`` in a JSON object answer."""
    if not delivery or not response.is_json or response.direct_passthrough:
        return
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return
    body["delivery"] = delivery
    response.set_data(current_app.json.dumps(body) + "\n")
