"""``kipu-harness simulate``: a facility over simulated days on the systems' shared clock, and what
it shows (simulation.json and a page of charts, page.py).

The command's parser and body are in command.py (the day: day.py, the loop: engine.py, the checks:
reconcile.py, the JSON: results.py); everything heavy is imported only when it runs."""

from .command import add_parser, simulate

__all__ = ["add_parser", "simulate"]
