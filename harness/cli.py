"""The ``kipu-harness`` command: serve the mocks, run the conformance suite."""

from __future__ import annotations

import argparse
import dataclasses
import faulthandler
import ipaddress
import os
import re
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import call, load, simulation

TOKEN_ENV = "KIPU_HARNESS_CONTROL_TOKEN"  # `mocks up --control-token`'s default
SECRET_ENV = "KIPU_HARNESS_EMR_SECRET"  # where a profile written by `mocks up` looks for a configured secret
# pytest plugins the conformance suite never uses that the test extras install (3 to 4 s of a run's
# start-up: their modules are imported and assertion-rewritten; `-p NAME` after `run` brings one back),
# and allure-pytest, Allure's plain-pytest adapter, whose --alluredir clashes with allure-pytest-bdd's.
UNUSED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:faker",
                  "-p", "no:allure_pytest")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kipu-harness", description="Simulation and conformance harness for the Kipu CRM, EMR and RCM integration.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    mocks = commands.add_parser("mocks", help="the mock CRM, EMR and RCM")
    mock_commands = mocks.add_subparsers(dest="mocks_command", metavar="ACTION", parser_class=_Parser)
    mock_commands.required = True
    up = mock_commands.add_parser("up", help="serve the mock CRM, EMR and RCM (HTTP and MLLP) on loopback until Ctrl-C",
                                  description="Serve the mock CRM, EMR and RCM on loopback until Ctrl-C. "
                                              "Data is kept in SQLite files under --data and survives a restart.")
    up.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1, loopback only; any other address warns)")
    up.add_argument("--control-token", metavar="TOKEN", default=os.environ.get(TOKEN_ENV),
                    help=f"the token the mocks' /_mock routes need (X-Kipu-Mock-Token; default: ${TOKEN_ENV}, "
                         "else [mocks] control_token of --config, else a new one each run; printed)")
    up.add_argument("--crm-port", type=port_number, default=8101, help="CRM HTTP port (default 8101; 0 = any free port)")
    up.add_argument("--emr-port", type=port_number, default=8102, help="EMR HTTP port (default 8102)")
    up.add_argument("--rcm-port", type=port_number, default=8103, help="RCM HTTP port (default 8103)")
    up.add_argument("--payer-port", type=port_number, default=8104, help="mock payer/clearinghouse HTTP port (default 8104)")
    up.add_argument("--mllp-port", type=port_number, default=2575, help="RCM MLLP port for HL7 v2 (default 2575)")
    up.add_argument("--console-port", type=port_number, default=8100, help="console page HTTP port (default 8100)")
    up.add_argument("--data", default=".kipu-harness/data", help="folder for the SQLite files (default .kipu-harness/data)")
    up.add_argument("--memory", action="store_true", help="keep data in memory only (nothing survives a restart)")
    up.add_argument("--durability", choices=("normal", "full"), default="normal",
                    help="SQLite synchronous setting of the data files: normal (default; a committed write survives "
                         "a crash of the process, a power loss may lose the last ones) or full (survives a power "
                         "loss too; an fsync per write)")
    up.add_argument("--config", metavar="FILE", help="TOML file whose [integration] table sets the integration settings "
                                                     "and whose [emr_api] table the EMR's API clients")
    up.add_argument("--faults", metavar="FILE",
                    help="TOML file of [[faults]] the mocks start with (system, channel, kind, next or fraction; "
                         "see README: Faults); more are set and cleared at /_mock/faults")
    up.add_argument("--no-auth", action="store_true",
                    help="open the EMR's Kipu API to unsigned requests (for exploring with curl; warns)")
    up.add_argument("--profile-out", metavar="FILE", help="also write a --profile TOML pointing at these mocks")
    for system in ("crm", "emr", "rcm", "payer"):
        up.add_argument(f"--{system}-url", metavar="URL",
                        help=f"send the mocks' traffic for the {system.upper()} to this real system instead of its mock")
    up.add_argument("--rcm-mllp", metavar="HOST:PORT", help="with --rcm-url: the real RCM's MLLP listener")
    up.add_argument("--seed", type=int, metavar="N",
                    help="start empty mocks with a synthetic census drawn from seed N (same seed, same census)")
    up.add_argument("--census", type=int, default=12, metavar="SIZE",
                    help="how many people --seed creates (default 12: a third prospects, the rest admitted)")
    up.add_argument("--seed-via", choices=("auto", "api", "bulk"), default="auto",
                    help="make the census through the systems' APIs (every message sent and journaled) or write "
                         "the same records straight into the stores (bulk: 100,000 people in about a minute); "
                         "auto (default): bulk from 200 people")
    up.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="a progress bar on stderr while seeding (default: on a terminal, for 200 people or more)")

    call.add_parser(commands)
    load.add_parser(commands)
    simulation.add_parser(commands)

    run = commands.add_parser("run", allow_abbrev=False, help="run the conformance suite and write reports",
                              description="Run the conformance suite, print a per-requirement summary and write "
                                          "junit.xml, cucumber.json, requirements.json and requirements.md.")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--target", metavar="NAME", help="inprocess (default), local, or a plugin's target")
    where.add_argument("--profile", metavar="FILE", help="TOML profile of running systems (target remote)")
    run.add_argument("--config", metavar="FILE", help="TOML file whose [integration] table sets the mocks' integration settings")
    run.add_argument("--reports", default="reports", metavar="DIR", help="where reports go (default ./reports)")
    run.epilog = ("Any other argument goes to pytest as it is, e.g. -k PAT-17, --kipu-block NAME or "
                  "--kipu-plugin MODULE[:ATTR] (no -- needed).")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command not in ("run", "load"):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "run":
        if "--" in unknown:
            unknown.remove("--")  # the first: what follows goes to pytest, as before
        args.pytest_args = unknown
    try:
        if args.command == "run":
            return run(args)
        if args.command in ("call", "load"):
            return call.call(args) if args.command == "call" else load.run(args, unknown)
        return simulation.simulate(args) if args.command == "simulate" else mocks_up(args)
    except (ValueError, OSError) as exc:
        print(f"kipu-harness: error: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    import pytest

    reports = Path(args.reports)
    reports.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(reports / "x12", ignore_errors=True)  # this run's 837s only
    for path in (args.profile, args.config):
        if path and not Path(path).is_file():
            raise ValueError(f"{path} does not exist")
    if args.config:
        from .settings import IntegrationSettings

        IntegrationSettings.from_toml(Path(args.config))
    if args.target == "remote" and not args.profile:
        raise ValueError("--target remote needs a profile: --profile FILE")
    plugins = _check_plugins(args.pytest_args)
    if args.profile:
        from .target import checked_profile

        checked_profile(args.profile, plugins())  # one-line errors here, not tracebacks later
    if args.target:
        from .plugin_manager import make_plugin_manager
        from .target import collect_targets

        known = collect_targets(make_plugin_manager())
        if args.target not in known:
            raise ValueError(f"unknown target {args.target!r}; known: {', '.join(sorted(known))}")
    from kipu_harness.scenarios.paths import SCENARIOS  # where the wheel or the checkout has them

    pytest_args = [
        str(SCENARIOS),
        "-q", "-rfEs", "-p", "no:cacheprovider", "--strict-markers", *UNUSED_PLUGINS,
        # Installed from a wheel, kipu_harness is imported (by this command) before pytest could
        # rewrite its asserts, and pytest says so on every run; the suite does not need it.
        "-W", "ignore::pytest.PytestAssertRewriteWarning",
        f"--rootdir={SCENARIOS}",
        f"--junitxml={reports / 'junit.xml'}",
        f"--cucumberjson={reports / 'cucumber.json'}",
        f"--kipu-reports={reports}",
    ]
    if args.target:
        pytest_args.append(f"--target={args.target}")
    if args.profile:
        pytest_args.append(f"--profile={args.profile}")
    if args.config:
        pytest_args.append(f"--kipu-config={args.config}")
    if args.profile:
        pytest_args.append("--kipu-skip-preflight")  # checked above
    from .phi import mask_file, mask_logs
    from .written import reports_line

    mask_logs()
    started = time.time() - 1  # a file system's clock may round a write's time down
    code = pytest.main(pytest_args + list(args.pytest_args))
    for written in ("junit.xml", "cucumber.json"):  # failure messages may quote a system: SSNs masked
        mask_file(reports / written)
    line = reports_line(reports, started, [Path(a) for a in _option_values(args.pytest_args, "--alluredir")])
    if line:
        print(line)  # only what this run wrote, plugins' own files too
    return 2 if code == pytest.ExitCode.USAGE_ERROR else int(code)


def _option_values(arguments: list[str], option: str) -> list[str]:
    """The values given to ``option`` among pytest's arguments (``--opt V`` or ``--opt=V``)."""
    values = [arguments[i + 1] for i, arg in enumerate(arguments[:-1]) if arg == option]
    return values + [arg.partition("=")[2] for arg in arguments if arg.startswith(option + "=")]


def _check_plugins(pytest_args: list[str]) -> Any:
    """--kipu-plugin and --kipu-block among the pytest arguments: one-line errors before the run.
    Returns how to make the run's plugin manager (only a profile's drivers need it here)."""
    import importlib

    from .plugin_manager import check_blocked, make_plugin_manager

    specs, blocked = [], []
    for i, arg in enumerate(pytest_args):
        for option, found in (("--kipu-plugin", specs), ("--kipu-block", blocked)):
            if arg == option and i + 1 < len(pytest_args):
                found.append(pytest_args[i + 1])
            elif arg.startswith(option + "="):
                found.append(arg.partition("=")[2])
    extra = []
    for spec in specs:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
            extra.append(getattr(module, attr) if attr else module)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"--kipu-plugin {spec}: {exc}") from None
    check_blocked(blocked, extra)
    return lambda: make_plugin_manager(blocked=blocked, extra=extra)


