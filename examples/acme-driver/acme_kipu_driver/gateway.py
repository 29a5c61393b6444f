"""A stand-in for Acme's deployment: kipu-harness's mocks behind Acme's API shape.

Acme's routes live under ``/acme/v1``; its CRM calls prospects "leads" with its own field names;
every JSON body travels inside ``{"data": ...}``; an error is ``{"error": {"message", "fields":
[{"name", "reason"}]}}``. The mocks' own routes are not reachable through the gateway (404), so
a driver that still spoke them would fail; only the mocks' control routes (``/_mock/...``) pass.

Try it::

    kipu-harness mocks up --memory --profile-out mocks.toml &
    python -m acme_kipu_driver.gateway mocks.toml --profile-out acme.toml &
    kipu-harness run --profile acme.toml
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import tomllib
from typing import Any, Callable

import requests
from werkzeug.wrappers import Request, Response

from kipu_harness.apiauth import DEVELOPMENT, Credential, KipuAuth

from .drivers import COVERAGE_FIELDS, LEAD_FIELDS, OPPORTUNITY_FIELDS

PREFIXES = {"emr": ("/acme/v1/ehr/", "/api/"), "rcm": ("/acme/v1/billing/", "/rcm/"),
            "payer": ("/acme/v1/clearinghouse/", "/payer/")}
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


def _renamed(data: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Acme's names -> the mock's; a field Acme does not have stays as it is (and is refused there)."""
    back = {theirs: ours for ours, theirs in names.items()}
    return {back.get(k, k): v for k, v in data.items()}


def _lead(prospect: dict[str, Any]) -> dict[str, Any]:
    lead = {theirs: prospect.get(ours) for ours, theirs in LEAD_FIELDS.items()}
    lead.update(leadId=prospect["id"], region=prospect.get("address_state", prospect.get("state")),
                coverages=[{t: c.get(o) for o, t in COVERAGE_FIELDS.items()} for c in prospect.get("insurance", [])],
                opportunities=[_opportunity(o) for o in prospect.get("opportunities", [])])
    return lead


def _opportunity(opportunity: dict[str, Any]) -> dict[str, Any]:
    return {"opportunityId": opportunity["id"], "leadId": opportunity["prospect_id"], "state": opportunity["status"],
            "levelOfCare": opportunity.get("level_of_care"), "program": opportunity.get("program")}


# Acme's CRM routes: (method, pattern) -> (mock path, request renaming, answer shaping).
CRM_ROUTES: list[tuple[str, re.Pattern, str, dict | None, Callable[[dict], Any]]] = [
    ("POST", re.compile(r"/acme/v1/leads"), "/crm/prospects", LEAD_FIELDS, lambda b: _lead(b["prospect"])),
    ("GET", re.compile(r"/acme/v1/leads/(\d+)"), "/crm/prospects/{0}", None, lambda b: _lead(b["prospect"])),
    ("POST", re.compile(r"/acme/v1/leads/(\d+)/coverages"), "/crm/prospects/{0}/insurance", COVERAGE_FIELDS,
     lambda b: _lead(b["prospect"])),
    ("POST", re.compile(r"/acme/v1/leads/(\d+)/opportunities"), "/crm/prospects/{0}/opportunities",
     OPPORTUNITY_FIELDS, lambda b: _opportunity(b["opportunity"])),
    ("POST", re.compile(r"/acme/v1/opportunities/(\d+)/push"), "/crm/opportunities/{0}/push", None,
     lambda b: _opportunity(b["opportunity"])),
]


