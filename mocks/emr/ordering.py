"""The order and identity of what the RCM's integration posts to the EMR (its Insurance Set, U/R and
payer-list webhooks): each list is applied in the order the RCM saved it, each body at most once.

On the wire: every body carries ``sequence``, the RCM's number for that list (1, 2, 3... per RCM
patient for insurances and for U/R, one count for the payer list), given in the RCM's transaction
as the body is queued (``EventContext.next_sequence``). For one EMR patient (or the payer list):

- a sequence above the last applied is applied and becomes the last;
- the last applied one again with the same body is a duplicate: 200, applied once;
- the last applied one again with another body is refused: 409 naming ``sequence``, journaled;
- a lower one is older than what the EMR holds: 200, not applied ("stale, not applied").

A body without ``sequence`` (an older sender, a developer's curl) is applied as it comes. No body
ever needs an earlier one, so none is answered 503 "try later": each carries the whole list (the
mirror becomes exactly it), and the EMR patient it names exists before the RCM can know its id
(from the EMR's own ADT).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from kipu_harness.events import Problem

from ..common.base import ApiError, ctx
from ..common.store import Tx


class Reused(ApiError):
    """A sequence number already applied, sent again with another body."""


def digest(body: Any) -> str:
    content = json.dumps(body.model_dump(mode="json", exclude={"sequence"}), sort_keys=True)
    return "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest()


def judge(tx: Tx, stream: str, key: int, body: Any) -> str:
    """"" to apply ``body`` (recording it as the last applied), else why it is not applied."""
    sequence = body.sequence
    if sequence is None:
        return ""
    kind, seen = f"applied:{stream}", digest(body)
    last = tx.get(kind, key)
    if last is None or sequence > last["sequence"]:
        tx.put(kind, {"id": key, "sequence": sequence, "digest": seen})
        return ""
    if sequence < last["sequence"]:
        return f"sequence {sequence} stale, not applied ({last['sequence']} applied)"
    if seen == last["digest"]:
        return f"sequence {sequence} duplicate (already applied)"
    raise Reused(409, f"sequence {sequence} was already applied with another body; refused",
                 [Problem("sequence", f"{sequence} was already applied with different content")])


def write_in_order(stream: str, key: int, body: Any, change: Callable[[Tx], dict[str, Any]], event: str | None,
                   held: Callable[[Tx], int]) -> int | None:
    """Apply ``change`` if ``body`` is next for ``key``: None when applied, else how many records
    the mirror holds (``held``), unchanged. The outcome is journaled on channel ``integration``."""
    context = ctx()
    where = f"{stream} of {'EMR patient ' + str(key) if stream != 'payors' else 'the RCM'}"

    def ordered(tx: Tx) -> dict[str, Any]:
        why = judge(tx, stream, key, body)
        return {"skipped": why, "held": held(tx)} if why else change(tx)

    try:
        outcome, _ = context.write(ordered, event)
    except Reused as refused:
        context.journal("integration", f"{where}: {refused.message}")
        raise
    if "skipped" in outcome:
        context.journal("integration", f"{where}: {outcome['skipped']}")
        return outcome["held"]
    context.journal("integration", f"{where}: applied" + ("" if body.sequence is None else f" (sequence {body.sequence})"))
    return None
