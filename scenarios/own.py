"""Each scenario owns its data (issue 8, point 2).

A vendor's systems keep everything: a second run meets the first run's records, and under
pytest-xdist two scenarios run at once against the same systems. So a scenario finds what it
reads by an id the system gave it, and where a system finds things by name (a payer, a billable
template, a claim rule, a payer's member), the scenario gives its own a name no other scenario
and no other run uses: the name the feature says, plus the scenario's *marker*.

The feature stays readable ("payer Aetna"); the steps map each name it says to the scenario's own
marked name (``Own.name``) the same way for the whole scenario, and map it back where a system
shows it (``Own.shown``).
"""

from __future__ import annotations

import base64
import itertools
import secrets

# 25 random bits per process (each xdist worker is one process): two runs, or two workers, share
# this prefix about once in 33 million; the counter then tells the process's scenarios apart.
RUN = base64.b32encode(secrets.token_bytes(5)).decode()[:5]
_NEXT = itertools.count(1)
_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32: letters and digits only, so a member ID takes it


def new_marker() -> str:
    """The run's prefix and this process's next scenario number, in base32 (at least two digits)."""
    number, digits = next(_NEXT), ""
    while number or len(digits) < 2:
        number, rest = divmod(number, 32)
        digits = _DIGITS[rest] + digits
    return RUN + digits


class Own:
    """The scenario's own names and the ids its systems gave them."""

    def __init__(self, marker: str):
        self.marker = marker
        self._names: dict[str, str] = {}  # what the feature says -> what the systems hold
        self.ids: dict[tuple[str, str], int] = {}  # (kind, what the feature says) -> the system's id

    def name(self, text: str) -> str:
        """A name the scenario gives something in a shared list: "Aetna" -> "Aetna <marker>"."""
        return self._names.setdefault(text, f"{text} {self.marker}")

    def member(self, text: str) -> str:
        """A payer's member ID (letters and digits only): "W100000001" -> "W100000001<marker>"."""
        return self._names.setdefault(text, f"{text}{self.marker}")

    def shown(self, text: str) -> str:
        """What the systems show for ``text``: the scenario's own marked name if it made one, else ``text``
        itself (a service, a level of care: the facility's configuration, not the scenario's)."""
        return self._names.get(text, text)
