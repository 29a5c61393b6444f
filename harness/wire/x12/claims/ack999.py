"""Validating an 837 or a 277CA with pyx12, and the 999 implementation acknowledgment that
answers an 837.

pyx12 checks the implementation guide's syntax, loops, required elements and code lists, and
writes the 999. Two things are put right here: pyx12 names its 999 ``005010X231`` in GS08 and
ST03 where the HIPAA guide is ``005010X231A1`` (:func:`hipaa_999`), and it writes an accepting
999 for a group it could not read at all, which is turned into a rejection when the verdict is.
"""

from __future__ import annotations

import datetime
import functools
import io
import json
import logging
import re

import pyx12.errors
import pyx12.map_if
import pyx12.map_index
import pyx12.params
import pyx12.x12n_document

from . import pyx12_speed
from .model import VERSION_277CA, VERSION_999, VERSIONS, Validation

__all__ = ["hipaa_999", "load_maps", "validate_277ca", "validate_837", "validate_999"]


def validate_837(text: str) -> Validation:
    """Validate an 837P (X222A1) or 837I (X223A2) with pyx12; see :class:`Validation`."""
    return _validate(text, "837", tuple(VERSIONS.values()))


def validate_999(text: str) -> Validation:
    """Validate a 999 (X231A1) with pyx12, e.g. the one :func:`validate_837` returns."""
    return _validate(text, "999", (VERSION_999,))


def validate_277ca(text: str) -> Validation:
    """Validate a 277CA (X214) with pyx12; see :class:`Validation`."""
    return _validate(text, "277", (VERSION_277CA,))


_LOAD_MAP = pyx12.map_if.load_map_file
_DEFAULT_PARAMS = pyx12.params.ParamsBase().params


@functools.cache
def _parsed_map(map_file: str, map_path: str | None) -> object:
    return _LOAD_MAP(map_file, pyx12.params.ParamsBase(), map_path)


def _load_map_file(map_file: str, param: pyx12.params.ParamsBase, map_path: str | None = None) -> object:
    """pyx12 parses the XML map of the control segments and of the transaction again for every
    document it validates (0.7 s for the 837P's; 0.1 s of walking the claim itself). A map is
    only read while a document is walked (the walker keeps its own counts), so each map is
    parsed once per process, for the default parameters this module uses; any other
    parameters get pyx12's own loading."""
    if type(param) is pyx12.params.ParamsBase and param.params == _DEFAULT_PARAMS:
        return _parsed_map(map_file, map_path)
    return _LOAD_MAP(map_file, param, map_path)


pyx12.map_if.load_map_file = _load_map_file  # x12n_document looks it up there on every call

_MAP_INDEX = pyx12.map_index.map_index


@functools.cache
def _map_index(map_path: str | None = None) -> pyx12.map_index.map_index:
    """pyx12 reads its index of maps (maps.xml) again for every document it validates too (1.2 ms
    of a one-claim 837's 9); the index is only read after it is built, so it is built once per
    process for each map path."""
    return _MAP_INDEX(map_path)


pyx12.map_index.map_index = _map_index  # x12n_document calls it there on every call
pyx12_speed.install()  # three more of pyx12's hot spots, same results (pyx12_speed.py)

# pyx12 logs each finding at ERROR, quoting the element's value (a name, a member id): with no
# logging set up, Python prints that on stderr. Every finding is in the Validation it returns,
# so its log goes nowhere (no PHI in logs).
_PYX12_LOG = logging.getLogger("pyx12")
_PYX12_LOG.addHandler(logging.NullHandler())
_PYX12_LOG.propagate = False


def load_maps() -> None:
    """Parse the maps an 837P or 837I is validated with now (1 to 3 s of CPU), e.g. once before
    forking processes that each validate claims (tests/mutants)."""
    index = pyx12.map_index.map_index(None)
    for version in VERSIONS.values():
        _parsed_map(index.get_filename("00501", version, "HC"), None)
    _parsed_map("x12.control.00501.xml", None)


def _validate(text: str, kind: str, versions: tuple[str, ...]) -> Validation:
    # pyx12 picks the map by GS08 and would happily validate any transaction it has a map
    # for, so a wrong kind is refused here rather than reported as valid.
    st = _first_st(text) if isinstance(text, str) else None
    if st is None or st[0] != kind or st[1] not in versions:
        found = "no ST" if st is None else f"{st[0]} {st[1]}"
        return Validation(False, (f"ST01/ST03: expected {kind} {'/'.join(versions)}, found "
                                  f"{found}",), "")
    # ParamsBase, not pyx12.params.params(): the latter also reads $prefix/etc/pyx12.conf.xml
    # and ~/.pyx12.conf.xml, which would make results depend on the machine.
    param = pyx12.params.ParamsBase()
    ack, report = io.StringIO(), io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(param, io.StringIO(text), ack, None,
                                                fd_json=report)
    except (pyx12.errors.EngineError, pyx12.errors.X12Error) as exc:
        return Validation(False, (f"pyx12: {exc}",), hipaa_999(ack.getvalue()))
    errors = _envelope_dates(text) + _messages(report.getvalue())
    if not ok and not errors:
        errors = ("pyx12: the input is not a readable X12 interchange",)
    ok = bool(ok) and not errors
    ack_999 = hipaa_999(ack.getvalue())
    return Validation(ok, errors, ack_999 if ok else _rejecting(ack_999))


