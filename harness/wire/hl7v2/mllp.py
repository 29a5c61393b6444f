"""MLLP, the framing HL7 v2 travels in over TCP: a listener for the mock RCM
(:class:`MllpServer`, in :mod:`.listener` with its framing rules, limits and timeouts) and a
blocking one-message client (:func:`send_mllp`).
"""

from __future__ import annotations

import asyncio

from hl7.mllp import open_hl7_connection

from .listener import MllpServer

__all__ = ["MllpServer", "send_mllp"]

# MLLP frames above asyncio's 64 KiB default are legal; an ADT with many DG1 can get close.
_MLLP_LIMIT = 1 << 20


def send_mllp(host: str, port: int, message: str, timeout: float = 5.0) -> str:
    """Send one message in an MLLP frame and return the ack text.

    Blocking; from async code call it through ``asyncio.to_thread``. Raises ConnectionError
    (ConnectionRefusedError when nothing listens) if the ack cannot be had, and TimeoutError if
    none arrives within ``timeout`` seconds.
    """
    # python-hl7's blocking MLLPClient is not used: its send() returns a single recv(4096), which
    # can cut an ack in half, and it has no timeout. The asyncio reader reads to the end block.
    async def exchange() -> str:
        reader, writer = await open_hl7_connection(host, port, limit=_MLLP_LIMIT)
        try:
            writer.writeblock(message.encode("utf-8"))
            await writer.drain()
            return (await reader.readblock()).decode("utf-8", errors="replace")
        finally:
            writer.close()

    try:
        return asyncio.run(asyncio.wait_for(exchange(), timeout))
    except asyncio.IncompleteReadError as exc:
        raise ConnectionError(f"MLLP {host}:{port}: connection closed before an ack arrived") from exc
    except asyncio.TimeoutError as exc:
        raise TimeoutError(f"MLLP {host}:{port}: no ack within {timeout} s") from exc
