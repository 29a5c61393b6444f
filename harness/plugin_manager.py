"""The plugin manager factory: one manager per run, never a module global."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import pluggy

from . import PROJECT, hookspecs


def make_plugin_manager(
    *,
    blocked: Iterable[str] = (),
    load_entrypoints: bool = True,
    extra: Iterable[object] = (),
) -> pluggy.PluginManager:
    """Build a plugin manager with the built-ins, the installed plugins and ``extra``.

    Built-ins (``kipu_harness.plugins.DEFAULT_PLUGINS``) are registered exactly like third-party
    plugins, under their module names, so ``blocked`` can switch any of them off (for example
    ``"kipu_harness.plugins.integration"`` on a target that has its own integration).
    ``check_pending()`` makes a misspelled hookimpl fail here, loudly, not silently later.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    # Imported here, not at module level: the built-ins import the core, not the reverse.
    from kipu_harness.plugins import DEFAULT_PLUGINS

    for name in DEFAULT_PLUGINS:
        if not pm.is_blocked(name):
            pm.register(_load(name), name=name)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(PROJECT)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def _load(spec: str) -> object:
    """``module`` or ``module:attribute`` (a plugin object inside a module, e.g. one matcher link)."""
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def check_blocked(blocked: Iterable[str], extra: Iterable[object] = ()) -> None:
    """A ``--kipu-block`` name that no plugin has (built-in, installed or extra) is a one-line error."""
    blocked = list(blocked)
    if not blocked:
        return
    known = {name for name, _ in make_plugin_manager(extra=extra).list_name_plugin()}
    unknown = [name for name in blocked if name not in known]
    if unknown:
        raise ValueError(f"--kipu-block {', '.join(unknown)}: no plugin has this name; "
                         f"known: {', '.join(sorted(n for n in known if not n.isdigit()))}")
