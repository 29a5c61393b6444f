"""The pytest plugin (entry point ``pytest11``): target options, typed system fixtures,
requirement markers from ``@REQ-...`` tags, traceability checks and per-requirement reports."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from . import scenario_record
from .declared import only_declared as _only_declared
from .catalogue import (TAG, check_traceability, feature_scenario, load_catalogue, scenarios_in_features,
                        tags_in_features)
from .pytest_options import add_options, load_plugin, load_settings
from .parallel import hand_over, is_worker, take_over, why_missing, withdraw_shared_state
from .reports import RunResult, run_result, summary_lines
from .target import (CAPABILITIES, Profile, Target, TargetOptions, check_systems, collect_targets, preflight_error,
                     preflight_lines)

_STATE = pytest.StashKey["_RunState"]()
# The JUnit suite's name and properties, and Allure's labels: each its own plugin module.
pytest_plugins = ["kipu_harness.junit_suite", "kipu_harness.allure_results"]


class _RunState:
    def __init__(self) -> None:
        self.scenarios: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.outcomes: dict[str, tuple[str, str]] = {}
        self.target_name = "not started"
        self.pm = None  # the run's plugin manager, with --kipu-plugin and --kipu-block applied
        self.profile: Profile | None = None
        self.tagged: list = []  # every scenario of the feature files that names a requirement
        self.collected: set[tuple[str, str] | None] = set()  # (feature file, scenario) of each collected one
        self.deselected: set[str] = set()
        self.details: dict[str, dict] = {}  # nodeid -> its Gherkin, step outcomes, evidence (scenario_record)
        self.recorder = scenario_record.Recorder()
        self.started = time.time()
        self.addresses: dict[str, str] = {}  # the target's systems, for the reports' run metadata


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the catalogue requirement a scenario proves")
    config.addinivalue_line("markers", "needs(capability): the target capability a scenario needs")
    # pytest-bdd turns tags on an Examples block straight into markers (no apply_tag hook), so
    # every catalogue ID is a known marker too; an ID not in the catalogue stays unknown and
    # fails under --strict-markers.
    for rid in catalogue(config):
        config.addinivalue_line("markers", f"REQ-{rid}: requirement {rid} of the catalogue")
    config.stash[_STATE] = _RunState()
    _check_options(config)
    unknown = sorted(set(config.getoption("kipu_requirement", None) or ()) - set(catalogue(config)))
    if unknown:
        raise pytest.UsageError(f"--kipu-requirement {', '.join(unknown)}: not in the requirement catalogue "
                                "(harness/requirements.csv)")


def _check_options(config: pytest.Config) -> None:
    """Every wrong option is one UsageError before anything runs, never an error per scenario."""
    state = config.stash[_STATE]
    profile_path = config.getoption("profile", None)
    if config.getoption("target", None) == "remote" and not profile_path:
        raise pytest.UsageError("--target remote needs a profile: --profile FILE")
    try:
        if profile_path:
            state.profile = Profile.load(profile_path)
        if config.getoption("kipu_plugin", None) or config.getoption("kipu_block", None):
            _plugin_manager(config)
        if state.profile is not None:
            from .target import make_drivers

            make_drivers(state.profile, _plugin_manager(config))  # names and contract, before anything runs
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """A remote run first checks that every system of the profile answers, one line per system."""
    config = session.config
    profile = config.stash[_STATE].profile
    if profile is None or config.getoption("kipu_skip_preflight") or is_worker(config):  # the controller checks
        return
    results = check_systems(profile)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"systems of profile {profile.name}:")
        for line in preflight_lines(results):
            reporter.write_line(line)
    problem = preflight_error(results)
    if problem:
        raise pytest.UsageError(problem)


@pytest.hookimpl(tryfirst=True)  # before pytest-bdd's own, which would make every tag a marker
def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    match = TAG.match(tag)
    if match:
        pytest.mark.requirement(match.group(1))(function)
        return True
    if tag.startswith("needs-"):
        pytest.mark.needs(tag.removeprefix("needs-"))(function)
        return True
    return None


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    # pytest-bdd reports only the Scenario's own tags; a requirement tagged on an Examples block
    # must reach cucumber.json too, so the rendered scenario (one per example row) gets it.
    scenario.tags |= {f"REQ-{rid}" for rid in _requirements(request.node)}


def _detail(request: pytest.FixtureRequest) -> dict | None:
    return request.config.stash[_STATE].details.get(request.node.nodeid)


def pytest_bdd_before_step(request: pytest.FixtureRequest) -> None:
    scenario_record.step_started(_detail(request))


def pytest_bdd_after_step(request: pytest.FixtureRequest) -> None:
    scenario_record.step_ended(_detail(request), "passed")


def pytest_bdd_step_error(request: pytest.FixtureRequest) -> None:
    scenario_record.step_ended(_detail(request), "failed")


def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest) -> None:
    scenario_record.step_ended(_detail(request), "failed")


def catalogue(config: pytest.Config) -> dict:
    """The run's requirement catalogue: the ini's ``kipu_catalogue`` CSV, else the harness's own."""
    path = config.getini("kipu_catalogue")
    if not path:
        return load_catalogue()
    path = Path(path) if Path(path).is_absolute() else config.rootpath / path
    return load_catalogue(path)


