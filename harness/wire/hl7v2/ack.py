"""HL7 v2 original-mode acknowledgements: the RCM's ACK to an ADT (:func:`make_ack`) and the
EMR's reading of it (:func:`ack_code`)."""

from __future__ import annotations

import uuid

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message

from .build import esc, put
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
        msh = read(normalize(text)).segment("MSH")
    except Exception:  # an ack for garbage is exactly what this function is for
        msh = None
    control_id = val(msh, 10) if msh is not None else ""
    if not control_id:
        code, control_id = "AR", "UNKNOWN"
        reason = reason or "MSH: message could not be read (no MSH-10 control id)"
    elif code != "AA" and not reason:
        reason = "application error" if code == "AE" else "message rejected"
    reason = " ".join(reason.split())

    # Tolerant, not strict: odd values echoed from the original (say a 30-character facility)
    # must not stop us acknowledging it. The fixed layout below still validates strictly.
    ack = Message("ACK", version=HL7_VERSION, validation_level=VALIDATION_LEVEL.TOLERANT)
    if msh is not None:
        # Sender and receiver swap places in the reply.
        for ours, theirs in (("MSH_3", 5), ("MSH_4", 6), ("MSH_5", 3), ("MSH_6", 4)):
            put(ack.msh, ours, esc(" ".join(val(msh, theirs).split())))
    trigger = "".join(val(msh, 9, comp=2).split()) if msh is not None else ""
    put(ack.msh, "MSH_9", f"ACK^{esc(trigger)}^ACK")  # MSH-9.3 lets hl7apy pick the structure
    put(ack.msh, "MSH_10", uuid.uuid4().hex[:20])  # MSH-10 is at most 20 characters in 2.5.1
    put(ack.msh, "MSH_11", "P")
    put(ack.msa, "MSA_1", code)
    put(ack.msa, "MSA_2", esc(" ".join(control_id.split())))
    # MSA-3 is deprecated in 2.5.1 in favour of ERR, but older receivers still read only it.
    put(ack.msa, "MSA_3", esc(reason[:80]))
    if code != "AA":
        err = ack.add_segment("ERR")
        put(err, "ERR_3", f"{error}^{ERROR_CODES[error]}^HL70357")
        put(err, "ERR_4", "E")
        put(err, "ERR_8", esc(reason))
    return ack.to_er7()


def ack_code(ack_text: str) -> tuple[str, str]:
    """(MSA-1, reason) from an ACK; the reason is ERR-8 if present, else MSA-3, else ""."""
    message = read(normalize(ack_text))
    msa = one(message, "MSA")
    code = val(msa, 1)
    if not code:
        raise HL7Error("MSA-1: missing acknowledgement code")
    reasons = [val(err, 8) for err in segments(message, "ERR")] + [val(msa, 3)]
    return code, next((r for r in reasons if r), "")
