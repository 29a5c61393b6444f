"""Load on a deployment with Locust: users playing the intake coordinator, the clinician, the
utilization reviewer and the biller, through the same drivers as the conformance suite.
``kipu-harness load`` (command.py) runs Locust on :data:`LOCUSTFILE`; importing this package
imports no Locust (and so no gevent monkey-patching)."""

from .command import LOCUSTFILE, add_parser, run

__all__ = ["LOCUSTFILE", "add_parser", "run"]