class Gateway:
    """A WSGI app in front of one mock system; ``seen`` counts the requests by route shape."""

    def __init__(self, system: str, upstream: str, credential: Credential | None = None):
        self.system = system
        self.upstream = upstream.rstrip("/")
        self.session = requests.Session()
        if credential is not None:
            # Acme's backend holds its own Kipu API client: it signs what it forwards to the EMR.
            self.session.auth = KipuAuth(credential)
        self.seen = {"acme": 0, "control": 0, "refused": 0}
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def _count(self, kind: str) -> None:
        with self._lock:
            self.seen[kind] += 1

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_mock/"):
            self._count("control")
            return self._proxy(request, path, request.get_data(), raw=True)
        route = self._route(request.method, path)
        if route is None:
            self._count("refused")
            return _error(404, f"Acme has no route {request.method} {path}")
        self._count("acme")
        mock_path, names, shape = route
        body = request.get_data()
        if request.mimetype == "application/json" and body:
            try:
                data = json.loads(body)["data"]
            except (ValueError, KeyError, TypeError):
                return _error(400, "Acme expects a JSON body {\"data\": ...}")
            body = json.dumps(_renamed(data, names) if names and isinstance(data, dict) else data).encode()
        return self._proxy(request, mock_path, body, shape=shape)

    def _route(self, method: str, path: str) -> tuple[str, dict | None, Callable[[Any], Any]] | None:
        if self.system == "crm":
            for verb, pattern, target, names, shape in CRM_ROUTES:
                match = pattern.fullmatch(path)
                if verb == method and match:
                    return target.format(*match.groups()), names, shape
            return None
        theirs, ours = PREFIXES[self.system]
        if path.startswith(theirs):
            return ours + path[len(theirs):], None, lambda b: b
        return None

    def _proxy(self, request: Request, path: str, body: bytes, *, raw: bool = False,
               shape: Callable[[Any], Any] = lambda b: b) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        try:
            answer = self.session.request(request.method, self.upstream + path, params=request.args,
                                          data=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            return _error(502, f"Acme upstream unreachable: {type(exc).__name__}")
        kind = answer.headers.get("Content-Type", "")
        if raw or "json" not in kind:
            return Response(answer.content, status=answer.status_code, content_type=kind or None)
        payload = answer.json()
        if answer.status_code >= 400:
            problems = payload.get("problems", []) if isinstance(payload, dict) else []
            message = payload.get("errors", "") if isinstance(payload, dict) else ""
            return _error(answer.status_code, str(message),
                          [{"name": p.get("field"), "reason": p.get("problem")} for p in problems])
        return Response(json.dumps({"data": shape(payload)}), status=answer.status_code,
                        content_type="application/json")


def _error(status: int, message: str, fields: list | None = None) -> Response:
    return Response(json.dumps({"error": {"message": message, "fields": fields or []}}), status=status,
                    content_type="application/json")


def serve(profile: dict[str, Any], host: str = "127.0.0.1") -> tuple[dict[str, str], dict[str, Gateway], Callable]:
    """A gateway on a free port in front of each system of a kipu-harness profile (as a dict):
    (Acme's urls, the gateways, stop)."""
    from waitress.server import create_server

    urls, gateways, servers = {}, {}, []
    for system, entry in profile["systems"].items():
        gateways[system] = Gateway(system, entry["url"], _credential(system, entry))
        server = create_server(gateways[system], host=host, port=0, threads=4, ident=f"acme {system}")
        threading.Thread(target=server.run, name=f"acme-{system}", daemon=True).start()
        servers.append(server)
        urls[system] = f"http://{host}:{server.effective_port}"

    def stop() -> None:
        for server in servers:
            server.close()  # the listener; in-flight channels finish on their own

    return urls, gateways, stop


def _credential(system: str, entry: dict[str, Any]) -> Credential | None:
    """The EMR's Kipu API client: the profile's, or a mock's development one."""
    if system != "emr":
        return None
    given = {k: entry[k] for k in ("access_id", "app_id", "secret_env", "digest") if k in entry}
    if given:
        return Credential.from_mapping(given, "[systems.emr]", secret_in_file=False)
    return DEVELOPMENT if entry.get("mocked") else None


def acme_profile(profile: dict[str, Any], urls: dict[str, str]) -> str:
    """The profile text that points kipu-harness at the gateways, through the driver ``acme``."""
    lines = [f'name = "acme ({profile.get("name", "mocks")})"']
    for key in ("allow_reset", "wait_timeout", "settle", "control_token"):  # the token: for /_mock, passed through
        if key in profile:
            lines.append(f"{key} = {json.dumps(profile[key])}")
    for system, entry in profile["systems"].items():
        lines += ["", f"[systems.{system}]", f'url = "{urls[system]}"', 'driver = "acme"',
                  f"mocked = {json.dumps(bool(entry.get('mocked', False)))}"]
        if entry.get("mllp"):
            lines.append(f'mllp = "{entry["mllp"]}"')
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m acme_kipu_driver.gateway",
                                     description="Serve Acme's API shape in front of running kipu-harness mocks.")
    parser.add_argument("profile", help="the mocks' profile (kipu-harness mocks up --profile-out FILE)")
    parser.add_argument("--profile-out", required=True, help="write the profile for the Acme gateways here")
    args = parser.parse_args(argv)
    with open(args.profile, "rb") as handle:
        profile = tomllib.load(handle)
    urls, _, stop = serve(profile)
    with open(args.profile_out, "w") as handle:
        handle.write(acme_profile(profile, urls))
    print(f"Acme gateways: {', '.join(f'{s.upper()} {u}' for s, u in urls.items())}; profile: {args.profile_out}",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
