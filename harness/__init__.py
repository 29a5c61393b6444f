"""kipu-harness: simulation and conformance harness for the Kipu CRM, EMR and RCM integration.

Plugin authors need only ``hookimpl``::

    from kipu_harness import hookimpl

    @hookimpl
    def harness_register_targets(register):
        register("my-target", MyTarget, description="...")
"""

import pluggy

PROJECT = "kipu_harness"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["hookimpl", "hookspec", "PROJECT"]
