"""Serve a MockSuite on loopback: each system under waitress, the RCM's MLLP listener, and a
retrier that keeps delivering the outboxes while a destination is down."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import requests
from waitress.server import create_server

from kipu_harness.events import HttpAnswer, NoAnswer
from kipu_harness.wire import hl7v2

from . import console
from .common import outbox
from .suite import SYSTEMS, MockSuite


class NetworkLinks:
    """The other systems over real sockets: HTTP for JSON, MLLP for HL7. Every call has a connect
    and a read timeout (mocks/common/outbox.py); no answer in time is a :class:`NoAnswer`, a
    ConnectionError, like any other failure to reach the system."""

    def __init__(self, urls: dict[str, str], mllp: tuple[str, int] | None,
                 connect_timeout: float = outbox.CONNECT_TIMEOUT):
        self.urls = urls
        self.mllp = mllp
        self.connect_timeout = connect_timeout
        self._session = requests.Session()
        self._mllp_link = hl7v2.MllpLink(*mllp) if mllp else None  # connections kept open

    def _post(self, system: str, path: str, text: str, content_type: str) -> requests.Response:
        timeout = (self.connect_timeout, outbox.read_timeout())
        headers = {"Content-Type": content_type, **outbox.delivery_headers(text)}
        try:
            return self._session.post(self.urls[system] + path, data=text.encode(), headers=headers, timeout=timeout)
        except requests.Timeout as exc:
            raise NoAnswer(f"{system}: no answer within {timeout[1]:g} s ({type(exc).__name__})") from None
        except requests.RequestException as exc:
            raise ConnectionError(f"{system} unreachable: {exc}") from None

    def post_json(self, system: str, path: str, body: str) -> tuple[int, Any]:
        response = self._post(system, path, body, "application/json")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return HttpAnswer(response.status_code, answer, response.headers)

    def exchange(self, system: str, path: str, text: str) -> tuple[int, str]:
        response = self._post(system, path, text, "text/plain")
        return response.status_code, response.text

    def send_hl7(self, text: str) -> str:
        if self._mllp_link is None:
            raise ConnectionError("no MLLP address for the RCM")
        try:
            return self._mllp_link.send(text, timeout=outbox.read_timeout(), connect_timeout=self.connect_timeout)
        except TimeoutError as exc:
            raise NoAnswer(str(exc)) from None
        except OSError as exc:  # ConnectionRefusedError and the like, or an unreachable host
            raise ConnectionError(f"rcm unreachable over MLLP: {exc}") from None

    def close(self) -> None:
        self._session.close()
        if self._mllp_link is not None:
            self._mllp_link.close()


@dataclass
class _Http:
    server: Any
    thread: threading.Thread


class ServedSuite:
    """A running suite: ``urls``, ``mllp`` and ``stop()``. Ports are free ones unless given."""

    def __init__(self, suite: MockSuite, *, host: str = "127.0.0.1", ports: dict[str, int] | None = None,
                 mllp_port: int = 0, retry_every: float = outbox.RETRY_EVERY, threads: int = 4,
                 elsewhere: dict[str, str] | None = None, elsewhere_mllp: tuple[str, int] | None = None,
                 console_port: int | None = None):
        """``elsewhere`` sends a system's traffic to a real one instead of its mock (a vendor's EMR,
        say): the mocks then integrate with it, and its own mock stays idle. ``console_port``: also
        serve the console (mocks/console) there, as ``console_url`` (0: any free port)."""
        self.suite = suite
        # waitress warns "Task queue depth is N" whenever a request waits for a free thread: under
        # load, a formatted and masked log line per request, for a queue that is normal here.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        ports = ports or {}
        self._http: dict[str, _Http] = {}
        self.urls: dict[str, str] = {}
        for system in SYSTEMS:
            self.urls[system] = self._serve(system, suite.apps[system], host, ports.get(system, 0), threads)
        suite.guard.serve(self.urls)  # their origins are the mocks' own (common/guard.py)
        self.mllp_server = hl7v2.MllpServer(suite.receive_hl7, host=host, port=mllp_port).start()
        self.mllp = self.mllp_server.address
        self.links = NetworkLinks({**self.urls, **(elsewhere or {})}, elsewhere_mllp or self.mllp)
        suite.use_links(self.links)
        # Delivers what a write could not, as soon as it is due (backoff per destination, capped),
        # and at least every `retry_every` seconds; it survives any exception, and stop() ends it.
        # Each pass first releases what a reorder fault held back (it would wait for a next message).
        self.retrier = outbox.Retrier([c.outbox for c in suite.contexts.values()], every=retry_every,
                                      also=suite.faults.flush).start()
        self.console_url: str | None = None
        if console_port is not None:
            app = console.create_app(suite, urls=self.urls, elsewhere=elsewhere, mllp=self.mllp, host=host)
            try:
                self.console_url = self._serve("console", app, host, console_port, threads=2) + "/"
            except OSError:
                self.stop()
                raise

    def _serve(self, name: str, app: Any, host: str, port: int, threads: int) -> str:
        """Serve ``app`` under waitress on a thread of its own; returns its URL."""
        server = create_server(app, host=host, port=port, threads=threads, ident=f"kipu-harness {name}")
        thread = threading.Thread(target=server.run, name=f"http-{name}", daemon=True)
        thread.start()
        self._http[name] = _Http(server, thread)
        return f"http://{host}:{server.effective_port}"

    def stop_mllp(self) -> None:
        """Take the RCM's MLLP listener down (an outage as the EMR sees it)."""
        self.mllp_server.stop()

    def start_mllp(self) -> None:
        """Bring the listener back on the same port."""
        self.mllp_server = hl7v2.MllpServer(self.suite.receive_hl7, host=self.mllp[0], port=self.mllp[1]).start()

    def stop(self) -> None:
        self.retrier.stop()
        self.links.close()
        self.mllp_server.stop()
        for http in self._http.values():
            _shutdown(http.server, http.thread)


def _shutdown(server: Any, thread: threading.Thread) -> None:
    """Stop a waitress server from another thread: close every channel in its socket map, so
    its loop (which runs while the map is not empty) ends; then stop its worker threads.
    waitress has no public stop(). The channels are closed by the loop's own thread (through its
    trigger, as waitress hands work to it), so its select() never meets a socket closed under it
    (EBADF, and a traceback on stderr); from here only if that thread is gone or stuck."""
    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.close()

    if thread.is_alive():
        server.trigger.pull_trigger(close_all)
        thread.join(timeout=5)
    while server._map:
        close_all()
    server.task_dispatcher.shutdown()
