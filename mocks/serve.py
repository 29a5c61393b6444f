"""Serve a MockSuite on loopback: each system under waitress, the RCM's MLLP listener, and a
retrier that keeps delivering the outboxes while a destination is down."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests
from waitress.server import create_server

from kipu_harness.wire import hl7v2

from .suite import SYSTEMS, MockSuite


class NetworkLinks:
    """The other systems over real sockets: HTTP for JSON, MLLP for HL7."""

    def __init__(self, urls: dict[str, str], mllp: tuple[str, int] | None):
        self.urls = urls
        self.mllp = mllp
        self._session = requests.Session()

    def post_json(self, system: str, path: str, body: str) -> tuple[int, Any]:
        try:
            response = self._session.post(self.urls[system] + path, data=body,
                                          headers={"Content-Type": "application/json"}, timeout=10)
        except requests.ConnectionError as exc:
            raise ConnectionError(f"{system} unreachable: {exc}") from None
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def exchange(self, system: str, path: str, text: str) -> tuple[int, str]:
        try:
            response = self._session.post(self.urls[system] + path, data=text.encode(),
                                          headers={"Content-Type": "text/plain"}, timeout=30)
        except requests.ConnectionError as exc:
            raise ConnectionError(f"{system} unreachable: {exc}") from None
        return response.status_code, response.text

    def send_hl7(self, text: str) -> str:
        if self.mllp is None:
            raise ConnectionError("no MLLP address for the RCM")
        return hl7v2.send_mllp(*self.mllp, text)


@dataclass
class _Http:
    server: Any
    thread: threading.Thread


class ServedSuite:
    """A running suite: ``urls``, ``mllp`` and ``stop()``. Ports are free ones unless given."""

    def __init__(self, suite: MockSuite, *, host: str = "127.0.0.1", ports: dict[str, int] | None = None,
                 mllp_port: int = 0, retry_every: float = 1.0, threads: int = 4,
                 elsewhere: dict[str, str] | None = None, elsewhere_mllp: tuple[str, int] | None = None):
        """``elsewhere`` sends a system's traffic to a real one instead of its mock (a vendor's EMR,
        say): the mocks then integrate with it, and its own mock stays idle."""
        self.suite = suite
        ports = ports or {}
        self._http: dict[str, _Http] = {}
        self.urls: dict[str, str] = {}
        for system in SYSTEMS:
            server = create_server(suite.apps[system], host=host, port=ports.get(system, 0), threads=threads,
                                   ident=f"kipu-harness {system}")
            thread = threading.Thread(target=server.run, name=f"http-{system}", daemon=True)
            thread.start()
            self._http[system] = _Http(server, thread)
            self.urls[system] = f"http://{host}:{server.effective_port}"
        self.mllp_server = hl7v2.MllpServer(suite.receive_hl7, host=host, port=mllp_port).start()
        self.mllp = self.mllp_server.address
        suite.use_links(NetworkLinks({**self.urls, **(elsewhere or {})}, elsewhere_mllp or self.mllp))
        self._stopping = threading.Event()
        self._retrier = threading.Thread(target=self._retry, args=(retry_every,), name="outbox-retrier", daemon=True)
        self._retrier.start()

    def _retry(self, every: float) -> None:
        # Waits on an Event, so stop() ends it at once; a destination that comes back is served
        # within `every` seconds, and the outbox keeps each destination's order.
        while not self._stopping.wait(every):
            self.suite.deliver_pending()

    def stop_mllp(self) -> None:
        """Take the RCM's MLLP listener down (an outage as the EMR sees it)."""
        self.mllp_server.stop()

    def start_mllp(self) -> None:
        """Bring the listener back on the same port."""
        self.mllp_server = hl7v2.MllpServer(self.suite.receive_hl7, host=self.mllp[0], port=self.mllp[1]).start()

    def stop(self) -> None:
        self._stopping.set()
        self._retrier.join(timeout=5)
        self.mllp_server.stop()
        for http in self._http.values():
            _shutdown(http.server)
        for http in self._http.values():
            http.thread.join(timeout=5)


def _shutdown(server: Any) -> None:
    """Stop a waitress server from another thread: close every channel in its socket map, so
    its loop (which runs while the map is not empty) ends; then stop its worker threads.
    waitress has no public stop(); this is what webtest's StopableWSGIServer does."""
    while server._map:
        for channel in list(server._map.values()):
            channel.close()
    server.task_dispatcher.shutdown()
