"""The MLLP listener of the mock RCM (:class:`MllpServer`): framing, limits and timeouts.

MLLP frames each message as ``<VT> content <FS><CR>`` (0x0B, 0x1C 0x0D), and the content may
hold neither <VT> nor <FS>. The listener follows that literally:

- A frame ends at the first <FS><CR>. Every frame gets exactly one answer: the handler's ACK,
  or an AR when the frame cannot be a message (a <VT> inside it, an <FS> not followed by <CR>,
  more than ``max_message`` bytes, not finished within ``read_timeout``).
- Bytes outside a frame are not a message and get no ACK of their own. When they are the first
  thing on a connection (a peer that does not speak MLLP) they are answered with one AR naming
  the problem; after a frame (the rest of a message that held an <FS><CR>, say) the stream is
  out of step and the connection is closed, so that frame's ACK stays its only answer. CR and
  LF between frames are tolerated.
- A refusal that ends the connection (any AR above) closes it after reading and discarding, for
  at most ``linger`` seconds, what the peer still sends, so the AR is not lost to a reset.
- A connection with no frame begun for ``idle_timeout`` seconds is closed without an answer; a
  peer that does not read its ACK within ``read_timeout`` is dropped; beyond
  ``max_connections`` open connections a new one is closed at once.

The handler runs on one worker thread, one message at a time in arrival order (it needs no
locking), so a slow handler holds up messages but not the timeouts of other connections.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from hl7.mllp import start_hl7_server

from .ack import make_ack
from .message import one_line

__all__ = ["MllpServer"]

SB, EB, CR = 0x0B, 0x1C, 0x0D
_BETWEEN_FRAMES = b"\r\n"  # tolerated outside a frame (some senders end a frame with <FS><CR><LF>)
_CHUNK = 1 << 16


class _Refusal(Exception):
    """A frame (or bytes outside one) answered with an AR, after which the connection closes."""

    def __init__(self, reason: str, content: bytes = b""):
        super().__init__(reason)
        self.reason = reason
        self.content = content  # what arrived of the frame: its MSH-10 goes in MSA-2 if readable


class _Closed(Exception):
    """End the connection without an answer (peer gone, idle, or out of step after a frame)."""


class MllpServer:
    """A real MLLP listener, for the mock RCM.

    It runs python-hl7's asyncio MLLP server on an event loop in a daemon thread. ``handler``
    gets each message's text and returns the ack text; a handler that raises (or returns a
    non-string) yields an AR ack instead of stopping the server. Limits (see the module):
    ``idle_timeout`` 30 s, ``read_timeout`` 10 s for a frame once begun (and for a peer to take
    its ACK), ``max_message`` 1 MiB of content, ``max_connections`` 100, ``linger`` 1 s.
    """

    def __init__(self, handler: Callable[[str], str], host: str = "127.0.0.1", port: int = 0, *,
                 idle_timeout: float = 30.0, read_timeout: float = 10.0, max_message: int = 1 << 20,
                 max_connections: int = 100, linger: float = 1.0):
        for name, value in (("idle_timeout", idle_timeout), ("read_timeout", read_timeout),
                            ("max_message", max_message), ("max_connections", max_connections)):
            if not value > 0:
                raise ValueError(f"MllpServer: {name} must be more than 0, got {value!r}")
        self._handler = handler
        self._host = host
        self._port = port
        self.idle_timeout = float(idle_timeout)
        self.read_timeout = float(read_timeout)
        self.max_message = int(max_message)
        self.max_connections = int(max_connections)
        self.linger = max(0.0, float(linger))
        self._open = 0
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._startup_error: BaseException | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one after :meth:`start`, even when asked for port 0)."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self._host, self._port)

    @property
    def connections(self) -> int:
        """Connections open now."""
        return self._open

    def start(self) -> "MllpServer":
        """Start listening; returns once the socket is bound. Raises OSError if it cannot bind."""
        if self._thread is not None:
            raise RuntimeError("MllpServer.start() called twice")
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mllp-handler-{self._port}")
        self._thread = threading.Thread(target=self._run, name=f"mllp-{self._host}:{self._port}",
                                        daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._worker.shutdown(wait=False)
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Stop listening, drop open connections and wait for the thread. Safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or not thread.is_alive() or loop is None:
            return
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:  # loop already closed by a concurrent stop()
            pass
        if thread is not threading.current_thread():
            thread.join(timeout=10)  # bounded: a stop must not hang the process that asked for it
        if self._worker is not None:  # not waited for: a handler may be the one stopping its server
            self._worker.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            server = loop.run_until_complete(
                start_hl7_server(self._serve_connection, self._host, self._port, limit=_CHUNK * 4))
        except BaseException as exc:  # e.g. port in use: hand it to start() instead of dying here
            self._startup_error = exc
            loop.close()
            self._ready.set()
            return
        self._port = server.sockets[0].getsockname()[1]
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            # Open connections outlive server.close() on 3.11; cancel their tasks so the
            # sockets close and stop() returns promptly.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:  # gather() of nothing would look for a current loop this thread lacks
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(server.wait_closed())
            loop.close()

    # -- one connection ------------------------------------------------------------------------
    async def _serve_connection(self, reader, writer) -> None:
        if self._open >= self.max_connections:
            writer.transport.abort()
            return
        self._open += 1
        buffer = bytearray()
        answered = 0
        try:
            while True:
                try:
                    content = await self._next_frame(reader, buffer, answered)
                except _Refusal as refusal:
                    text = refusal.content[:_CHUNK].decode("utf-8", errors="replace")
                    await self._answer(writer, make_ack(text, "AR", f"MLLP: {refusal.reason}"))
                    await self._linger(reader, writer)
                    break
                text = content.decode("utf-8", errors="replace")
                loop = asyncio.get_running_loop()
                ack = await loop.run_in_executor(self._worker, self._ack_for, text)
                await self._answer(writer, ack)
                answered += 1
        except (_Closed, ConnectionError, asyncio.TimeoutError, OSError):
            pass
        except RuntimeError:  # the handler's worker was shut down: the server is stopping
            pass
        finally:
            self._open -= 1
            writer.close()

    async def _read(self, reader, timeout: float, idle: bool) -> bytes:
        try:
            data = await asyncio.wait_for(reader.read(_CHUNK), max(timeout, 0.0))
        except asyncio.TimeoutError:
            if idle:
                raise _Closed("idle") from None
            raise
        if not data:
            raise _Closed("the peer closed the connection")
        return data

    async def _next_frame(self, reader, buffer: bytearray, answered: int) -> bytes:
        """The content of the next frame; ``buffer`` keeps what arrived beyond it."""
        idle_until = time.monotonic() + self.idle_timeout
        while True:  # outside a frame: wait for <VT>
            while buffer[:1] and buffer[0] in _BETWEEN_FRAMES:
                del buffer[0]
            if buffer:
                break
            buffer += await self._read(reader, idle_until - time.monotonic(), idle=True)
        if buffer[0] != SB:
            if answered:
                raise _Closed("bytes outside a frame after a frame")
            raise _Refusal(f"{_shown(buffer)} outside a frame: a message starts with <VT> (0x0B)")
        frame_until = time.monotonic() + self.read_timeout
        scanned = 1
        while True:
            end = buffer.find(EB, scanned)
            inner = buffer.find(SB, scanned, end if end >= 0 else len(buffer))
            if inner >= 0:
                raise _Refusal("a <VT> inside a frame: the frame before it was never ended with <FS><CR>",
                               bytes(buffer[1:inner]))
            if end >= 0 and end + 1 < len(buffer):
                if buffer[end + 1] != CR:
                    raise _Refusal("an <FS> not followed by <CR> inside a frame", bytes(buffer[1:end]))
                content = bytes(buffer[1:end])
                del buffer[:end + 2]
                if len(content) > self.max_message:
                    raise _Refusal(self._too_big(len(content)), content)
                return content
            size = (end if end >= 0 else len(buffer)) - 1
            if size > self.max_message:
                raise _Refusal(self._too_big(size), bytes(buffer[1:_CHUNK]))
            scanned = max(1, end if end >= 0 else len(buffer))
            try:
                buffer += await self._read(reader, frame_until - time.monotonic(), idle=False)
            except asyncio.TimeoutError:
                raise _Refusal(f"the frame was not finished within {self.read_timeout:g} s "
                               f"({size} bytes, no <FS><CR>)", bytes(buffer[1:_CHUNK])) from None

    def _too_big(self, size: int) -> str:
        return f"the message is over the limit of {self.max_message} bytes ({size} bytes or more)"

    async def _answer(self, writer, ack: str) -> None:
        writer.writeblock(ack.encode("utf-8"))
        await asyncio.wait_for(writer.drain(), self.read_timeout)  # a peer that never reads is dropped

    async def _linger(self, reader, writer) -> None:
        """Half-close, then read and drop what the peer still sends (bounded in time and bytes)."""
        try:
            if writer.can_write_eof():
                writer.write_eof()
            until, dropped = time.monotonic() + self.linger, 0
            while dropped <= 4 * self.max_message:
                data = await asyncio.wait_for(reader.read(_CHUNK), max(until - time.monotonic(), 0.0))
                if not data:
                    break
                dropped += len(data)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass

    def _ack_for(self, text: str) -> str:
        try:
            ack = self._handler(text)
            if not isinstance(ack, str):
                raise TypeError(f"handler returned {type(ack).__name__}, not the ack text")
            return ack
        except Exception as exc:  # a broken handler must not take the listener down
            return make_ack(text, "AR", f"handler error: {type(exc).__name__}: {one_line(exc)}")


def _shown(data: bytearray) -> str:
    """The first bytes of unframed input, for the AR: 'b"GET / HT"...' and a count."""
    return f"{len(data)} byte(s) ({bytes(data[:12])!r}{'...' if len(data) > 12 else ''})"
