"""JSON read with orjson where it reads exactly as the standard library does, and by the standard
library everywhere else: what the stores and the in-process transport read, fast and unchanged.

orjson reads a fifth of the standard library's time, but differs on three things: it refuses
NaN and Infinity, lone surrogates and text that is not UTF-8 (the standard library is used for
those), and it reads an integer outside 64 bits (below -2**63, above 2**64 - 1) as a float, without an
error. Such an integer has 19 digits or more, so text with a run of 19 digits (rare: the mocks'
identifiers and dates are shorter) is read by the standard library, which keeps it whole.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

__all__ = ["loads"]

_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def loads(data: str | bytes, text: str | None = None) -> Any:
    """``data`` read as the standard library's ``json.loads(text)`` would (``text``: ``data``
    decoded, when the caller has it already); its ``ValueError`` when it cannot be read."""
    long_digits = _LONG_DIGITS_BYTES if isinstance(data, bytes) else _LONG_DIGITS
    if not long_digits.search(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    if text is None:
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return json.loads(text)