def _requirements(item: pytest.Item) -> tuple[str, ...]:
    ids = {m.args[0] for m in item.iter_markers("requirement")}
    ids |= {m.name.removeprefix("REQ-") for m in item.iter_markers() if m.name.startswith("REQ-")}
    return tuple(sorted(ids))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: we see every collected scenario, before -k or -m deselect any.
    _select_requirements(config, items)
    state = config.stash[_STATE]
    for item in items:
        if ids := _requirements(item):
            _note(state, item, ids)
    for item in items:
        for mark in item.iter_markers("needs"):
            if mark.args[0] not in CAPABILITIES:
                raise pytest.UsageError(f"{item.nodeid}: @needs-{mark.args[0]} is not a capability; "
                                        f"known: {', '.join(CAPABILITIES)}")
    if not state.scenarios:
        return
    known = catalogue(config)
    unknown = sorted({rid for _, ids in state.scenarios.values() for rid in ids} - set(known))
    features = _features_dir(config)
    state.tagged = scenarios_in_features(features) if features.is_dir() else []
    problems = check_traceability(known, tags_in_features(state.tagged)) if features.is_dir() else []
    problems += [f"a scenario names {rid}, which is not in the requirement catalogue" for rid in unknown]
    if problems:
        raise pytest.UsageError("requirement traceability:\n  " + "\n  ".join(dict.fromkeys(problems)))


def _features_dir(config: pytest.Config) -> Path:
    from kipu_harness.scenarios.paths import FEATURES  # the checkout's or the wheel's

    features = Path(config.getini("kipu_features_dir") or FEATURES)
    return features if features.is_absolute() else config.rootpath / features


