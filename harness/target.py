"""Targets: the CRM, EMR and RCM a run talks to, and what they can do beyond their own API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clients import MockControl
from .contract import CrmDriver, EmrDriver, PayerDriver, RcmDriver
from .apiauth import Credential
from .settings import IntegrationSettings, read_toml

# What only a mock can do. A scenario that needs one is tagged @needs-<capability> and is
# skipped, with the reason printed, on a target that does not declare it.
CAPABILITIES = {
    "reset": "empties every system between scenarios",
    "journal": "shows the calls and messages a system received",
    "clock": "pins the systems' date and time",
    "outbox": "shows and re-delivers what a system has still to send",
    "payer": "a mock payer whose members' eligibility outcomes can be set",
    "faults": "makes a system or the network misbehave on purpose (errors, hangs, drops, duplicates, reordering)",
}


@dataclass(frozen=True)
class TargetOptions:
    """What a target factory gets: the chosen profile (if any) and integration settings."""

    name: str
    profile: "Profile | None" = None
    settings: IntegrationSettings = field(default_factory=IntegrationSettings)
    pm: Any = None


@dataclass
class Target:
    name: str
    crm: CrmDriver
    emr: EmrDriver
    rcm: RcmDriver
    payer: PayerDriver | None = None
    capabilities: frozenset[str] = frozenset()
    controls: dict[str, MockControl] = field(default_factory=dict)
    wait_timeout: float = 5.0
    # Seconds a negative check ("nothing was sent") watches before it believes it; 0 where
    # delivery happens within the request (the embedded mocks).
    settle: float = 0.0
    closer: Callable[[], None] | None = None
    # How a test can take a system down and bring it back (loopback outage); mocks only.
    outage: Any = None
    # Where each system is, for the run's reports: a URL, "in-process", an MLLP host:port.
    addresses: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        for control in self.controls.values():
            control.reset()

    def close(self) -> None:
        if self.closer:
            self.closer()


@dataclass(frozen=True)
class TargetSpec:
    name: str
    factory: Callable[[TargetOptions], Target]
    description: str
    plugin: str


def collect_targets(pm: Any) -> dict[str, TargetSpec]:
    """Ask every plugin for its targets; a name offered twice is an error naming both plugins."""
    specs: dict[str, TargetSpec] = {}

    for impl in pm.hook.harness_register_targets.get_hookimpls():
        plugin_name = impl.plugin_name

        def register(name: str, factory: Callable[[TargetOptions], Target], description: str = "",
                     _plugin: str = plugin_name) -> None:
            if name in specs:
                raise ValueError(f"target {name!r} is registered twice: by {specs[name].plugin} and by {_plugin}")
            specs[name] = TargetSpec(name, factory, description, _plugin)

        impl.function(register=register)
    return specs


@dataclass(frozen=True)
class SystemAddress:
    url: str
    mocked: bool = False
    mllp: tuple[str, int] | None = None
    driver: str = "kipu"  # a name registered with harness_register_drivers
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # the driver's own settings
    # Kipu API credentials (the EMR): access_id and app_id from the profile, the secret from the
    # environment variable it names. None: requests go unsigned (a mock's development client is
    # used for a mocked EMR).
    credential: Credential | None = field(default=None, compare=False)

    @property
    def signer(self) -> Credential | None:
        """Who signs Kipu API requests here: the profile's client, else a mock's development one."""
        from .apiauth import DEVELOPMENT

        return self.credential or (DEVELOPMENT if self.mocked else None)
    # A mock's control token (X-Kipu-Mock-Token): the system's control_token, else the profile's.
    control_token: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DriverSpec:
    name: str
    factories: dict[str, Callable[[SystemAddress], Any]]
    description: str
    plugin: str


def collect_drivers(pm: Any) -> dict[str, DriverSpec]:
    """Ask every plugin for its drivers; a name offered twice is an error naming both plugins."""
    specs: dict[str, DriverSpec] = {}
    for impl in pm.hook.harness_register_drivers.get_hookimpls():
        def register(name: str, *, description: str = "", _plugin: str = impl.plugin_name, **factories: Any) -> None:
            if name in specs:
                raise ValueError(f"driver {name!r} is registered twice: by {specs[name].plugin} and by {_plugin}")
            unknown = sorted(set(factories) - set(SYSTEMS))
            if unknown:
                raise ValueError(f"driver {name!r} ({_plugin}): unknown system(s) {', '.join(unknown)}")
            specs[name] = DriverSpec(name, dict(factories), description, _plugin)

        impl.function(register=register)
    return specs


def make_drivers(profile: "Profile", pm: Any) -> dict[str, Any]:
    """One driver per system of the profile, each checked against the contract: a driver name no
    plugin registered, a system it does not speak to, or an operation it lacks is a one-line error."""
    from .contract import missing_operations

    specs = collect_drivers(pm)
    drivers = {}
    for system, address in profile.systems.items():
        spec = specs.get(address.driver)
        where = f"profile {profile.path or profile.name}: [systems.{system}] driver = {address.driver!r}"
        if spec is None:
            raise ValueError(f"{where}: no plugin registers this driver; known: {', '.join(sorted(specs))}")
        if system not in spec.factories:
            raise ValueError(f"{where}: this driver ({spec.plugin}) has nothing for the {system.upper()}")
        driver = spec.factories[system](address)
        missing = missing_operations(system, driver)
        if missing:
            raise ValueError(f"{where}: the driver lacks {len(missing)} operation(s) of the contract: "
                             f"{', '.join(missing)} (see docs/contract.md)")
        drivers[system] = driver
    return drivers


@dataclass(frozen=True)
class Profile:
    """A TOML profile: where each system lives, and integration settings.

    ::

        name = "vendor staging"
        [systems.crm]
        url = "http://127.0.0.1:8101"
        mocked = true           # a kipu-harness mock: its control routes may be used
        [systems.emr]
        url = "https://emr.vendor.example"
        access_id = "..."       # Kipu API credentials: every request is signed (APIAuth)
        app_id = "..."
        secret_env = "KIPU_SECRET"  # the environment variable holding the secret, never the secret
        digest = "sha1"         # or "sha256" (APIAuth-HMAC-SHA256)
        driver = "kipu"         # or a driver plugin for an API other than Kipu's
        [systems.emr.options]   # handed to that driver as it is
        tenant = "north"
        [systems.rcm]
        url = "http://127.0.0.1:8103"
        mllp = "127.0.0.1:2575"
        mocked = true
        [integration]
        diagnosis_order = "principal-then-added"

    ``control_token = "..."`` (top level, or in a system's table for that system) is the mocks'
    control token, sent to their /_mock routes; ``mocks up --profile-out`` writes it.
    ``allow_reset = true`` (top level) lets a run empty every system between scenarios; it is
    honoured only when every system is mocked. ``settle = 2.0`` (top level, seconds, the default)
    is how long a negative check ("nothing was sent") watches on this deployment before it
    believes it; a target with the outbox capability ends the wait once every outbox is drained.
    Unknown keys, a non-boolean ``mocked``, a negative ``settle`` and a URL without http:// or
    https:// are one-line errors.
    """

    name: str
    systems: dict[str, SystemAddress]
    settings: IntegrationSettings
    wait_timeout: float = 15.0
    path: Path | None = None
    allow_reset: bool = False
    settle: float = 2.0

    @classmethod
    def load(cls, path: str | Path) -> "Profile":
        path = Path(path)
        data = read_toml(path, "profile")
        _no_unknown(path, "", data, _PROFILE_KEYS)
        tables = data.get("systems", {})
        if not isinstance(tables, dict):
            raise ValueError(f"profile {path}: [systems] must be a table")
        _no_unknown(path, "[systems] ", tables, SYSTEMS, what="system")
        systems = {}
        for system in SYSTEMS:
            entry = tables.get(system)
            if system == "payer" and entry is None:
                continue  # optional: a deployment's RCM may talk to a real clearinghouse
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                raise ValueError(f"profile {path}: [systems.{system}] needs a url")
            _no_unknown(path, f"[systems.{system}] ", entry, _SYSTEM_KEYS)
            url = entry["url"]
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"profile {path}: [systems.{system}] url = {url!r}: expected http:// or https://")
            mocked = _boolean(path, f"[systems.{system}] mocked", entry.get("mocked", False))
            mllp = None
            if entry.get("mllp"):
                host, _, port = str(entry["mllp"]).rpartition(":")
                if not port.isdigit():
                    raise ValueError(f"profile {path}: [systems.{system}] mllp must be HOST:PORT")
                mllp = (host, int(port))
            driver = entry.get("driver", "kipu")
            if not isinstance(driver, str) or not driver:
                raise ValueError(f"profile {path}: [systems.{system}] driver = {driver!r}: expected a driver's name")
            options = entry.get("options", {})
            if not isinstance(options, dict):
                raise ValueError(f"profile {path}: [systems.{system}] options must be a table")
            systems[system] = SystemAddress(url.rstrip("/"), mocked, mllp, driver, options,
                                            _credential(path, system, entry),
                                            _token(path, f"[systems.{system}] ", entry) or _token(path, "", data))
        settings = IntegrationSettings.from_mapping(data.get("integration", {}))
        return cls(str(data.get("name", path.stem)), systems, settings,
                   float(data.get("wait_timeout", 15.0)), path,
                   _boolean(path, "allow_reset", data.get("allow_reset", False)),
                   _seconds(path, "settle", data.get("settle", 2.0)))


SYSTEMS = ("crm", "emr", "rcm", "payer")
_CREDENTIAL_KEYS = ("access_id", "app_id", "secret_env", "digest", "secret")  # "secret": to refuse it by name
_PROFILE_KEYS = ("name", "wait_timeout", "allow_reset", "settle", "systems", "integration", "control_token")
_SYSTEM_KEYS = ("url", "mocked", "mllp", "driver", "options", "control_token", *_CREDENTIAL_KEYS)


def _token(path: Path, where: str, table: dict[str, Any]) -> str | None:
    token = table.get("control_token")
    if token is not None and (not isinstance(token, str) or not token or not token.isprintable() or " " in token):
        raise ValueError(f"profile {path}: {where}control_token: expected the token as a string (no spaces)")
    return token


def _credential(path: Path, system: str, entry: dict[str, Any]) -> Credential | None:
    """``access_id``, ``app_id``, ``secret_env`` (and ``digest``) of [systems.emr]; the secret
    itself only ever comes from the environment."""
    given = {k: entry[k] for k in _CREDENTIAL_KEYS if k in entry}
    if not given:
        return None
    where = f"profile {path}: [systems.{system}]"
    if system != "emr":
        raise ValueError(f"{where} {', '.join(sorted(given))}: only the EMR speaks Kipu's signed API; "
                         f"a driver's own credentials go in [systems.{system}.options]")
    return Credential.from_mapping(given, where, secret_in_file=False)


def _no_unknown(path: Path, where: str, table: dict, known: tuple[str, ...], what: str = "key") -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ValueError(f"profile {path}: {where}unknown {what}(s) {', '.join(unknown)}; known: {', '.join(known)}")


def _boolean(path: Path, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"profile {path}: {key} = {value!r}: expected true or false (no quotes)")
    return value


def _seconds(path: Path, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise ValueError(f"profile {path}: {key} = {value!r}: expected a number of seconds, 0 or more (no quotes)")
    return float(value)


def check_systems(profile: Profile, timeout: float = 3.0) -> list[tuple[str, str, str | None]]:
    """Does each system of the profile answer? (system, url, None or why not) per system.

    A mocked system is asked for ``/_mock/health``, any other for its base URL; any HTTP
    answer counts, a refused connection or a timeout does not."""
    import requests

    results = []
    for system, address in profile.systems.items():
        probe = address.url + ("/_mock/health" if address.mocked else "")
        try:
            requests.get(probe, timeout=timeout, allow_redirects=False)
            problem = None
        except requests.ConnectionError as exc:
            problem = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
            if isinstance(exc, requests.ConnectTimeout):
                problem = "timed out"
        except requests.Timeout:
            problem = "timed out"
        except requests.RequestException as exc:
            problem = type(exc).__name__
        results.append((system, address.url, problem))
    return results


def preflight_lines(results: list[tuple[str, str, str | None]]) -> list[str]:
    return [f"  {system.upper():<5}  {url}  " + ("answers" if problem is None else f"does not answer ({problem})")
            for system, url, problem in results]


def preflight_error(results: list[tuple[str, str, str | None]]) -> str | None:
    down = [system.upper() for system, _, problem in results if problem is not None]
    if not down:
        return None
    one = len(down) == 1
    return (f"the profile's {', '.join(down)} {'does' if one else 'do'} not answer; "
            f"start {'it' if one else 'them'} or fix {'its url' if one else 'their urls'}")


def checked_profile(path: str, pm: Any, *, preflight: bool = True) -> "Profile":
    """A profile a command is about to use: loaded (a broken one is a ValueError, one line), every
    driver it names made (each exists and offers the whole contract), and, with ``preflight``,
    each system asked whether it answers (one printed line per system; one that does not: ValueError)."""
    profile = Profile.load(path)
    make_drivers(profile, pm)
    if preflight:
        results = check_systems(profile)
        print(f"systems of profile {profile.name}:")
        print("\n".join(preflight_lines(results)), flush=True)
        problem = preflight_error(results)
        if problem:
            raise ValueError(problem)
    return profile
