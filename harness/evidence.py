"""What a scenario exchanged with the systems, kept for its report: the evidence a vendor reads
when a rule fails.

Two sources, each in its own order:

- the harness's own calls (``source="harness"``): every request a built-in transport sent to a
  system's API for the scenario, with the answer, as the harness saw them on the wire;
- the systems' journals (``source="journal"``, mock-only, capability ``journal``): what each
  system received and sent meanwhile, HL7 with its acknowledgement, X12 270/271/837/999/277CA,
  the JSON pushed between systems.

Only one scenario runs at a time in a pytest process, so the recording is a module-level list
that the pytest plugin opens before a scenario and closes after it; with nothing open, recording
is a no-op. Every text is SSN-masked when it is kept and cut to :data:`MAX_TEXT` characters.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from .phi import mask_ssn

MAX_TEXT = 4000  # characters of a body kept; an 837 of a long stay runs longer than that
MAX_MESSAGES = 200  # per scenario; the rest is counted, not kept
_recording: list["Message"] | None = None
_dropped = 0


@dataclass(frozen=True)
class Message:
    source: str  # harness (a call the harness made) or journal (a system's own record)
    system: str  # the system called, or whose journal it is
    channel: str  # http, hl7, x12, integration, billing
    summary: str  # "POST /api/patients -> 201", "A01 applied (AA)", "837 received", ...
    request: str = ""
    response: str = ""
    failed: bool = False  # an HTTP status of 400 or more, an HL7 AE/AR, an X12 rejection
    repeat: int = 1  # the same call with the same answer, this many times in a row (a step polling)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Message":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def start() -> None:
    global _recording, _dropped
    _recording, _dropped = [], 0


def stop() -> tuple[list[Message], int]:
    """What was recorded since :func:`start`, and how many messages were left out past the limit."""
    global _recording, _dropped
    kept, dropped = _recording or [], _dropped
    _recording, _dropped = None, 0
    return kept, dropped


def recording() -> bool:
    return _recording is not None


def add(message: Message) -> None:
    global _dropped
    if _recording is None:
        return
    if _recording and dataclasses.replace(_recording[-1], repeat=1) == message:  # polled: counted, kept once
        _recording[-1] = dataclasses.replace(_recording[-1], repeat=_recording[-1].repeat + 1)
        return
    if len(_recording) >= MAX_MESSAGES:
        _dropped += 1
        return
    _recording.append(message)


def clip(text: Any) -> str:
    """A body as the report keeps it: text, SSNs masked, at most MAX_TEXT characters."""
    if text is None or text == "":
        return ""
    if not isinstance(text, str):
        text = json.dumps(text, indent=1, default=str)
    text = mask_ssn(text)
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT} more characters)"
    return text


def http_call(system: str, method: str, path: str, params: dict | None, body: Any, status: int | None,
              answer: str) -> None:
    """One call of the harness to a system's API. The mocks' control routes (/_mock) are the
    harness's own plumbing (reset, journal reads), not evidence."""
    if _recording is None or path.startswith("/_mock"):
        return
    from .wsgi import query_string

    query = query_string(params)  # as the journal of the system called writes it
    target = path + (f"?{query}" if query else "")
    shown = "no answer" if status is None else str(status)
    add(Message("harness", system, "http", f"{method} {target} -> {shown}", clip(body), clip(answer),
                failed=status is None or status >= 400))


# A journal summary that reports a refusal: an HL7 AE/AR, an X12 rejection, a delivery that failed.
_FAILED = re.compile(r"^(AE|AR)\b|rejected|refused|failed|unreachable|no 277CA", re.IGNORECASE)


def journal_entry(system: str, entry: dict[str, Any]) -> Message:
    """A system's journal entry as evidence."""
    summary = mask_ssn(str(entry.get("summary", "")))
    failed = bool(_FAILED.search(summary))
    if entry.get("channel") == "http":
        status = summary.rpartition("-> ")[2]
        failed = status.isdigit() and int(status) >= 400
    return Message("journal", system, str(entry.get("channel", "")), summary, clip(entry.get("body", "")),
                   failed=failed)


def journal_messages(journals: dict[str, list[dict[str, Any]]], calls: list[Message]) -> list[Message]:
    """Each system's journal entries (those of the scenario), in order, less the HTTP entries that
    only record a call the harness made itself (already shown, with its bodies): one journal entry
    is dropped per matching call, matched by method, path (its query aside: a signed call's journal
    line adds the API client's app_id) and status. A run of identical entries is kept once, counted."""
    mine: dict[tuple[str, str], int] = {}
    for call in calls:
        if call.channel == "http":
            key = (call.system, _unqueried(call.summary))
            mine[key] = mine.get(key, 0) + call.repeat
    found: list[Message] = []
    for system, entries in journals.items():
        for entry in entries:
            message = journal_entry(system, entry)
            key = (system, _unqueried(message.summary))
            if message.channel == "http" and mine.get(key):
                mine[key] -= 1
                continue
            if found and dataclasses.replace(found[-1], repeat=1) == message:
                found[-1] = dataclasses.replace(found[-1], repeat=found[-1].repeat + 1)
            else:
                found.append(message)
    return found


def _unqueried(summary: str) -> str:
    """``GET /rcm/patients?x=1 -> 200`` as ``GET /rcm/patients -> 200``."""
    head, arrow, status = summary.partition(" -> ")
    return head.partition("?")[0] + arrow + status
