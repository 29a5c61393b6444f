"""``kipu-harness load``: Locust on a deployment, with the harness's locustfile and a profile.

A thin wrapper: it checks the profile (its drivers, and that each system answers) and the
workload, then replaces itself with ``python -m locust -f <the locustfile> --kipu-profile FILE
[--kipu-workload FILE] [--headless] <every other argument as given>``. Headless unless ``--web``
(Locust's web UI) or ``--worker``; ``--master`` and ``--worker`` are Locust's distributed mode.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import sys
from pathlib import Path
from typing import Any

PROFILE_ENV = "KIPU_HARNESS_PROFILE"
WORKLOAD_ENV = "KIPU_HARNESS_WORKLOAD"
INSTALL = "pip install 'kipu-harness[load]'"
LOCUSTFILE = str(Path(__file__).with_name("locustfile.py"))


def add_parser(commands: Any) -> None:
    load = commands.add_parser(
        "load", allow_abbrev=False,
        help="put load on a deployment with Locust (intake, clinicians, reviewers, billers)",
        description="Run Locust with users playing the intake coordinator, the clinician, the utilization reviewer "
                    "and the biller on the systems of a profile, through the harness's drivers; every call is "
                    "reported to Locust by its business operation. Headless unless --web.",
        epilog="Any other argument goes to Locust as it is, e.g. -u 20 -r 5 -t 2m --csv stats/run, "
               "--master --expect-workers 2, --worker --master-host HOST (see locust --help).")
    load.add_argument("--profile", metavar="FILE", default=os.environ.get(PROFILE_ENV),
                      help=f"TOML profile of the deployment (default ${PROFILE_ENV}); a --worker without one "
                           "uses the master's")
    load.add_argument("--workload", metavar="FILE", default=os.environ.get(WORKLOAD_ENV),
                      help="TOML whose [load] table sets the mix of roles and what they use "
                           f"(default ${WORKLOAD_ENV}; see README: Load on a deployment with Locust)")
    load.add_argument("--web", action="store_true",
                      help="Locust's web UI (add --web-host 127.0.0.1 to keep it on loopback) instead of a "
                           "headless run")


def run(args: argparse.Namespace, locust_args: list[str]) -> int:
    """Check what the run needs, then exec Locust (this returns only on bad input)."""
    if importlib.util.find_spec("locust") is None:
        raise ValueError(f"kipu-harness load needs Locust: {INSTALL}")
    if "-f" in locust_args or "--locustfile" in locust_args or any(a.startswith("--locustfile=") for a in locust_args):
        raise ValueError("kipu-harness load runs the harness's locustfile; run your own with locust -f FILE")
    worker = "--worker" in locust_args
    if not args.profile and not worker:
        raise ValueError(f"kipu-harness load needs a profile: --profile FILE (or ${PROFILE_ENV})")
    from .workload import load_workload

    if args.workload:
        load_workload(args.workload)
    if args.profile:
        _check_profile(args.profile, preflight=not worker)
    command = locust_command(args, locust_args)
    sys.stdout.flush()
    # Ctrl-C stops Locust even when this process began with SIGINT ignored or blocked (a shell's
    # background job, a parent's thread): both would pass through exec to Locust's Python.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    os.execv(command[0], command)
    return 0  # pragma: no cover (execv does not return)


def locust_command(args: argparse.Namespace, locust_args: list[str]) -> list[str]:
    command = [sys.executable, "-m", "locust", "-f", LOCUSTFILE]
    if args.profile:
        command += ["--kipu-profile", str(Path(args.profile).resolve())]
    if args.workload:
        command += ["--kipu-workload", str(Path(args.workload).resolve())]
    chosen = {"--headless", "--autostart", "--worker"} & set(locust_args)
    if not args.web and not chosen:
        command.append("--headless")
    return command + list(locust_args)


def _check_profile(path: str, preflight: bool) -> None:
    """Its drivers exist and offer the contract; on a master or a standalone run, each system answers."""
    from kipu_harness.plugin_manager import make_plugin_manager
    from kipu_harness.target import checked_profile

    if not Path(path).is_file():
        raise ValueError(f"{path} does not exist")
    checked_profile(path, make_plugin_manager(), preflight=preflight)
