"""A run's metadata for its reports: target, systems and their addresses, harness version and
commit, Python, when it started, how long it took, and the integration settings in force."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .reports import RunInfo


@functools.cache
def harness_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kipu-harness")
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def harness_commit() -> str:
    """The checkout's commit (with "+changes" when its files differ from it); "" for an installed wheel."""
    here = Path(__file__).resolve().parent.parent
    if not (here / ".git").exists():
        return ""
    try:
        head = subprocess.run(["git", "-C", str(here), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+changes" if dirty else "")


def run_info(target: Any, *, target_name: str, profile: Any, settings: Any, settings_file: str | None,
             started: float, args: list[str]) -> RunInfo:
    """``target``: the run's Target (None when no scenario set one up); ``started``: time.time()."""
    systems: tuple[tuple[str, str], ...] = ()
    if profile is not None:
        systems = tuple((name, without_userinfo(address.url)) for name, address in profile.systems.items())
    elif target is not None:
        systems = tuple(getattr(target, "addresses", {}).items())
    values = dataclasses.asdict(settings) if dataclasses.is_dataclass(settings) else {}
    return RunInfo(
        target=target_name,
        systems=systems,
        profile=profile.name if profile is not None else "",
        harness_version=harness_version(),
        commit=harness_commit(),
        python=sys.version.split()[0],
        started=dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
        duration=round(time.time() - started, 1),
        settings=tuple((k, str(v)) for k, v in values.items()),
        settings_file=settings_file or "",
        command=" ".join(args),
    )


def without_userinfo(url: str) -> str:
    """``https://user:secret@host/`` -> ``https://host/``: a report never shows a password."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1", url, flags=re.IGNORECASE)
