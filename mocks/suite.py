"""A MockSuite is the three mock systems with their stores, one clock and the links between them.

In-process, a system calls another's WSGI app directly (kipu_harness/wsgi.py); served on loopback
(``serve.py``), through real HTTP and MLLP. The integration plugins only ever see ``links``.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from kipu_harness.events import HttpAnswer
from kipu_harness import wsgi
from kipu_harness.phi import mask_ssn
from kipu_harness.settings import IntegrationSettings
from kipu_harness.wire import hl7v2

from . import crm, emr, payer, rcm
from .common.base import Clock, SystemContext
from .common.guard import Guard
from .common.outbox import delivery_headers
from .common import faults
from .common.fault_routes import faults_api
from .common.faults import FaultPlan
from .common.store import Store
from .emr.apiauth import EmrApiAuth
from .rcm.patients import receive_hl7

SYSTEMS = ("crm", "emr", "rcm", "payer")
_IN = {"kipu.in_process": True}  # a test client cannot time out: a hang fault tells it at once
_FACTORIES = {"crm": crm.create_app, "emr": emr.create_app, "rcm": rcm.create_app, "payer": payer.create_app}


class MockSuite:
    def __init__(self, pm: Any, *, settings: IntegrationSettings | None = None, data_dir: str | Path | None = None,
                 emr_auth: EmrApiAuth | None = None, durability: str = "normal"):
        """``data_dir=None`` keeps everything in memory; otherwise one SQLite file per system.
        ``emr_auth``: who may call the EMR's Kipu API (the development client by default).
        ``durability``: the files' SQLite ``synchronous`` setting, ``normal`` or ``full`` (store.py)."""
        self.pm = pm
        self.emr_auth = emr_auth or EmrApiAuth()
        self.faults = FaultPlan()  # what /_mock/faults, `mocks up --faults` and the faults capability set
        self.settings = settings or IntegrationSettings()
        self.clock = Clock()
        self.data_dir = Path(data_dir) if data_dir else None
        self.contexts: dict[str, SystemContext] = {}
        self.apps: dict[str, Any] = {}
        secret = secrets.token_bytes(32)
        for system in SYSTEMS:
            store = Store(self.data_dir / f"{system}.db" if self.data_dir else ":memory:", durability)
            context = SystemContext(system, store, pm.hook, self.settings, self.clock, secret,
                                    configure=_configure(system), api_auth=self.emr_auth)
            if store.is_new():
                context.setup()
            self.contexts[system] = context
            app = self.apps[system] = _FACTORIES[system](context)
            app.extensions["kipu_faults"] = self.faults
            app.register_api(faults_api)
            app.wsgi_app = faults.middleware(app.wsgi_app, system, self.faults)
        # The control token (X-Kipu-Mock-Token) and the mocks' own origins: common/guard.py.
        self.guard = Guard()
        for app in self.apps.values():
            app.extensions["kipu_guard"] = self.guard
        self.use_links(InProcessLinks(self.apps))
        self._receive_hl7 = faults.hl7_handler(lambda text: receive_hl7(self.contexts["rcm"], text), self.faults)

    def use_links(self, links: Any) -> None:
        """How the systems reach each other; the network's faults ride on them."""
        faulty = FaultyLinks(links, self.faults)
        for context in self.contexts.values():
            context.links = faulty

    def receive_hl7(self, text: str) -> str:
        """The RCM's HL7 entry point for its MLLP listener (the RCM's own hl7 faults apply); an
        AR that quotes the message has its SSNs masked, as the HTTP route's answer has."""
        return mask_ssn(self._receive_hl7(text))

    def deliver_pending(self) -> None:
        for context in self.contexts.values():
            context.deliver_pending()

    def close(self) -> None:
        for context in self.contexts.values():
            context.store.close()


def _configure(system: str):
    from .common import facility

    installer = facility.INSTALLERS.get(system)
    return (lambda tx: installer(tx, facility.load())) if installer else None


class FaultyLinks:
    """Links with the network's faults (reset, drop, duplicate, reorder) between the mocks."""

    def __init__(self, links: Any, plan: FaultPlan):
        self.inner = links
        self._plan = plan

    def __getattr__(self, name: str) -> Any:  # what a test reaches through (InProcessLinks.down)
        return getattr(self.inner, name)

    def post_json(self, system: str, path: str, body: str) -> tuple[int, Any]:
        return self._plan.send(system, "http", lambda: self.inner.post_json(system, path, body),
                               lambda: (200, {"received_by": "a hop in between (reorder fault)"}),
                               lambda answer: answer[0] < 500 and answer[0] != 429)

    def send_hl7(self, text: str) -> str:
        return self._plan.send("rcm", "hl7", lambda: self.inner.send_hl7(text),
                               lambda: hl7v2.make_ack(text, "AA", "received by a hop in between (reorder fault)"),
                               lambda ack: "|AA|" in ack or "|CA|" in ack)

    def exchange(self, system: str, path: str, text: str) -> tuple[int, str]:
        channel = "x12" if system == "payer" else "http"
        return self._plan.send(system, channel, lambda: self.inner.exchange(system, path, text))


class InProcessLinks:
    """The other systems called in-process (kipu_harness/wsgi.py): the same routes, no sockets."""

    def __init__(self, apps: dict[str, Any]):
        self._apps = dict(apps)
        self.down: set[str] = set()  # systems a test has taken down, to exercise the outbox

    def _post(self, system: str, path: str, text: str, headers: dict[str, str]) -> wsgi.WsgiAnswer:
        if system in self.down:
            raise ConnectionError(f"{system} is down")
        return wsgi.call(self._apps[system], "POST", path, headers=headers, body=text.encode(), extra=_IN)

    def post_json(self, system: str, path: str, body: str) -> tuple[int, Any]:
        answer = self._post(system, path, body, {"Content-Type": "application/json", **delivery_headers(body)})
        try:
            parsed = json.loads(answer.data) if answer.data else None
        except ValueError:
            parsed = None
        return HttpAnswer(answer.status, parsed, dict(answer.headers))

    def send_hl7(self, text: str) -> str:
        answer = self._post("rcm", "/rcm/hl7", text, {"Content-Type": "text/plain; charset=utf-8"})
        return answer.data.decode("utf-8", errors="replace").replace("\n", "\r")

    def exchange(self, system: str, path: str, text: str) -> tuple[int, str]:
        """A request that waits for its answer (X12 270/271): not an outbox delivery."""
        answer = self._post(system, path, text, {"Content-Type": "text/plain; charset=utf-8"})
        return answer.status, answer.data.decode("utf-8", errors="replace")
