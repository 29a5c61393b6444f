"""The mock EMR under HTTP load against WireMock serving the same body, side by side.

    python bench/bench_http.py [--rounds 5] [--duration 8] [--connections 32] [--threads 2]
                               [--server waitress] [--wiremock-jar JAR] [--no-unsigned]

What it does (it installs nothing; without java, wrk or the WireMock jar it says how to get
them in one line and exits 2):

1. Starts ``kipu-harness mocks up`` in a subprocess (its own GIL, as a user runs it: a fresh
   data folder, durability normal, any free ports), admits one synthetic patient through the
   EMR's API, and takes the exact JSON body of ``GET /api/patients/{id}?phi_level=high`` and
   of one ``POST /api/patients``. With ``--no-unsigned`` omitted, a second ``mocks up
   --no-auth`` is measured too (the "unsigned" rows).
2. Starts WireMock (``java -jar wiremock-standalone.jar``) and stubs it with those same bodies:
   the GET answers the patient, the POST a static 201 with the created patient.
3. Runs interleaved rounds of ``wrk -tT -cC -dD --latency``, rotating the order of the servers
   each round: GET of the patient, then POST ``/api/patients`` (each body unique: a counter in
   the first name). The EMR's requests are signed with Kipu's APIAuth (harness/apiauth.py):
   a header set per round, well within the verifier's 900 s skew; a POST signs no Content-MD5,
   so its body may change under the same signature (as the scheme allows).
4. Prints req/s, p50 and p99 per round and server, the medians, and the ratio mock / WireMock
   of the medians measured in this run; then checks that the RCM received each created
   patient's A04 exactly once (EMR patients created vs RCM patients, via their APIs).

``--server granian`` (granian installed in the venv) serves the EMR's app with granian from one
worker process that also holds the rest of the suite, served as ``mocks up`` serves it: the
same app and state, another HTTP server (README, Performance, says why ``mocks up`` keeps waitress).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from kipu_harness.apiauth import DEVELOPMENT, KipuAuth, authorization, http_date
from kipu_harness.progress import progress_bar
from kipu_harness.synthetic import demographics, faker_for
from wrk_run import lua_script, run_wrk

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-http-control-token"
JAR_ENV = "KIPU_BENCH_WIREMOCK_JAR"
JAR_PLACES = ("/tmp/wm/node_modules/wiremock/build/wiremock-standalone-*.jar",
              "node_modules/wiremock/build/wiremock-standalone-*.jar",
              "~/node_modules/wiremock/build/wiremock-standalone-*.jar",
              "/usr/local/lib/node_modules/wiremock/build/wiremock-standalone-*.jar",
              "/usr/lib/node_modules/wiremock/build/wiremock-standalone-*.jar",
              "~/.local/share/wiremock/wiremock-standalone-*.jar")
HOW_TO_GET = {
    "java": "java not found: install a JRE 11+ (Debian: apt-get install default-jre-headless)",
    "wrk": "wrk not found: install it (Debian: apt-get install wrk)",
    "jar": f"WireMock's standalone jar not found: npm install --prefix /tmp/wm wiremock, then pass "
           f"--wiremock-jar /tmp/wm/node_modules/wiremock/build/wiremock-standalone-*.jar (or set {JAR_ENV})",
}

def find_tools(jar_option: str | None, server: str = "waitress") -> dict[str, str]:
    """java, wrk and the WireMock jar, or one line on how to get the first one missing (exit 2)."""
    found = {"java": shutil.which("java"), "wrk": shutil.which("wrk") or _exists("/usr/bin/wrk")}
    if server == "granian" and not Path(sys.executable).with_name("granian").exists():
        print("bench_http: granian not found beside this Python: .venv/bin/pip install granian", file=sys.stderr)
        raise SystemExit(2)
    candidates = [jar_option, os.environ.get(JAR_ENV)] if jar_option or os.environ.get(JAR_ENV) else \
        [p for place in JAR_PLACES for p in sorted(glob.glob(os.path.expanduser(place)))]
    found["jar"] = next((c for c in candidates if c and os.path.isfile(c)), None)
    for name in ("java", "wrk", "jar"):
        if not found[name]:
            print(f"bench_http: {HOW_TO_GET[name]}", file=sys.stderr)
            raise SystemExit(2)
    return found  # type: ignore[return-value]


def _exists(path: str) -> str | None:
    return path if os.path.exists(path) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def granian_suite() -> Any:
    """``--server granian``'s factory: the whole suite in granian's one worker process (its
    state is one process's), served as ``mocks up`` serves it, and the EMR's app also given to
    granian, on the port the bench measures."""
    from kipu_harness.mocks import MockSuite
    from kipu_harness.mocks.emr.apiauth import EmrApiAuth
    from kipu_harness.mocks.serve import ServedSuite
    from kipu_harness.plugin_manager import make_plugin_manager

    auth = EmrApiAuth(enabled=os.environ["BENCH_HTTP_SIGNED"] == "1")
    suite = MockSuite(make_plugin_manager(), data_dir=os.environ["BENCH_HTTP_DATA"], emr_auth=auth)
    suite.guard.token = TOKEN
    served = ServedSuite(suite)
    Path(os.environ["BENCH_HTTP_INFO"]).write_text(json.dumps(served.urls))
    granian_suite.served = served  # type: ignore[attr-defined]
    return suite.apps["emr"]


class Mocks:
    """``kipu-harness mocks up`` in a subprocess, on free ports, with a fresh data folder; or,
    with ``server="granian"``, the suite in a granian worker that serves the EMR (granian_suite)."""

    def __init__(self, server: str, signed: bool):
        self.data = tempfile.mkdtemp(prefix="bench-http-")
        self.signed = signed
        self.session = requests.Session()
        if signed:
            self.session.auth = KipuAuth(DEVELOPMENT)
        if server == "granian":
            self._granian(signed)
            return
        cmd = [str(ROOT / ".venv/bin/kipu-harness"), "mocks", "up", "--data", self.data, "--control-token", TOKEN,
               "--mllp-port", "0", "--console-port", "0",
               *(f"--{s}-port=0" for s in ("crm", "emr", "rcm", "payer"))]
        if not signed:
            cmd.append("--no-auth")
        if not os.path.exists(cmd[0]):
            cmd[0:1] = [sys.executable, "-m", "kipu_harness.cli"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.urls: dict[str, str] = {}
        for line in self.proc.stdout:  # type: ignore[union-attr]
            found = re.match(r"\s+(CRM|EMR|RCM|PAYER)\s+(http://\S+)", line)
            if found:
                self.urls[found.group(1).lower()] = found.group(2)
            if line.startswith("Ctrl-C to stop"):
                break
        else:
            raise RuntimeError(f"mocks up exited with {self.proc.wait()} before it was up")

    def _granian(self, signed: bool) -> None:
        info = Path(self.data) / "urls.json"
        port = free_port()
        env = dict(os.environ, BENCH_HTTP_DATA=str(Path(self.data) / "data"), BENCH_HTTP_INFO=str(info),
                   BENCH_HTTP_SIGNED="1" if signed else "0")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--factory", "--workers", "1",
             "--host", "127.0.0.1", "--port", str(port), "--no-ws", "--log-level", "warning",
             "bench_http:granian_suite"], cwd=Path(__file__).parent, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not info.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("granian did not start the suite")
            time.sleep(0.2)
        while True:  # granian binds its port after the factory returns
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("granian did not open its port") from None
                time.sleep(0.05)
        self.urls = {**json.loads(info.read_text()), "emr": f"http://127.0.0.1:{port}"}

    def emr(self, method: str, path: str, **kw: Any) -> requests.Response:
        if not self.signed and "app_id=" not in path:
            kw.setdefault("params", {})["app_id"] = DEVELOPMENT.app_id
        response = self.session.request(method, self.urls["emr"] + path, timeout=30, **kw)
        response.raise_for_status()
        return response

    def control(self, system: str, path: str) -> Any:
        response = requests.get(self.urls[system] + path, headers={"X-Kipu-Mock-Token": TOKEN}, timeout=30)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.data, ignore_errors=True)


def patient_paths(mocks: Mocks) -> tuple[str, bytes, str, bytes]:
    """Admit a patient through the EMR's API (create, a diagnosis, the MR Number: its A04 and A01
    reach the RCM); return its GET path (with the query) and exact body, the JSON of a POST
    ``/api/patients`` (another synthetic person, first name "Bench") and that POST's exact answer."""
    fake = faker_for(7)
    person, other = demographics(fake), demographics(fake, first="Bench")
    created = mocks.emr("POST", "/api/patients", json={"document": {"recipient_id": 1, "data": person}}).json()
    patient = created["patient"]
    mocks.emr("POST", f"/api/patients/{patient['id']}/diagnoses", json={"code": "F10.20", "principal": True})
    mocks.emr("POST", f"/api/patients/{patient['id']}/mr_number")
    get_path = (f"/api/patients/{patient['id']}?phi_level=high&patient_master_id={patient['patient_master_id']}"
                f"&app_id={DEVELOPMENT.app_id}")
    get_body = mocks.emr("GET", get_path).content
    post = {"document": {"recipient_id": 1, "data": other}}
    answer = mocks.emr("POST", "/api/patients", json=post).content
    return get_path, get_body, json.dumps(post), answer


