"""The capability guard: a scenario's steps reach a mock-only control (or the mock payer) only
for the capabilities the scenario is tagged with (@needs-<capability>)."""

from __future__ import annotations

from typing import Any

from .target import Target

# Which capability each control operation is: a step may use one only in a scenario tagged
# @needs-<capability>, so no untagged scenario can lean on what only a mock shows.
_CONTROL_CAPABILITY = {"reset": "reset", "journal": "journal", "now": "clock", "pin_clock": "clock", "outbox": "outbox",
                       "deliver": "outbox", "set_member": "payer", "add_faults": "faults", "faults": "faults",
                       "clear_faults": "faults"}


class _Declared:
    """A control (or the mock payer) usable only for the capabilities the scenario is tagged with."""

    def __init__(self, inner: Any, tagged: frozenset[str]):
        self._inner, self._tagged = inner, tagged

    def __getattr__(self, name: str) -> Any:
        needed = _CONTROL_CAPABILITY.get(name)
        if needed is not None and needed not in self._tagged:
            raise AssertionError(f"a step used the mock-only capability '{needed}' ({name}) in a scenario "
                                 f"not tagged @needs-{needed}")
        return getattr(self._inner, name)


def only_declared(target: Target, tagged: frozenset[str]) -> Target:
    import dataclasses

    return dataclasses.replace(
        target, controls={system: _Declared(control, tagged) for system, control in target.controls.items()},
        payer=_Declared(target.payer, tagged) if target.payer is not None else None)
