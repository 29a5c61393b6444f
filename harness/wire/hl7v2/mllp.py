"""MLLP, the framing HL7 v2 travels in over TCP: a listener for the mock RCM
(:class:`MllpServer`, in :mod:`.listener` with its framing rules, limits and timeouts), a sender
that keeps its connections open between messages (:class:`MllpLink`), as HL7 interface engines
do, and a one-message sender (:func:`send_mllp`).

python-hl7's blocking ``MLLPClient`` is not used: its ``send()`` returns a single
``recv(4096)``, which can cut an ack in half, and it has no timeout; its asyncio client needs an
event loop per call from blocking code, which with a connection per message was most of what a
message cost the sender. Here a message on an open connection is one ``sendall`` and the
``recv`` of its ACK. The contract: the ACK's text; TimeoutError when no connection is made
within ``connect_timeout`` or no ACK arrives within ``timeout``; ConnectionError
(ConnectionRefusedError when nothing listens) when the connection closes before the ACK; another
OSError when the host cannot be reached.

A connection that has been idle may have been closed by the listener (its idle timeout), or
with the listener (an outage): before reuse it is checked (a readable idle socket is closed or
out of step), and a reused connection that fails before any byte of the ACK arrives is replaced
by a new one and the message sent again once, which is what a new connection per message would
have done. A message the receiver had already applied when its ACK was lost is applied once all
the same: the RCM knows a message it has seen by its MSH-10 (mocks/rcm/ordering.py).
"""

from __future__ import annotations

import queue
import select
import socket
import time

from .listener import MllpServer

__all__ = ["MllpLink", "MllpServer", "send_mllp"]

SB, EB, CR = b"\x0b", b"\x1c", b"\r"
MAX_ACK = 1 << 20  # bytes: an ACK is a few hundred; this bounds a peer that sends without end
_IDLE = 8  # connections kept open per destination


class _Stale(ConnectionError):
    """A reused connection failed before its ACK began: sending again on a new one is safe."""


class MllpLink:
    """Connections to one MLLP listener, reused across messages; safe for several threads."""

    def __init__(self, host: str, port: int):
        self.address = (host, port)
        self._idle: queue.LifoQueue[socket.socket] = queue.LifoQueue()

    def send(self, message: str, timeout: float = 5.0, connect_timeout: float = 2.0) -> str:
        data = SB + message.encode("utf-8") + EB + CR
        conn, reused = self._connection(connect_timeout)
        try:
            try:
                ack = self._exchange(conn, data, timeout, reused)
            except _Stale:
                conn.close()
                conn, reused = self._connect(connect_timeout), False
                ack = self._exchange(conn, data, timeout, reused)
        except BaseException:
            conn.close()
            raise
        self._put_back(conn)
        return ack

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def _connection(self, connect_timeout: float) -> tuple[socket.socket, bool]:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return self._connect(connect_timeout), False
            if _usable(conn):
                return conn, True
            conn.close()

    def _connect(self, connect_timeout: float) -> socket.socket:
        host, port = self.address
        try:
            conn = socket.create_connection(self.address, timeout=connect_timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"MLLP {host}:{port}: no connection within {connect_timeout:g} s") from exc
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _exchange(self, conn: socket.socket, data: bytes, timeout: float, reused: bool) -> str:
        host, port = self.address
        deadline = time.monotonic() + timeout
        received = b""
        try:
            conn.settimeout(timeout)
            conn.sendall(data)
            while True:
                conn.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = conn.recv(65536)
                if not chunk:
                    raise ConnectionError(f"MLLP {host}:{port}: connection closed before an ack arrived")
                received += chunk
                end = received.find(EB + CR)
                if end >= 0:
                    start = received.find(SB)
                    return received[start + 1 if start >= 0 else 0:end].decode("utf-8", errors="replace")
                if len(received) > MAX_ACK:
                    raise ConnectionError(f"MLLP {host}:{port}: an ack of more than {MAX_ACK} bytes")
        except TimeoutError as exc:
            raise TimeoutError(f"MLLP {host}:{port}: no ack within {timeout:g} s") from exc
        except OSError as exc:
            if reused and not received:
                raise _Stale(str(exc)) from exc
            raise

    def _put_back(self, conn: socket.socket) -> None:
        if self._idle.qsize() >= _IDLE:
            conn.close()
        else:
            self._idle.put(conn)


def _usable(conn: socket.socket) -> bool:
    """An idle connection has nothing to read: readable means closed by the peer (or bytes out
    of step with our messages), and either way it is not reused."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def send_mllp(host: str, port: int, message: str, timeout: float = 5.0, connect_timeout: float = 2.0) -> str:
    """Send one message in an MLLP frame on a connection of its own and return the ack text
    (blocking; from async code call it through ``asyncio.to_thread``). Raises as
    :meth:`MllpLink.send` does."""
    link = MllpLink(host, port)
    try:
        return link.send(message, timeout=timeout, connect_timeout=connect_timeout)
    finally:
        link.close()
