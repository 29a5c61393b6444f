"""The console's feed: every system's journal merged, each entry read as a message between two
systems (who sent it to whom, what it is, how it ended), polled with a cursor of the last id seen
per system.

The cursor is ``crm:12,emr:40,rcm:33,payer:0``: one ``SYSTEM:ID`` per system (a system left out
is 0, from its first entry); the answer gives the next one. Without a cursor the feed starts with
the last entries of each journal. A journal that was reset (its last id below the cursor's) starts
again from its first entry, and the answer names it in ``reset``.
"""

from __future__ import annotations

import re
from typing import Any

from kipu_harness.phi import mask_data

SYSTEMS = ("crm", "emr", "rcm", "payer")
BODY_LIMIT = 4000  # characters of an entry's body the feed carries (an 837 can be long)
MAX_ID = 2**62

# Who calls which route of another system (the integration's traffic; anything else is a client's).
_SENDERS = (("/rcm/prospects", "crm"), ("/api/integrations/crm/", "crm"), ("/api/integrations/rcm/", "rcm"),
            ("/rcm/hl7", "emr"), ("/rcm/charges/batch", "emr"), ("/payer/x12/", "rcm"), ("/clearinghouse/x12/", "rcm"))
_HTTP = re.compile(r"^(?P<method>[A-Z]+) (?P<path>\S+) -> (?P<status>\d{3})$")
_ACK_CODES = ("AA", "AE", "AR", "CA", "CE", "CR")
_FAILED = re.compile(r"\b(?:rejected|refused|unreachable|failed|not sent)\b|^no ", re.IGNORECASE)
_X12_KINDS = (("999 and 277CA", "999+277CA"), ("277CA", "277CA"), ("270", "270"), ("271", "271"), ("837", "837"),
              ("999", "999"), ("no 277CA", "277CA"))
_CLAIM_FORMATS = {"005010X222A1": "837P", "005010X223A2": "837I"}


class BadQuery(ValueError):
    """A query parameter the feed cannot read: ``field`` and what is wrong with it."""

    def __init__(self, field: str, problem: str):
        super().__init__(problem)
        self.field, self.problem = field, problem


def parse_cursor(text: str | None) -> dict[str, int] | None:
    """``crm:12,emr:40`` as {system: id}; None for no cursor. Raises :class:`BadQuery`."""
    if text is None:
        return None
    cursor: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        system, colon, number = part.partition(":")
        if not colon or system not in SYSTEMS or not re.fullmatch(r"[0-9]{1,19}", number):
            raise BadQuery("after", f"{part[:40]!r} is not SYSTEM:ID (a system of {', '.join(SYSTEMS)}, "
                                    "an id of digits), e.g. crm:12,emr:40,rcm:33,payer:0")
        if system in cursor:
            raise BadQuery("after", f"{system} is given twice")
        if int(number) > MAX_ID:
            raise BadQuery("after", f"{system}:{number} is past any journal id")
        cursor[system] = int(number)
    return cursor


def feed(stores: dict[str, Any], cursor: dict[str, int] | None, limit: int) -> dict[str, Any]:
    """The entries after ``cursor`` (at most ``limit`` per system), merged by time, each read as a
    message; the next cursor; ``more``: a journal had more than ``limit`` new entries."""
    entries, after, reset, more = [], {}, [], False
    for system in SYSTEMS:
        since = None if cursor is None else cursor.get(system, 0)
        rows, last = stores[system].journal_since(since, limit)
        if since is not None and since > last:  # the journal was emptied (POST /_mock/reset)
            reset.append(system)
            rows, last = stores[system].journal_since(0, limit)
        more = more or (since is not None and len(rows) == limit and rows[-1]["id"] < last)
        after[system] = rows[-1]["id"] if rows else (last if cursor is None else min(since or 0, last))
        entries += [read_entry(system, row) for row in rows]
    entries.sort(key=lambda e: (e["at"], SYSTEMS.index(e["system"]), e["id"]))
    cursor_text = ",".join(f"{s}:{after[s]}" for s in SYSTEMS)
    return mask_data({"entries": entries, "cursor": cursor_text, "reset": reset, "more": more})


def read_entry(system: str, row: dict[str, Any]) -> dict[str, Any]:
    """One journal entry of ``system`` as the feed shows it."""
    channel, summary, body = row["channel"], row["summary"], row["body"] or ""
    entry = {"system": system, "id": row["id"], "at": row["at"], "channel": channel, "summary": summary,
             "from": None, "to": system, "kind": channel.upper(), "outcome": None, "control_id": None,
             "failed": bool(_FAILED.search(summary)), "body": body[:BODY_LIMIT], "truncated": len(body) > BODY_LIMIT}
    reader = {"http": _http, "hl7": _hl7, "x12": _x12, "billing": _billing}.get(channel)
    if reader is not None:
        reader(entry, system, summary, body)
    return entry


def _http(entry: dict[str, Any], system: str, summary: str, body: str) -> None:
    found = _HTTP.match(summary)
    if not found:
        return
    path = found["path"].split("?", 1)[0]
    entry["from"] = next((sender for prefix, sender in _SENDERS if path.startswith(prefix)), "client")
    entry["kind"] = f"HTTP {found['method']}"
    entry["outcome"] = found["status"]
    entry["failed"] = int(found["status"]) >= 400


def _hl7(entry: dict[str, Any], system: str, summary: str, body: str) -> None:
    """The RCM journals each message it receives ("received", the text) and how it answered
    (the ACK's code first, the ACK itself as the body)."""
    if summary == "received":
        msh = _segment(body, "MSH")
        entry.update({"from": "emr", "kind": "HL7 " + "^".join(_field(msh, 9).split("^")[:2]).strip("^") if msh
                      else "HL7 (unreadable)", "control_id": _field(msh, 10) or None})
        return
    code = summary.split(" ", 1)[0]
    if code in _ACK_CODES:
        msa = _segment(body, "MSA")
        entry.update({"from": system, "to": "emr", "kind": "HL7 ACK", "outcome": code, "failed": code[1] != "A",
                      "control_id": _field(msa, 2) or None})


def _x12(entry: dict[str, Any], system: str, summary: str, body: str) -> None:
    kind = next((k for prefix, k in _X12_KINDS if summary.startswith(prefix)), "X12")
    if kind == "837":
        kind = next((f for version, f in _CLAIM_FORMATS.items() if version in body), kind)
    # What the RCM sends (270, 837) goes to the payer; what the payer sends (271, 999, 277CA) to the RCM.
    outbound = kind in ("270", "837", "837P", "837I")
    entry.update({"kind": f"X12 {kind}", "from": "rcm" if outbound else "payer", "to": "payer" if outbound else "rcm"})
    if "rejected" in summary:  # the payer's verdict: its 999 or its refusal goes back to the RCM
        entry.update({"from": "payer", "to": "rcm"})
    if kind == "999+277CA" and re.search(r"AK9\*[RP]\*", body):
        entry["failed"] = True
    entry["outcome"] = "rejected" if entry["failed"] else None


def _billing(entry: dict[str, Any], system: str, summary: str, body: str) -> None:
    entry.update({"from": system, "to": "rcm", "kind": "charge batch"})


def _segment(text: str, name: str) -> str:
    return next((line for line in re.split(r"[\r\n]+", text) if line.startswith(name + "|")), "")


def _field(segment: str, number: int) -> str:
    """Field ``number`` of an ER7 segment (for MSH, counted as HL7 does: MSH-1 is the separator)."""
    fields = segment.split("|")
    index = number - 1 if segment.startswith("MSH|") else number
    return fields[index].strip() if 0 <= index < len(fields) else ""
