"""MLLP, the framing HL7 v2 travels in over TCP: a listener for the mock RCM
(:class:`MllpServer`) and a blocking one-message client (:func:`send_mllp`).

python-hl7's asyncio MLLP streams do the framing; a frame that cannot be read, or a handler
that fails, is answered with an AR acknowledgement rather than a dropped connection.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Callable

from hl7.mllp import InvalidBlockError, open_hl7_connection, start_hl7_server

from .ack import make_ack
from .message import one_line

__all__ = ["MllpServer", "send_mllp"]

# MLLP frames above asyncio's 64 KiB default are legal; an ADT with many DG1 can get close.
_MLLP_LIMIT = 1 << 20


class MllpServer:
    """A real MLLP listener, for the mock RCM.

    It runs python-hl7's asyncio MLLP server on an event loop in a daemon thread. ``handler``
    gets each message's text and returns the ack text; it runs on that thread, one message at a
    time, so messages are handled in arrival order and the handler needs no locking. A handler
    that raises (or returns a non-string) yields an AR ack instead of stopping the server.
    """

    def __init__(self, handler: Callable[[str], str], host: str = "127.0.0.1", port: int = 0):
        self._handler = handler
        self._host = host
        self._port = port
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._startup_error: BaseException | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one after :meth:`start`, even when asked for port 0)."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self._host, self._port)

    def start(self) -> "MllpServer":
        """Start listening; returns once the socket is bound. Raises OSError if it cannot bind."""
        if self._thread is not None:
            raise RuntimeError("MllpServer.start() called twice")
        self._thread = threading.Thread(target=self._run, name=f"mllp-{self._host}:{self._port}",
                                        daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
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
        if thread is not threading.current_thread():  # a handler may stop its own server
            thread.join()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            server = loop.run_until_complete(
                start_hl7_server(self._serve_connection, self._host, self._port, limit=_MLLP_LIMIT))
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

    async def _serve_connection(self, reader, writer) -> None:
        # readblock(), not readmessage(): readmessage() parses with python-hl7 and would raise on
        # garbage before we could answer it with an AR.
        try:
            while True:
                try:
                    text = (await reader.readblock()).decode("utf-8", errors="replace")
                except asyncio.IncompleteReadError:
                    break  # the peer closed the connection
                except (InvalidBlockError, ValueError) as exc:  # no <VT>, or over the size limit
                    ack = make_ack("", "AR", f"MLLP: {one_line(exc)}")
                else:
                    ack = self._ack_for(text)
                writer.writeblock(ack.encode("utf-8"))
                await writer.drain()
        except ConnectionError:
            pass  # the peer went away mid-reply; nothing to acknowledge to
        finally:
            writer.close()

    def _ack_for(self, text: str) -> str:
        try:
            ack = self._handler(text)
            if not isinstance(ack, str):
                raise TypeError(f"handler returned {type(ack).__name__}, not the ack text")
            return ack
        except Exception as exc:  # a broken handler must not take the listener down
            return make_ack(text, "AR", f"handler error: {type(exc).__name__}: {one_line(exc)}")


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
