"""HL7 v2 original-mode acknowledgements: the RCM's ACK to an ADT (:func:`make_ack`) and the
EMR's reading of it (:func:`ack_code`).

The ACK is written directly as text in its one fixed layout (MSH, MSA, and ERR for AE/AR);
``tests/test_hl7v2.py`` validates that layout with hl7apy at strict level.
"""

from __future__ import annotations

import datetime
import uuid

from .build import esc
from .message import ACK_CODES, ERROR_CODES, HL7_VERSION, HL7Error
from .parse import normalize, one, read, segments, val

__all__ = ["ack_code", "make_ack"]


def make_ack(text: str, code: str = "AA", reason: str = "", *, error: str = "207") -> str:
    """Build an original-mode ACK for ``text``: MSA-1 ``code``, MSA-2 the original MSH-10.

    For AE/AR the reason goes in MSA-3 (cut to its 80-character HL7 length) and whole in ERR-8,
    and ``error`` (HL7 table 0357: 205, 206 "try later" or 207, the default) in ERR-3;
    for AA a reason, if given, goes in MSA-3 only.
    If ``text`` has no readable MSH-10 the ack is AR with MSA-2 ``UNKNOWN``, whatever ``code``
    was asked for. Never raises for bad ``text``; raises :class:`HL7Error` for an unknown code.
    """
    if code not in ACK_CODES:
        raise HL7Error(f"MSA-1: acknowledgement code {code!r} is not one of {', '.join(ACK_CODES)}")
    if error not in ERROR_CODES:
        raise HL7Error(f"ERR-3: error code {error!r} is not one of {', '.join(ERROR_CODES)}")
    try:
        # Only the MSH is read: the reply needs nothing else, and the rest may be what is wrong.
        msh = read(normalize(text).split("\r", 1)[0]).segment("MSH")
    except Exception:  # an ack for garbage is exactly what this function is for
        msh = None
    control_id = _one_line(val(msh, 10)) if msh is not None else ""
    if not control_id:
        code, control_id = "AR", "UNKNOWN"
        reason = reason or "MSH: message could not be read (no MSH-10 control id)"
    elif code != "AA" and not reason:
        reason = "application error" if code == "AE" else "message rejected"
    reason = _one_line(reason)

    # Sender and receiver swap places in the reply. Values are echoed whole, not held to their
    # HL7 lengths: an odd value in the original (say a 30-character facility) must not stop us
    # acknowledging it, and MSA-2 must match the original's MSH-10 exactly.
    parties = ["", "", "", ""]
    if msh is not None:
        parties = [esc(_one_line(val(msh, theirs))) for theirs in (5, 6, 3, 4)]
    trigger = esc("".join(val(msh, 9, comp=2).split())) if msh is not None else ""
    sent = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    # MSH-10 is at most 20 characters in 2.5.1.
    lines = [f"MSH|^~\\&|{'|'.join(parties)}|{sent}||ACK^{trigger}^ACK|{uuid.uuid4().hex[:20]}"
             f"|P|{HL7_VERSION}",
             # MSA-3 is deprecated in 2.5.1 in favour of ERR, but older receivers still read only it.
             f"MSA|{code}|{esc(control_id)}|{esc(reason[:80])}".rstrip("|")]
    if code != "AA":
        lines.append(f"ERR|||{error}^{ERROR_CODES[error]}^HL70357|E||||{esc(reason)}")
    return "\r".join(lines)


def ack_code(ack_text: str) -> tuple[str, str]:
    """(MSA-1, reason) from an ACK; the reason is ERR-8 if present, else MSA-3, else ""."""
    message = read(normalize(ack_text))
    msa = one(message, "MSA")
    code = val(msa, 1)
    if not code:
        raise HL7Error("MSA-1: missing acknowledgement code")
    reasons = [val(err, 8) for err in segments(message, "ERR")] + [val(msa, 3)]
    return code, next((r for r in reasons if r), "")


def _one_line(value: str) -> str:
    return " ".join(value.split())