def mocks_up(args: argparse.Namespace) -> int:
    if args.control_token is not None:
        checked_token(args.control_token)  # a wrong one is one line before the mocks are even imported
    # Ctrl-C (SIGINT) stops the mocks even when this process began with it ignored or blocked,
    # both of which a child inherits (a shell's background job; a parent that spawned it from a
    # thread blocking signals): Python then installs no handler of its own.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    from .plugin_manager import make_plugin_manager
    from .settings import IntegrationSettings, read_toml
    from kipu_harness.mocks import MockSuite
    from kipu_harness.mocks.emr.apiauth import EmrApiAuth
    from kipu_harness.mocks.serve import ServedSuite

    settings, emr_auth, config = IntegrationSettings(), EmrApiAuth(), {}
    if args.config:
        config = read_toml(args.config, "config")
        settings = IntegrationSettings.from_mapping(config.get("integration", {}))
        emr_auth = EmrApiAuth.from_mapping(config.get("emr_api", {}))
    if args.no_auth:
        emr_auth = dataclasses.replace(emr_auth, enabled=False)
        print("kipu-harness: warning: --no-auth: the EMR's Kipu API answers unsigned requests from anyone",
              file=sys.stderr)
    suite = MockSuite(make_plugin_manager(), settings=settings, data_dir=None if args.memory else args.data,
                      emr_auth=emr_auth, durability=args.durability)
    faults = suite.faults.load(args.faults) if args.faults else 0
    token = args.control_token or config.get("mocks", {}).get("control_token")
    if token is not None:
        suite.guard.token = checked_token(token)
    if not is_loopback(args.host):
        print(f"kipu-harness: warning: --host {args.host} is not loopback: other machines can reach the mocks "
              "(their data is synthetic PHI; the control routes still need the token)", file=sys.stderr)
    seeded = None
    if args.seed is not None:
        from kipu_harness.mocks import census

        if census.is_empty(suite):
            seeded = census.seed(suite, args.seed, args.census, via=args.seed_via, progress=args.progress)
    elsewhere = {s: getattr(args, f"{s}_url").rstrip("/") for s in ("crm", "emr", "rcm", "payer") if getattr(args, f"{s}_url")}
    elsewhere_mllp = None
    if args.rcm_mllp:
        host, _, port = args.rcm_mllp.rpartition(":")
        if not port.isdigit():
            raise ValueError(f"--rcm-mllp {args.rcm_mllp}: expected HOST:PORT")
        elsewhere_mllp = (host, int(port))
    taken = taken_port(args)  # before any is bound, so the one named is the one in use
    if taken:
        raise OSError(f"{taken}: address already in use")
    try:
        served = ServedSuite(suite, host=args.host, mllp_port=args.mllp_port, elsewhere=elsewhere,
                             elsewhere_mllp=elsewhere_mllp,
                             ports={"crm": args.crm_port, "emr": args.emr_port, "rcm": args.rcm_port,
                                    "payer": args.payer_port}, console_port=args.console_port)
    except OSError as exc:
        raise OSError(f"cannot listen on {args.host}: {exc.strerror or exc}") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("kipu-harness mocks are up:")
    for system, url in served.urls.items():
        print(f"  {system.upper():<5}  {url}   API page: {url}/docs/swagger   OpenAPI: {url}/openapi.json")
    print(f"  console   {served.console_url}\n  RCM MLLP  {served.mllp[0]}:{served.mllp[1]}")
    print("\n".join(credential_lines(emr_auth)))
    print(f"  control   token {suite.guard.token}  (header X-Kipu-Mock-Token on /_mock/*; /_mock/health is open)")
    if faults:
        print(f"  faults    {faults} from {args.faults} (see and clear them at /_mock/faults)")
    for system, url in elsewhere.items():
        print(f"  {system.upper()} traffic goes to {url} (a real system; its mock stays idle)")
    print(f"  data: {'memory' if args.memory else f'{Path(args.data).resolve()} (durability {args.durability})'}")
    if args.seed is not None:
        print(f"  census (seed {args.seed}): " + (", ".join(f"{n} {k}" for k, n in seeded.items()) if seeded
                                                   else "not seeded, the data folder already has patients"))
    if args.profile_out:
        write_profile(Path(args.profile_out), served, elsewhere, allow_reset=args.memory, emr_auth=emr_auth,
                      control_token=suite.guard.token)
        print(f"  profile: {args.profile_out}")
    print("Ctrl-C to stop.", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    # Stopping takes a second or two; if it ever takes 20, every thread's stack goes to stderr,
    # so a stop that hangs says where.
    faulthandler.dump_traceback_later(20)
    served.stop()
    suite.close()
    faulthandler.cancel_dump_traceback_later()
    print("stopped.")
    return 0


def port_number(text: str) -> int:
    """A TCP port from the command line: 0 (any free port) to 65535, nothing else."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port (0 to 65535; 0 = any free port)")
    return number


def taken_port(args: argparse.Namespace) -> str | None:
    """Which of mocks up's ports cannot be listened on (``--emr-port 8102``), if one of them."""
    for option in ("crm", "emr", "rcm", "payer", "mllp", "console"):
        number = getattr(args, f"{option}_port")
        if number:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
                try:
                    probe.bind((args.host, number))
                except OSError:
                    return f"--{option}-port {number} on {args.host}"
    return None


def checked_token(token: Any) -> str:
    """A control token given by the user: 8 to 200 visible ASCII characters (no quote or backslash)."""
    if not isinstance(token, str) or not re.fullmatch(r"[!#-\[\]-~]{8,200}", token):
        raise ValueError("control token: expected 8 to 200 visible ASCII characters, no quote or backslash")
    return token


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def credential_lines(emr_auth: Any) -> list[str]:
    """What `mocks up` says about the EMR's API clients: the development one in full (it is
    public), a configured one without its secret."""
    from .apiauth import DEVELOPMENT

    if not emr_auth.enabled:
        return ["  EMR API   open to unsigned requests (--no-auth)"]
    lines = [f"  EMR API   signed requests only (Kipu's APIAuth, clock skew up to {emr_auth.skew_seconds} s); clients:"]
    for c in emr_auth.credentials:
        secret = f"secret {c.secret}" if c == DEVELOPMENT else "secret as configured"
        lines.append(f"            access_id {c.access_id}  app_id {c.app_id}  {secret}  ({c.scheme})")
    lines.append("            try: kipu-harness call emr GET '/api/patients/census?phi_level=high'")
    return lines


def write_profile(path: Path, served, elsewhere: dict[str, str] | None = None, *, allow_reset: bool = False,
                  emr_auth: Any = None, control_token: str | None = None) -> None:
    """A profile for these mocks; a system sent elsewhere is listed at its real address, not mocked.
    A configured EMR client is named with its secret's environment variable, never the secret.
    ``control_token``: the mocks' control token, which their /_mock routes need."""
    from .apiauth import DEVELOPMENT

    elsewhere = elsewhere or {}
    signer = emr_auth.signer if emr_auth is not None else None
    host, port = served.mllp
    lines = ['name = "kipu-harness mocks"',
             "# true only for mocks kept in memory (--memory): a run may then empty them between scenarios.",
             "# With a data folder this stays false: your saved data is never wiped unasked.",
             f"allow_reset = {str(allow_reset).lower()}"]
    if control_token:
        lines += ["# The mocks' control token (X-Kipu-Mock-Token): their /_mock routes need it. New each run",
                  "# of `mocks up` unless given with --control-token.", f'control_token = "{control_token}"']
    for system, url in served.urls.items():
        real = system in elsewhere
        lines += ["", f"[systems.{system}]", f'url = "{elsewhere.get(system, url)}"', f"mocked = {str(not real).lower()}"]
        if system == "rcm" and not real:
            lines.append(f'mllp = "{host}:{port}"')
        if system == "emr" and not real and signer is not None and signer != DEVELOPMENT:
            lines += [f'access_id = "{signer.access_id}"', f'app_id = "{signer.app_id}"', f'digest = "{signer.digest}"',
                      f'secret_env = "{SECRET_ENV}"  # export it with the secret of {signer.access_id}']
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
