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


def send_mllp(host: str, port: int, message: str, timeout: float = 5.0, connect_timeout: float = 2.0) -> str:
    """Send one message in an MLLP frame and return the ack text.

    Blocking; from async code call it through ``asyncio.to_thread``. Raises ConnectionError
    (ConnectionRefusedError when nothing listens) if the ack cannot be had, another OSError if the
    host cannot be reached, and TimeoutError if the connection is not made within
    ``connect_timeout`` seconds or, once made, no ack arrives within ``timeout`` seconds.
    """
    # python-hl7's blocking MLLPClient is not used: its send() returns a single recv(4096), which
    # can cut an ack in half, and it has no timeout. The asyncio reader reads to the end block.
    async def exchange() -> str:
        try:
            reader, writer = await asyncio.wait_for(open_hl7_connection(host, port, limit=_MLLP_LIMIT),
                                                    connect_timeout)
        except asyncio.TimeoutError as exc:
            raise TimeoutError(f"MLLP {host}:{port}: no connection within {connect_timeout:g} s") from exc
        async def send_and_read() -> bytes:
            writer.writeblock(message.encode("utf-8"))
            await writer.drain()
            return await reader.readblock()

        try:
            return (await asyncio.wait_for(send_and_read(), timeout)).decode("utf-8", errors="replace")
        except asyncio.TimeoutError as exc:
            raise TimeoutError(f"MLLP {host}:{port}: no ack within {timeout:g} s") from exc
        finally:
            writer.close()

    try:
        return asyncio.run(exchange())
    except asyncio.IncompleteReadError as exc:
        raise ConnectionError(f"MLLP {host}:{port}: connection closed before an ack arrived") from exc
