"""Three of pyx12's hot spots done faster, with the same results (:func:`install`, on import of
:mod:`.ack999`).

Profiled over a simulation's 190 claims (cProfile, ``validate_837`` each), pyx12 spent a third
of its time in three places that redo the same work for every segment:

- ``Segment._parse_refdes`` builds an ``X12Path`` (a regex match) to read a reference designator
  such as ``CLM05-1`` on every element lookup: 350 paths a claim. The few hundred designators a
  map uses are parsed once here.
- ``NodeCounter`` keys its counts by ``X12Path``, whose hash formats the path as text, and
  ``reset_to_node`` formats every key again to test it against the loop it pops to (1,300
  formats a claim). Here the counts are keyed by that text, formatted once per path object.
- ``validation.contains_control_character`` builds two dictionaries for every element value. A
  value with no control character is printable (every character it looks for is in Unicode's Cc
  category), so that test answers for nearly every value; the others take pyx12's own loop.

tests/test_x12_pyx12_speed.py checks each against pyx12's own code.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Mapping

import pyx12.map_walker
import pyx12.nodeCounter
import pyx12.segment
import pyx12.validation
from pyx12.errors import EngineError
from pyx12.path import X12Path

__all__ = ["NodeCounter", "install", "installed"]

ORIGINAL = {
    "parse_refdes": pyx12.segment.Segment._parse_refdes,
    "NodeCounter": pyx12.map_walker.NodeCounter,
    "contains_control_character": pyx12.validation.contains_control_character,
}


@functools.lru_cache(maxsize=4096)
def _refdes(ref_des: str) -> tuple[str | None, int | None, int | None]:
    path = X12Path(ref_des)  # raises X12PathError as pyx12 would (not cached)
    return (path.seg_id, path.ele_idx - 1 if path.ele_idx is not None else None,
            path.subele_idx - 1 if path.subele_idx is not None else None)


def _parse_refdes(self: pyx12.segment.Segment, ref_des: str) -> tuple[int | None, int | None]:
    seg_id, ele_idx, comp_idx = _refdes(ref_des)
    if seg_id is not None and seg_id != self.seg_id:
        raise EngineError(f"Invalid Reference Designator: {ref_des}, seg_id: {self.seg_id}")
    return ele_idx, comp_idx


# A path's text, by the path object: the walker passes the map's own X12Path objects, which the
# map (cached per process) builds once and never changes. The object is kept alive beside its
# text so its id cannot be reused. Strings are formatted through X12Path as pyx12 would.
_TEXT: dict[int, tuple[object, str]] = {}


def _key(xpath: str | X12Path) -> str:
    held = _TEXT.get(id(xpath))
    if held is not None and held[0] is xpath:
        return held[1]
    if isinstance(xpath, X12Path):
        text = xpath.format()
        if len(_TEXT) < 65536:  # bounded: a long-lived process validating many maps
            _TEXT[id(xpath)] = (xpath, text)
        return text
    return _format_string(xpath)


@functools.lru_cache(maxsize=4096)
def _format_string(xpath: str) -> str:
    return X12Path(xpath).format()


class NodeCounter(pyx12.nodeCounter.NodeCounter):
    """pyx12's loop and segment counts keyed by the path's text (see the module's docstring).
    ``getState`` gives those text keys, which the constructor reads back."""

    def __init__(self, initialCounts: Mapping[str | X12Path, int] | None = None) -> None:  # noqa: N803 - pyx12's
        self._dict: OrderedDict[str, int] = OrderedDict()
        for k, v in (initialCounts or {}).items():
            self._dict[_key(k)] = v

    def reset_to_node(self, xpath: str | X12Path) -> None:
        # X12Path.is_child_path: the child's "/"-parts start with all the parent's and go on.
        prefix = _key(xpath) + "/"
        for k in [k for k in self._dict if k.startswith(prefix)]:
            del self._dict[k]

    def increment(self, xpath: str | X12Path) -> None:
        k = _key(xpath)
        self._dict[k] = self._dict.get(k, 0) + 1

    def setCount(self, xpath: str | X12Path, ct: int) -> None:  # noqa: N802 - pyx12's name
        self._dict[_key(xpath)] = ct

    def get_count(self, xpath: str | X12Path) -> int:
        return self._dict.get(_key(xpath), 0)


def contains_control_character(str_val: str, charset: str = "B", icvn: str = "00401") -> tuple[bool, str | None]:
    if str_val.isprintable():
        return (False, None)
    return ORIGINAL["contains_control_character"](str_val, charset, icvn)


def install(on: bool = True) -> None:
    """Put the faster versions in pyx12's place (``on=False``: pyx12's own back)."""
    pyx12.segment.Segment._parse_refdes = _parse_refdes if on else ORIGINAL["parse_refdes"]
    pyx12.map_walker.NodeCounter = NodeCounter if on else ORIGINAL["NodeCounter"]
    pyx12.validation.contains_control_character = (contains_control_character if on
                                                   else ORIGINAL["contains_control_character"])


def installed() -> bool:
    return pyx12.map_walker.NodeCounter is NodeCounter
