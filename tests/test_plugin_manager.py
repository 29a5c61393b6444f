"""The hook specifications, the plugin manager factory, targets and TOML profiles."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap
import types

import pluggy
import pytest

from kipu_harness import PROJECT, hookspecs
from kipu_harness.plugin_manager import make_plugin_manager
from kipu_harness.plugins import DEFAULT_PLUGINS
from kipu_harness.target import CAPABILITIES, Profile, TargetOptions, collect_targets

SPEC_MARK = f"{PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets on a hookspec


def _hookspecs():
    return {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, SPEC_MARK)
    }


# --- hook specifications -----------------------------------------------------------------------


def test_hookspecs_module_declares_the_hooks():
    assert {"harness_register_targets", "harness_system_event", "harness_deliver",
            "harness_write_reports"} <= set(_hookspecs())


@pytest.mark.parametrize("name", sorted(_hookspecs()))
def test_every_hook_is_documented_and_prefixed(name):
    function = _hookspecs()[name]
    assert name.startswith("harness_"), f"hook {name} does not start with harness_"
    doc = inspect.getdoc(function)
    assert doc and doc.strip(), f"hook {name} has no docstring"


def test_only_harness_deliver_is_firstresult():
    firstresult = {name for name, f in _hookspecs().items() if getattr(f, SPEC_MARK).get("firstresult")}
    assert firstresult == {"harness_deliver"}


# --- make_plugin_manager ---------------------------------------------------------------------


def test_hookimpl_is_importable_from_the_package():
    from kipu_harness import hookimpl

    assert isinstance(hookimpl, pluggy.HookimplMarker)
    assert hookimpl.project_name == PROJECT


def test_default_plugins_are_registered_under_their_module_names():
    pm = make_plugin_manager()
    assert DEFAULT_PLUGINS, "no built-in plugins"
    for name in DEFAULT_PLUGINS:
        plugin = pm.get_plugin(name)
        module, _, attribute = name.partition(":")  # "module:object" names one plugin object in a module
        expected = importlib.import_module(module)
        assert plugin is (getattr(expected, attribute) if attribute else expected), name
        assert pm.get_name(plugin) == name


def test_the_charge_matching_chain_runs_in_its_documented_order():
    pm = make_plugin_manager()
    # pluggy returns the hookimpls last-called first: the LOC ID link must run first, codes last.
    called = [impl.plugin_name.rpartition(":")[2] for impl in reversed(pm.hook.harness_match_charge.get_hookimpls())]
    assert called == ["by_level_of_care_id", "by_service_name", "by_codes"]


def test_blocked_keeps_a_builtin_out():
    blocked = "kipu_harness.plugins.integration"
    assert blocked in DEFAULT_PLUGINS
    pm = make_plugin_manager(blocked=[blocked])
    assert pm.is_blocked(blocked)
    assert pm.get_plugin(blocked) is None
    module = importlib.import_module(blocked)
    assert not pm.is_registered(module)
    impl_plugins = {impl.plugin_name for impl in pm.hook.harness_system_event.get_hookimpls()}
    assert blocked not in impl_plugins
    for name in DEFAULT_PLUGINS:
        if name != blocked:
            assert pm.get_plugin(name) is not None, name


def test_each_call_gives_a_new_manager():
    first = make_plugin_manager()
    second = make_plugin_manager()
    assert first is not second
    marker = types.SimpleNamespace()
    first.register(marker, name="only-in-first")
    assert second.get_plugin("only-in-first") is None
    assert not make_plugin_manager().is_registered(marker)


def test_extra_objects_are_registered():
    from kipu_harness import hookimpl

    class Extra:
        @hookimpl
        def harness_register_targets(self, register):
            register("extra-target", lambda options: None, description="from extra")

    extra = Extra()
    pm = make_plugin_manager(extra=[extra])
    assert pm.is_registered(extra)
    assert "extra-target" in collect_targets(pm)


def test_misspelled_hookimpl_fails_loudly():
    from kipu_harness import hookimpl

    class Misspelled:
        @hookimpl
        def harness_register_target(self, register):  # missing "s"
            register("never", lambda options: None)

    with pytest.raises(pluggy.PluginValidationError) as excinfo:
        make_plugin_manager(extra=[Misspelled()])
    assert "harness_register_target" in str(excinfo.value)


# --- third-party plugins through the kipu_harness entry-point group ----------------------------


@pytest.fixture
def installed_vendor_plugin(tmp_path, monkeypatch):
    """A real distribution on sys.path whose kipu_harness entry point registers a target "vendor"."""
    (tmp_path / "my_kipu_plugin.py").write_text(textwrap.dedent('''
        from kipu_harness import hookimpl

        def vendor_target(options):
            raise AssertionError("not built in these tests")

        @hookimpl
        def harness_register_targets(register):
            register("vendor", vendor_target, description="the vendor's own systems")
    '''))
    dist_info = tmp_path / "my_kipu_plugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-kipu-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[kipu_harness]\nmy = my_kipu_plugin\n")
    monkeypatch.syspath_prepend(tmp_path)
    yield
    sys.modules.pop("my_kipu_plugin", None)


@pytest.mark.usefixtures("installed_vendor_plugin")
def test_entry_point_plugin_is_registered():
    pm = make_plugin_manager()
    plugin = pm.get_plugin("my")
    assert plugin is not None
    assert plugin.__name__ == "my_kipu_plugin"
    targets = collect_targets(pm)
    assert "vendor" in targets
    assert targets["vendor"].plugin == "my"
    assert targets["vendor"].description == "the vendor's own systems"
    # the built-ins are still there beside it
    assert {"inprocess", "local", "remote"} <= set(targets)


@pytest.mark.usefixtures("installed_vendor_plugin")
def test_entry_points_can_be_left_out():
    pm = make_plugin_manager(load_entrypoints=False)
    assert pm.get_plugin("my") is None
    assert "vendor" not in collect_targets(pm)


@pytest.mark.usefixtures("installed_vendor_plugin")
def test_entry_point_plugin_can_be_blocked_by_name():
    pm = make_plugin_manager(blocked=["my"])
    assert pm.get_plugin("my") is None
    assert "vendor" not in collect_targets(pm)


# --- targets ------------------------------------------------------------------------------------


def test_builtin_targets_have_descriptions():
    targets = collect_targets(make_plugin_manager(load_entrypoints=False))
    assert {"inprocess", "local", "remote"} <= set(targets)
    for name in ("inprocess", "local", "remote"):
        spec = targets[name]
        assert spec.name == name
        assert spec.description.strip(), name
        assert spec.plugin == "kipu_harness.plugins.targets"
        assert callable(spec.factory)


def test_duplicate_target_name_names_both_plugins():
    dup = types.ModuleType("vendor_dup_plugin")

    def harness_register_targets(register):
        register("inprocess", lambda options: None, description="a second inprocess")

    from kipu_harness import hookimpl

    dup.harness_register_targets = hookimpl(harness_register_targets)
    pm = make_plugin_manager(load_entrypoints=False, extra=[dup])
    assert pm.get_name(dup) == "vendor_dup_plugin"
    with pytest.raises(ValueError) as excinfo:
        collect_targets(pm)
    message = str(excinfo.value)
    assert "inprocess" in message
    assert "vendor_dup_plugin" in message
    assert "kipu_harness.plugins.targets" in message


# --- profiles and the remote target ----------------------------------------------------------


def _profile_text(*, emr_mocked: bool = True) -> str:
    return textwrap.dedent(f'''
        name = "vendor staging"
        wait_timeout = 30

        [systems.crm]
        url = "http://127.0.0.1:8101/"
        mocked = true

        [systems.emr]
        url = "https://emr.vendor.example"
        mocked = {"true" if emr_mocked else "false"}

        [systems.rcm]
        url = "http://127.0.0.1:8103"
        mllp = "127.0.0.1:2575"
        mocked = true

        [integration]
        diagnosis_order = "added"
    ''')


def test_profile_load_reads_systems_and_settings(tmp_path):
    path = tmp_path / "staging.toml"
    path.write_text(_profile_text(emr_mocked=False))
    profile = Profile.load(path)
    assert profile.name == "vendor staging"
    assert profile.path == path
    assert profile.wait_timeout == 30.0
    assert set(profile.systems) == {"crm", "emr", "rcm"}
    assert profile.systems["crm"].url == "http://127.0.0.1:8101"  # trailing slash dropped
    assert profile.systems["crm"].mocked is True
    assert profile.systems["emr"].url == "https://emr.vendor.example"
    assert profile.systems["emr"].mocked is False
    assert profile.systems["emr"].mllp is None
    assert profile.systems["rcm"].mllp == ("127.0.0.1", 2575)
    assert profile.systems["rcm"].mocked is True
    assert profile.settings.diagnosis_order == "added"


def test_profile_without_name_is_named_after_its_file(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text(_profile_text().replace('name = "vendor staging"\n', ""))
    profile = Profile.load(path)
    assert profile.name == "lab"
    assert profile.systems["emr"].mocked is True


def test_mocked_defaults_to_false(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(_profile_text().replace("mocked = true\n", "", 1))  # crm loses its flag
    assert Profile.load(path).systems["crm"].mocked is False


@pytest.mark.parametrize("system", ["crm", "emr", "rcm"])
def test_profile_system_without_url_is_refused_by_name(tmp_path, system):
    lines = _profile_text().splitlines()
    header = lines.index(f"[systems.{system}]")
    del lines[header + 1]  # the url line
    path = tmp_path / "p.toml"
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=rf"\[systems\.{system}\] needs a url"):
        Profile.load(path)


def test_profile_missing_a_system_is_refused(tmp_path):
    text = _profile_text()
    start = text.index("[systems.emr]")
    end = text.index("[systems.rcm]")
    path = tmp_path / "p.toml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(ValueError, match=r"systems\.emr"):
        Profile.load(path)


def test_profile_bad_mllp_is_refused(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(_profile_text().replace('"127.0.0.1:2575"', '"127.0.0.1"'))
    with pytest.raises(ValueError, match="mllp"):
        Profile.load(path)


def test_profile_bad_toml_is_refused(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[systems.crm\nurl = ")
    with pytest.raises(ValueError, match="not valid TOML") as excinfo:
        Profile.load(path)
    assert str(path) in str(excinfo.value)


def test_profile_missing_file_is_refused(tmp_path):
    path = tmp_path / "absent.toml"
    with pytest.raises(ValueError, match="does not exist") as excinfo:
        Profile.load(path)
    assert str(path) in str(excinfo.value)


def test_profile_bad_integration_setting_is_refused(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(_profile_text().replace('diagnosis_order = "added"', 'diagnosis_order = "random"'))
    with pytest.raises(ValueError, match="diagnosis_order"):
        Profile.load(path)


def _remote(profile):
    pm = make_plugin_manager(load_entrypoints=False)
    factory = collect_targets(pm)["remote"].factory
    return factory(TargetOptions(name="remote", profile=profile, pm=pm))


def test_remote_target_on_all_mocked_systems_declares_every_capability(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("allow_reset = true\n" + _profile_text(emr_mocked=True))
    target = _remote(Profile.load(path))
    # Every mock capability but "payer": this profile names no mock payer.
    assert target.capabilities == frozenset({"reset", "journal", "clock", "outbox", "faults"})
    assert target.capabilities == frozenset(CAPABILITIES) - {"payer"}
    assert set(target.controls) == {"crm", "emr", "rcm"}
    assert target.wait_timeout == 30.0
    assert "vendor staging" in target.name


def test_remote_target_with_a_real_system_declares_no_capability(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(_profile_text(emr_mocked=False))
    target = _remote(Profile.load(path))
    assert target.capabilities == frozenset()
    assert target.controls == {}


def test_remote_target_without_profile_is_refused():
    with pytest.raises(ValueError, match="profile"):
        _remote(None)