def signed_headers(method: str, path: str, content_type: str = "") -> dict[str, str]:
    date = http_date()
    return {"Date": date, "Authorization": authorization(DEVELOPMENT, content_type, "", path, date),
            "Accept": "application/vnd.kipusystems+json; version=3"}


class WireMock:
    def __init__(self, jar: str, java: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.root = tempfile.mkdtemp(prefix="bench-wiremock-")  # else it makes mappings/ and __files/ here
        self.proc = subprocess.Popen(
            [java, "-jar", jar, "--port", str(self.port), "--bind-address", "127.0.0.1", "--root-dir", self.root,
             "--no-request-journal",
             "--disable-request-logging", "--disable-banner"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/__admin/mappings", timeout=5)
                return
            except requests.RequestException:  # not listening yet, or a JVM still starting
                time.sleep(0.2)
        raise RuntimeError("WireMock did not start within 60 s")

    def stub(self, method: str, url_path: str, status: int, body: bytes) -> None:
        mapping = {"request": {"method": method, "urlPath": url_path},
                   "response": {"status": status, "body": body.decode(),
                                "headers": {"Content-Type": "application/json"}}}
        requests.post(self.url + "/__admin/mappings", json=mapping, timeout=10).raise_for_status()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)
        shutil.rmtree(self.root, ignore_errors=True)


def delivered_once(mocks: Mocks, before: int) -> str:
    """Wait for the EMR's outbox to empty, then count: EMR patients vs RCM patients from the EMR."""
    deadline = time.monotonic() + 120
    while mocks.control("emr", "/_mock/outbox?status=pending")["deliveries"] and time.monotonic() < deadline:
        time.sleep(0.5)
    emr_ids: list[int] = []
    page = 1
    while True:
        body = mocks.emr("GET", "/api/patients/census", params={"phi_level": "low", "page": page, "per": 100}).json()
        emr_ids += [p["id"] for p in body["patients"]]
        if int(body["pagination"]["current_page"]) >= int(body["pagination"]["total_pages"]):
            break
        page += 1
    rcm = requests.get(mocks.urls["rcm"] + "/rcm/patients", timeout=60).json()["patients"]
    from_emr = [p["emr_patient_id"] for p in rcm if p.get("emr_patient_id")]
    outbox = mocks.control("emr", "/_mock/outbox")["deliveries"]
    status: dict[str, int] = {}
    for row in outbox:
        status[row["status"]] = status.get(row["status"], 0) + 1
    missing = {str(i) for i in emr_ids} - set(from_emr)
    twice = len(from_emr) - len(set(from_emr))
    verdict = "OK: every message delivered once" if not missing and not twice else "FAILED"
    return (f"{verdict} ({'signed' if mocks.signed else 'unsigned'}): EMR patients {len(emr_ids)} "
            f"({len(emr_ids) - before} made by the POST rounds), RCM patients from the EMR {len(from_emr)} "
            f"({len(set(from_emr))} distinct, {len(missing)} missing, {twice} twice); EMR outbox {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--server", choices=("waitress", "granian"), default="waitress",
                        help="waitress: kipu-harness mocks up as it is; granian: the EMR served by granian from one "
                             "worker process that holds the whole suite (an experiment: see README, Performance)")
    parser.add_argument("--wiremock-jar", help=f"WireMock's standalone jar (default ${JAR_ENV}, then common places)")
    parser.add_argument("--no-unsigned", action="store_true", help="skip the mocks up --no-auth rows")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of GET per server before each method's rounds")
    parser.add_argument("--only", choices=("get", "post"), help="run only the GET or the POST rounds")
    args = parser.parse_args()
    tools = find_tools(args.wiremock_jar, args.server)
    wiremock = WireMock(tools["jar"], tools["java"])
    variants = [Mocks(args.server, signed=True)] + ([] if args.no_unsigned else [Mocks(args.server, signed=False)])
    try:
        paths = {id(m): patient_paths(m) for m in variants}  # the same seed: the same patient, its own master id
        get_path, get_body, post_json, post_answer = paths[id(variants[0])]
        wiremock.stub("GET", get_path.partition("?")[0], 200, get_body)
        wiremock.stub("POST", "/api/patients", 201, post_answer)
        before = {id(m): len(m.emr("GET", "/api/patients/census", params={"phi_level": "low", "per": 100})
                             .json()["patients"]) for m in variants}
        servers = {"wiremock": (wiremock.url, get_path, wiremock.proc.pid)} | {
            f"emr {'signed' if m.signed else 'unsigned'}": (m.urls["emr"], paths[id(m)][0], m.proc.pid)
            for m in variants}
        print(f"bench_http: GET body {len(get_body):,} B, POST answer {len(post_answer):,} B; mocks served by "
              f"{args.server}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency; "
              f"{args.rounds} interleaved rounds; {os.cpu_count()} CPUs")
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        methods = ("GET", "POST") if args.only is None else (args.only.upper(),)
        with progress_bar(len(methods) * len(servers) * (args.warmup + args.rounds * args.duration),
                          "wrk seconds") as advance:  # on stderr, on a terminal
            for method in methods:
                names = list(servers)
                for name, (url, get_path, _) in servers.items():  # warm-up (the JIT, the caches), not counted
                    advance(0, f"{method} warm-up: {name}")
                    run_wrk(tools["wrk"], url + get_path, lua_script(signed_headers("GET", get_path), None),
                            argparse.Namespace(**{**vars(args), "duration": args.warmup}))
                    advance(args.warmup)
                for round_no in range(args.rounds):
                    order = names[round_no % len(names):] + names[:round_no % len(names)]
                    for name in order:
                        advance(0, f"{method} round {round_no + 1}/{args.rounds}: {name}")
                        url, get_path, pid = servers[name]
                        if method == "GET":
                            lua, target = lua_script(signed_headers("GET", get_path), None), url + get_path
                        else:
                            path = f"/api/patients?app_id={DEVELOPMENT.app_id}"
                            lua = lua_script({"Content-Type": "application/json",
                                              **signed_headers("POST", path, "application/json")}, post_json)
                            target = url + path
                        row = run_wrk(tools["wrk"], target, lua, args, pid)
                        advance(args.duration)
                        results.setdefault((method, name), []).append(row)
                        print(f"  {method:<5}round {round_no + 1}  {name:<14}{row['rps']:>10,.0f} req/s  "
                              f"p50 {row['p50']:>7.2f} ms  p99 {row['p99']:>8.2f} ms  CPU {row['cpu_ms']:.2f} ms/req  non-2xx {row['non2xx']:.0f}  "
                              f"socket errors {row['errors']:.0f}", flush=True)
        summary(results)
        if args.only != "get":
            for m in variants:
                print(delivered_once(m, before[id(m)]))
    finally:
        wiremock.stop()
        for m in variants:
            m.stop()
    return 0


def summary(results: dict[tuple[str, str], list[dict[str, float]]]) -> None:
    print(f"\n{'':<6}{'server':<16}{'req/s median':>13}{'min':>9}{'max':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'/ WireMock':>12}{'CPU ms/req':>12}")
    for method in ("GET", "POST"):
        wm = results.get((method, "wiremock"))
        if not wm:
            continue
        base = statistics.median(r["rps"] for r in wm)
        for (m, name), rows in results.items():
            if m != method:
                continue
            rps = [r["rps"] for r in rows]
            print(f"{method:<6}{name:<16}{statistics.median(rps):>13,.0f}{min(rps):>9,.0f}{max(rps):>9,.0f}"
                  f"{statistics.median(r['p50'] for r in rows):>9.2f}{statistics.median(r['p99'] for r in rows):>9.2f}"
                  f"{statistics.median(rps) / base:>12.1%}{statistics.median(r['cpu_ms'] for r in rows):>12.3f}")


if __name__ == "__main__":
    sys.exit(main())