def _envelope_dates(text: str) -> tuple[str, ...]:
    """GS04/GS05: when pyx12 cannot read the group header it reports nothing about it, so the
    dates are checked here and named."""
    st = text.lstrip("\ufeff \t\r\n")
    element, terminator = st[3], st[105] if len(st) > 105 else "~"
    for raw in st.split(terminator):
        fields = raw.strip("\r\n ").split(element)
        if fields[0] == "GS" and len(fields) > 5:
            problems = []
            try:
                datetime.datetime.strptime(fields[4], "%Y%m%d")
            except ValueError:
                problems.append(f"GS04: {fields[4]!r} is not a date (CCYYMMDD)")
            if not re.fullmatch(r"([01]\d|2[0-3])[0-5]\d([0-5]\d(\d{1,2})?)?", fields[5]):
                problems.append(f"GS05: {fields[5]!r} is not a time (HHMM[SS[dd]])")
            return tuple(problems)
    return ()


def _rejecting(ack: str) -> str:
    """A 999 that agrees with the verdict: pyx12 writes an accepting 999 for a group it could not
    read at all, so its IK5/AK9 are turned to rejections (IK5*R*5, AK9*R with none accepted)."""
    ack = re.sub(r"IK5\*A(\*[^~]*)?~", "IK5*R*5~", ack)
    return re.sub(r"AK9\*A\*(\d+)\*(\d+)\*\d+", r"AK9*R*\1*\2*0", ack)


def _first_st(text: str) -> tuple[str, str] | None:
    """ST01 and ST03 of the first ST, read with the delimiters the ISA declares."""
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA") or len(text) < 106:
        return None
    element, terminator = text[3], text[105]
    for raw in text[106:].split(terminator):
        fields = raw.strip("\r\n ").split(element)
        if fields[0] == "ST":
            return (fields[1] if len(fields) > 1 else "", fields[3] if len(fields) > 3 else "")
    return None


def _messages(report: str) -> tuple[str, ...]:
    """Flatten pyx12's JSON error tree into one line per error, outermost first."""
    if not report:
        return ()
    messages: list[str] = []

    def add(where: str, errors: list[dict]) -> None:
        for err in errors:
            value = err.get("err_val")
            suffix = f" [{value}]" if value not in (None, "") else ""
            messages.append(f"{where}: {err.get('err_str')} (code {err.get('err_cde')}){suffix}")

    for isa in json.loads(report).get("interchanges", []):
        add("ISA", isa.get("errors", []))
        for gs in isa.get("groups", []):
            add("GS", gs.get("errors", []))
            for st in gs.get("transactions", []):
                add("ST", st.get("errors", []))
                for seg in st.get("segments", []):
                    where = f"{seg.get('seg_id')} (segment {seg.get('seg_count')}, line " \
                            f"{seg.get('cur_line')})"
                    add(where, seg.get("errors", []))
                    for ele in seg.get("elements", []):
                        pos = f"{ele.get('ele_pos'):02d}" if isinstance(ele.get("ele_pos"), int) \
                            else str(ele.get("ele_pos"))
                        if ele.get("subele_pos"):
                            pos += f"-{ele.get('subele_pos')}"
                        add(f"{where} {seg.get('seg_id')}{pos} {ele.get('name') or ''}".rstrip(),
                            ele.get("errors", []))
    return tuple(messages)


def hipaa_999(ack: str) -> str:
    """The 999 pyx12 wrote, with GS08 and ST03 naming the HIPAA guide (005010X231A1).

    Reads the separators from the ISA pyx12 wrote; anything else is left as it is.
    """
    text = ack.lstrip()
    if not text.startswith("ISA") or len(text) < 106:
        return ack
    element, terminator = text[3], text[105]
    segments = ack.split(terminator)
    for n, raw in enumerate(segments):
        head = raw.lstrip("\r\n")
        fields = head.split(element)
        if fields[0] == "GS" and len(fields) > 8:
            fields[8] = VERSION_999
        elif fields[0] == "ST" and len(fields) > 3 and fields[1] == "999":
            fields[3] = VERSION_999
        else:
            continue
        segments[n] = raw[:len(raw) - len(head)] + element.join(fields)
    return terminator.join(segments)
