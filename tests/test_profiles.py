"""Profiles: one-line errors for every wrong key or value, the preflight check of each system,
and reset only where the profile allows it (issue 8, points 8 and 9)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kipu_harness.cli import main, write_profile
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.target import Profile, TargetOptions, check_systems, collect_targets

pytest_plugins = ["pytester"]
CLI = [sys.executable, "-m", "kipu_harness.cli"]


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self):  # any HTTP answer counts, even a 404
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def answering():
    server = HTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def profile_text(url="http://127.0.0.1:8101", *, mocked="true", top="", emr_url=None) -> str:
    return textwrap.dedent(f'''
        name = "lab"
        {top}
        [systems.crm]
        url = "{url}"
        mocked = {mocked}
        [systems.emr]
        url = "{emr_url or url}"
        mocked = true
        [systems.rcm]
        url = "{url}"
        mocked = true
    ''')


def write(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, says", [
    (profile_text(mocked='"false"'), "[systems.crm] mocked = 'false': expected true or false"),
    (profile_text(top="allow_reset = 1"), "allow_reset = 1: expected true or false"),
    (profile_text(top="colour = 1"), "unknown key(s) colour"),
    (profile_text() + "port = 1\n", "[systems.rcm] unknown key(s) port"),
    (profile_text() + "[systems.billing]\nurl = \"http://x\"\n", "[systems] unknown system(s) billing"),
    (profile_text(url="127.0.0.1:8101"), "url = '127.0.0.1:8101': expected http:// or https://"),
    (profile_text(top="settle = -1"), "settle = -1: expected a number of seconds, 0 or more"),
    (profile_text(top='settle = "2"'), "settle = '2': expected a number of seconds, 0 or more"),
])
def test_a_wrong_profile_is_one_line_through_the_cli_and_exit_2(tmp_path, capsys, text, says):
    assert main(["run", "--profile", str(write(tmp_path, text)), "--reports", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err
    with pytest.raises(ValueError, match="profile"):
        Profile.load(write(tmp_path, text))


def test_allow_reset_is_read_and_defaults_to_false(tmp_path):
    assert Profile.load(write(tmp_path, profile_text())).allow_reset is False
    assert Profile.load(write(tmp_path, profile_text(top="allow_reset = true"))).allow_reset is True


def _remote(profile):
    pm = make_plugin_manager(load_entrypoints=False)
    return collect_targets(pm)["remote"].factory(TargetOptions(name="remote", profile=profile, pm=pm))


def test_settle_is_read_defaults_to_two_seconds_and_reaches_the_remote_target(tmp_path):
    assert Profile.load(write(tmp_path, profile_text())).settle == 2.0
    profile = Profile.load(write(tmp_path, profile_text(top="settle = 0.5")))
    assert profile.settle == 0.5 and _remote(profile).settle == 0.5


def test_the_embedded_mocks_settle_at_once():
    pm = make_plugin_manager(load_entrypoints=False)
    target = collect_targets(pm)["inprocess"].factory(TargetOptions(name="inprocess", pm=pm))
    try:
        assert target.settle == 0
    finally:
        target.close()


@pytest.mark.parametrize("top, mocked, resets", [
    ("allow_reset = true", "true", True),
    ("allow_reset = false", "true", False),
    ("", "true", False),
    ("allow_reset = true", "false", False),  # a real system is never reset
])
def test_reset_only_when_every_system_is_mocked_and_the_profile_allows_it(tmp_path, top, mocked, resets):
    target = _remote(Profile.load(write(tmp_path, profile_text(top=top, mocked=mocked))))
    assert ("reset" in target.capabilities) is resets
    if mocked == "true":  # the other capabilities stay as they were
        assert {"journal", "clock", "outbox"} <= target.capabilities


@pytest.mark.parametrize("memory, allows", [(True, "true"), (False, "false")])
def test_mocks_up_profile_allows_reset_only_for_memory(tmp_path, memory, allows):
    class Served:
        urls = {"crm": "http://127.0.0.1:1", "emr": "http://127.0.0.1:2", "rcm": "http://127.0.0.1:3"}
        mllp = ("127.0.0.1", 4)

    path = tmp_path / "out.toml"
    write_profile(path, Served(), allow_reset=memory)
    assert f"allow_reset = {allows}\n" in path.read_text()
    assert Profile.load(path).allow_reset is memory


def test_preflight_names_each_system(tmp_path, answering):
    down = f"http://127.0.0.1:{_closed_port()}"
    results = check_systems(Profile.load(write(tmp_path, profile_text(answering, emr_url=down))), timeout=2)
    assert [(s, p) for s, _, p in results] == [("crm", None), ("emr", "connection refused"), ("rcm", None)]


def test_an_unreachable_system_stops_the_cli_run_with_one_line(tmp_path, answering):
    down = f"http://127.0.0.1:{_closed_port()}"
    path = write(tmp_path, profile_text(answering, emr_url=down))
    done = subprocess.run(CLI + ["run", "--profile", str(path), "--reports", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"  CRM    {answering}  answers" in done.stdout
    assert f"  EMR    {down}  does not answer (connection refused)" in done.stdout
    assert done.stderr == "kipu-harness: error: the profile's EMR does not answer; start it or fix its url\n"


@pytest.mark.parametrize("argv, says", [
    (["run", "--target", "remote"], "--target remote needs a profile"),
    (["run", "--kipu-plugin", "no_such_kipu_module:x"], "--kipu-plugin no_such_kipu_module:x: No module named"),
    (["run", "--kipu-block", "no.such.plugin"], "--kipu-block no.such.plugin: no plugin has this name"),
])
def test_a_wrong_run_option_is_one_line_and_exit_2(argv, says, tmp_path, capsys):
    assert main(argv + ["--reports", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err


def test_run_passes_unknown_options_to_pytest_without_a_double_dash(tmp_path):
    done = subprocess.run(CLI + ["run", "--kipu-block", "kipu_harness.plugins.integration", "-k", "prospect",
                                 "--reports", str(tmp_path / "r"), "--collect-only"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"[1-9]\d*/\d+ tests collected", done.stdout), done.stdout[-2000:]
    frobnicate = subprocess.run(CLI + ["run", "--frobnicate", "--reports", str(tmp_path / "r")],
                                capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert frobnicate.returncode == 2 and "unrecognized arguments: --frobnicate" in frobnicate.stderr


# --- the same errors through plain pytest: a UsageError, before any scenario runs -------------------

FEATURE = """Feature: T\n  @REQ-PAT-04\n  Scenario: uses the target\n    Given the target of the run\n"""
STEPS = """from pytest_bdd import given, scenarios\nscenarios("t.feature")\n\n
@given("the target of the run")\ndef the_target(target):\n    pass\n"""


@pytest.mark.parametrize("options, says", [
    (["--target", "remote"], "--target remote needs a profile"),
    (["--kipu-plugin", "no_such_kipu_module:x"], "--kipu-plugin no_such_kipu_module:x"),
    (["--kipu-block", "no.such.plugin"], "no plugin has this name"),
    (["--profile", "{bad}"], "mocked = 'false': expected true or false"),
    (["--profile", "{down}"], "the profile's CRM, EMR, RCM do not answer"),
])
def test_plain_pytest_gives_one_usage_error(pytester, options, says):
    (pytester.path / "t.feature").write_text(FEATURE)
    pytester.makepyfile(test_t=STEPS)
    bad = pytester.path / "bad.toml"
    bad.write_text(profile_text(mocked='"false"'))
    down = pytester.path / "down.toml"
    down.write_text(profile_text(f"http://127.0.0.1:{_closed_port()}"))
    options = [o.format(bad=bad, down=down) for o in options]
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *options)  # as a program would: main() prints it
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = "\n".join(result.outlines + result.errlines)
    assert says in text and "Traceback" not in text and "passed" not in text and "error" not in text.split(says)[1]