def _select_requirements(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--kipu-requirement ID (repeatable): keep only the scenarios tagged with one of the IDs."""
    wanted = set(config.getoption("kipu_requirement", None) or ())
    if not wanted:
        return
    kept, dropped = [], []
    for item in items:
        (kept if wanted & set(_requirements(item)) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _options(config: pytest.Config) -> TargetOptions:
    from .settings import IntegrationSettings

    profile_path = config.getoption("profile")
    name = config.getoption("target") or ("remote" if profile_path else "inprocess")
    profile = config.stash[_STATE].profile
    settings = profile.settings if profile else IntegrationSettings()
    if config.getoption("kipu_config"):
        settings = load_settings(config.getoption("kipu_config"))
    return TargetOptions(name=name, profile=profile, settings=settings, pm=_plugin_manager(config))


def _plugin_manager(config: pytest.Config) -> Any:
    """One plugin manager per run, with the run's --kipu-plugin and --kipu-block applied."""
    from .plugin_manager import make_plugin_manager

    state = config.stash[_STATE]
    if state.pm is None:
        from .plugin_manager import check_blocked

        extra = [load_plugin(spec) for spec in config.getoption("kipu_plugin")]
        try:
            check_blocked(config.getoption("kipu_block"), extra)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        state.pm = make_plugin_manager(blocked=config.getoption("kipu_block"), extra=extra)
    return state.pm


@pytest.fixture(scope="session")
def harness_target(request: pytest.FixtureRequest) -> Any:
    """The target of this run, built once per session and closed at its end."""
    options = _options(request.config)
    specs = collect_targets(options.pm)
    if options.name not in specs:
        raise pytest.UsageError(f"unknown target {options.name!r}; known: {', '.join(sorted(specs))}")
    target = specs[options.name].factory(options)
    withdraw_shared_state(request.config, target, shared=options.profile is not None)
    request.config.stash[_STATE].target_name = target.name
    request.config.stash[_STATE].addresses = dict(target.addresses)
    yield target
    target.close()


@pytest.fixture
def target(harness_target: Target, request: pytest.FixtureRequest):
    """The target for one scenario: skipped if it lacks a needed capability, reset if it can be."""
    missing = sorted({m.args[0] for m in request.node.iter_markers("needs")} - harness_target.capabilities)
    if missing:
        pytest.skip(f"target {harness_target.name} does not declare "
                    + ", ".join(f"capability '{c}' ({CAPABILITIES[c]}){why_missing(request.config, c)}"
                                for c in missing))
    if "reset" in harness_target.capabilities:
        harness_target.reset()
    tagged = frozenset(m.args[0] for m in request.node.iter_markers("needs"))
    state = request.config.stash[_STATE]
    # The journals show what the systems exchanged, unless other workers' scenarios share them.
    journal = ("journal" in harness_target.capabilities and bool(harness_target.controls)
               and not (is_worker(request.config) and state.profile is not None))
    state.recorder.begin(harness_target, journal=journal)
    try:
        yield _only_declared(harness_target, tagged)
    finally:
        journals = state.recorder.end(harness_target, state.details.get(request.node.nodeid), journal=journal)
    if "faults" in tagged:  # the suite's faults outlive a reset: a scenario's must not meet the next
        next(iter(harness_target.controls.values())).clear_faults()
    _keep_claims(request, journals.get("payer", ()))


def _keep_claims(request: pytest.FixtureRequest, payer_journal: Any) -> None:
    """Copy every 837 the scenario caused into <reports>/x12/, before the next reset empties the
    clearinghouse: anyone can re-validate them."""
    directory = request.config.getoption("kipu_reports")
    claims = [e["body"] for e in payer_journal if e["channel"] == "x12" and e["summary"] == "837 received"]
    if directory and claims:
        folder = Path(directory) / "x12"
        folder.mkdir(parents=True, exist_ok=True)
        slug = "".join(ch if ch.isalnum() else "-" for ch in request.node.name)[:120].strip("-")
        for number, text in enumerate(claims, start=1):
            (folder / f"{slug}-{number}.x12").write_text(text)


@pytest.fixture
def crm(target: Target):
    return target.crm


@pytest.fixture
def emr(target: Target):
    return target.emr


@pytest.fixture
def rcm(target: Target):
    return target.rcm


@pytest.fixture
def eventually(target: Target):
    """``eventually(probe, what=...)`` with the target's patience: immediate on mocks, longer remote."""
    from .waiting import eventually as wait

    return functools.partial(wait, timeout=target.wait_timeout)


@pytest.fixture
def stays(target: Target, harness_target: Target):
    """``stays(probe, what=...)``: a negative check holds through the target's settle window (waiting.stays).
    The outbox barrier only ends that wait early, so it reads the outbox past the capability guard."""
    from .waiting import drained, stays as watch

    controls = harness_target.controls if "outbox" in target.capabilities else {}
    return functools.partial(watch, window=target.settle, barrier=drained(controls.values()) if controls else None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    state = item.config.stash[_STATE]
    detail = state.details.get(item.nodeid)
    if report.when == "call":
        scenario_record.finished(detail, report.outcome)
    if report.skipped and detail and isinstance(report.longrepr, tuple):
        # SKIPPED lines name the scenario (feature:line), not pytest-bdd's module that ran it.
        report.longrepr = (detail["file"], detail["line"], report.longrepr[2])
    if item.nodeid in state.scenarios and (report.when == "call" or report.outcome != "passed"):
        detail = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            detail = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            detail = (crash.message if crash else str(report.longrepr)).strip().splitlines()[0][:300]
        previous = state.outcomes.get(item.nodeid)
        if previous is None or previous[0] == "passed":
            state.outcomes[item.nodeid] = (report.outcome, detail)
    return report


def pytest_deselected(items: list[pytest.Item]) -> None:
    """A deselected scenario is *not run* for its requirements, whoever deselected it (-k, -m, ...)."""
    state = items[0].config.stash.get(_STATE, None) if items else None
    for item in items if state else ():
        if ids := _requirements(item):
            _note(state, item, ids)
            state.deselected.add(item.nodeid)


def _note(state: _RunState, item: pytest.Item, ids: tuple[str, ...]) -> None:
    """A collected scenario, run or not: its name (the Gherkin title) and what its report shows."""
    if item.nodeid not in state.details:
        detail = scenario_record.describe(item, _features_dir(item.config))
        if detail is not None:
            state.details[item.nodeid] = detail
    detail = state.details.get(item.nodeid)
    state.scenarios.setdefault(item.nodeid, (scenario_record.title(detail) if detail else item.name, ids))
    state.collected.add(feature_scenario(item))


def _result(config: pytest.Config) -> RunResult | None:
    state = config.stash.get(_STATE, None)
    if not state or not state.outcomes:
        return None
    from .run_info import run_info

    target = type("Ran", (), {"addresses": state.addresses})  # what the workers' targets said
    info = run_info(target, target_name=state.target_name, profile=state.profile, settings=_options(config).settings,
                    settings_file=config.getoption("kipu_config"), started=state.started,
                    args=[Path(sys.argv[0]).name, *sys.argv[1:]])  # as the user typed it
    return run_result(state.target_name, catalogue(config), state.scenarios, state.outcomes,
                      deselected=state.deselected, tagged=state.tagged, collected=state.collected,
                      details=state.details, info=info)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    result = _result(config)
    if result is None:
        return
    terminalreporter.section(f"requirements ({result.target})")
    for line in summary_lines(result, reports=config.getoption("kipu_reports")):
        terminalreporter.write_line(line)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker ended; its share of the requirement bookkeeping joins the controller's."""
    take_over(node.config.stash[_STATE], node)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if is_worker(session.config):  # only the controller, which has every worker's share, reports
        hand_over(session.config, session.config.stash[_STATE])
        return
    directory = session.config.getoption("kipu_reports", None)
    result = _result(session.config)
    if not directory or result is None:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    _plugin_manager(session.config).hook.harness_write_reports(result=result, directory=path)
