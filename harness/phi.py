"""PHI masking: one function (:func:`mask_ssn`) for every view of a message that is not the
system's own API answer: the mocks' outbox and journal, their error answers and log lines, and
the harness's reports. An SSN keeps its last four digits: ``***-**-6789``.

Where an SSN is found:

- **Fields that hold one**, whatever their spelling: the JSON keys ``ssn``, ``subscriber_SSN``,
  ``social_security_number``, ``socialSecurityNumber``... (any key ending in ``ssn`` or
  ``social security number``, any case or separator), the same names in a query string
  (``?ssn=...``), HL7 v2 PID-19, GT1-12, NK1-37 and IN2-2 and any identifier whose type is ``SS``
  (``123456789^^^SSA^SS``), and X12 REF*SY and NM1 with the qualifier 34. There anything is
  masked (even ``12345-6789``, which the systems accept as an SSN).
- **Anywhere else**, nine digits grouped 3-2-4, with ``-``, a space or a dot between the groups
  or nothing: ``123-45-6789``, ``123456789``, ``219-091009``, ``219 09 1010``, ``123.45.6789``.
  Not masked there: a ZIP+4 (``78701-1234``, the 5-4 grouping, is only masked in an SSN field),
  phone numbers (3-3-4), NPIs (ten digits), dates, longer or shorter digit runs, and digits
  glued to letters (``MR202400001``, ``A123456789``). In X12 a bare nine-digit number is a
  control number (ISA13, GS06...), so there only the grouped spellings are masked; in JSON a
  bare number (``"duration": 123456789``) is a number, not an SSN, unless its key names one.

The mask never adds a delimiter of the text it is in: ``***-**-6789`` in JSON and HL7, and in
X12 (whose element separator is usually ``*``) ``XXXXX6789``, so a masked message still parses.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

__all__ = ["is_ssn_key", "mask", "mask_data", "mask_file", "mask_logs", "mask_ssn"]

_SEP = r"[-. ]?"
# 3-2-4 digits standing alone: not glued to letters, digits, dashes or a decimal point. The test of
# the character before is made after the first digit: a pattern that starts with a digit is
# searched for digits first (a third faster over the journal's bodies than the same test in front).
_LOOSE = re.compile(rf"(\d(?<![\w.\-]\d)\d{{2}})({_SEP})(\d{{2}})({_SEP})(\d{{4}})(?![\w\-]|\.\d)")
_KEY_WORDS = re.compile(r"(?:ssn|socialsecurity(?:number|num|no)?)$")
# "key": "value" or "key": 123 in JSON text (the key tested by is_ssn_key).
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.){1,80})"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|null)')
_MAY_NAME_SSN = re.compile(r"(?i)s[^a-z]*s[^a-z]*n|s[^a-z]*o[^a-z]*c[^a-z]*i[^a-z]*a[^a-z]*l")
_QUERY_PAIR = re.compile(r"(?<![\w])([A-Za-z_][\w.\-]{0,60})=([^&\s#\"'<>]*)")
_JSON_NUMBER_BEFORE = re.compile(r"[:,\[]\s*$")
_JSON_NUMBER_AFTER = re.compile(r"\s*[,}\]]")

# HL7 v2 fields that hold an SSN: (segment, field number).
HL7_SSN_FIELDS = {("PID", 19), ("GT1", 12), ("NK1", 37), ("IN2", 2)}
_SSN_SEGMENTS = frozenset(name for name, _ in HL7_SSN_FIELDS)
_HL7_SEGMENT = re.compile(r"^[A-Z][A-Z0-9]{2}$")
# Where an HL7 control id stands (MSH-10, MSA-2): nine digits there are not an SSN.
_SEPARATOR = re.compile(r"[^\w\s]")
_LINE_END = re.compile(r'[\r\n"]|\\[rn]')


@functools.lru_cache(maxsize=4096)  # a journal's keys repeat: the same few hundred names, thousands of times
def is_ssn_key(key: str) -> bool:
    """Does a field of this name hold an SSN? ``ssn``, ``subscriber_SSN``, ``SocialSecurityNumber``..."""
    return bool(_KEY_WORDS.search(re.sub(r"[^a-z]", "", key.lower())))


def mask(value: Any, x12: bool = False) -> str:
    """One SSN (any spelling) as its mask: ``***-**-6789``; ``***`` when it has under four digits."""
    digits = re.sub(r"\D", "", str(value))
    if x12:
        return "X" * max(len(digits) - 4, 1) + digits[-4:] if len(digits) >= 4 else "XXX"
    return "***-**-" + digits[-4:] if len(digits) >= 4 else "***"


def mask_ssn(text: str) -> str:
    """``text`` (JSON, HL7 v2, X12, a query string, a log line...) with every SSN masked."""
    if not text or not isinstance(text, str):
        return text
    stripped = text.lstrip()
    if stripped.startswith("ISA"):
        lead = len(text) - len(stripped)
        return text[:lead] + _mask_x12(stripped)
    # A key naming an SSN has the letters s, s, n (or "social") in a row but for non-letters: a text
    # without them has no such key, and is spared the passes that test each key (most bodies).
    named = _MAY_NAME_SSN.search(text) is not None
    if "MSH" in text:
        text = _mask_hl7(text)
    if '"' in text and named:
        text = _JSON_PAIR.sub(_json_pair, text)
    if "=" in text and named:
        text = _QUERY_PAIR.sub(lambda m: f"{m.group(1)}={mask(m.group(2))}"
                               if is_ssn_key(m.group(1)) and m.group(2) else m.group(0), text)
    json_like = stripped[:1] in ("{", "[")
    controls = _control_ids(text) if "MS" in text else []
    return _LOOSE.sub(lambda m: _loose(m, text, json_like, controls), text)


def _control_ids(text: str) -> list[tuple[int, int]]:
    """The spans of the HL7 control ids (MSH-10, MSA-2) in ``text``."""
    spans = []
    for name in ("MSH", "MSA"):
        at = text.find(name)
        while at >= 0:
            if _segment_starts(text, at) and _SEPARATOR.match(text, at + 3):
                span = _control_span(text, at, 8 if name == "MSH" else 1)  # MSH-2 .. MSH-9; MSA-1
                if span:
                    spans.append(span)
            at = text.find(name, at + 1)
    return spans


def _segment_starts(text: str, at: int) -> bool:
    """Does a segment start at ``at``: the text's start, or after a line end (also one written
    ``\\r`` or ``\\n`` inside JSON text) or a quote (a message as a JSON string)?"""
    return at == 0 or text[at - 1] in '\r\n"' or text[at - 2:at] in ("\\r", "\\n")


def _control_span(text: str, at: int, fields_before: int) -> tuple[int, int] | None:
    separator, pos = text[at + 3], at + 4
    end_of_line = _LINE_END.search(text, pos)
    line_end = end_of_line.start() if end_of_line else len(text)
    for _ in range(fields_before):
        pos = text.find(separator, pos, line_end)
        if pos < 0:
            return None
        pos += 1
    end = text.find(separator, pos, line_end)
    return pos, end if end >= 0 else line_end


def _loose(m: re.Match, text: str, json_like: bool, controls: list[tuple[int, int]]) -> str:
    first, second = m.group(2), m.group(4)
    if not first and second:  # 12345-6789: a ZIP+4
        return m.group(0)
    if not first and not second:
        if _never_issued(m):
            return m.group(0)  # 000000001: an X12 control number; no SSN is area 000, 666 or 9xx
        if any(start <= m.start() < end for start, end in controls):
            return m.group(0)  # a control id (MSH-10, MSA-2), not an SSN
        if json_like and _JSON_NUMBER_BEFORE.search(text[max(0, m.start() - 40):m.start()]) \
                and _JSON_NUMBER_AFTER.match(text, m.end()):
            return m.group(0)  # a JSON number (a duration, a count): a key must say it is an SSN
    return mask(m.group(0))


def _never_issued(m: re.Match) -> bool:
    """Nine bare digits the SSA never issues as an SSN (area 000, 666 or 900-999; group 00;
    serial 0000): free text's counters and control numbers, left as they are. (A field that
    holds an SSN is masked whatever it holds.)"""
    area, group, serial = m.group(1), m.group(3), m.group(5)
    return area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000"


def _json_pair(m: re.Match) -> str:
    key, colon, value = m.groups()
    if not is_ssn_key(key) or value == "null" or value == '""':
        return m.group(0)
    return f'"{key}"{colon}"{mask(value)}"'


def _mask_hl7(text: str) -> str:
    """SSN fields of the HL7 v2 segments in ``text``, by position; the separators from MSH."""
    start = text.find("MSH")
    if start < 0 or len(text) < start + 8:
        return text
    fs, comp = text[start + 3], text[start + 4]
    rep = text[start + 5]
    if fs.isalnum() or fs.isspace():
        return text
    lines = re.split(r"(\r\n|\r|\n|\\r|\\n)", text)  # \\r: a message inside JSON text
    for i in range(0, len(lines), 2):
        if "SS" not in lines[i] and lines[i].split(fs, 1)[0][-3:] not in _SSN_SEGMENTS:
            continue  # neither a segment with an SSN field nor an identifier of type SS
        fields = lines[i].split(fs)
        name = fields[0][-3:]  # a message inside other text: '{"body": "MSH'
        if not _HL7_SEGMENT.match(name) or (len(fields[0]) > 3 and fields[0][-4].isalnum()):
            continue
        offset = 1 if name == "MSH" else 0  # MSH-1 is the separator itself
        changed = False
        for n in range(1, len(fields)):
            number = n + offset
            if (name, number) in HL7_SSN_FIELDS and fields[n]:
                fields[n], changed = mask(fields[n]), True
            elif comp in fields[n] and ("SS" in fields[n]):
                masked = rep.join(_mask_ss_identifier(r, comp) for r in fields[n].split(rep))
                changed, fields[n] = changed or masked != fields[n], masked
        if changed:
            lines[i] = fs.join(fields)
    return "".join(lines)


def _mask_ss_identifier(repetition: str, comp: str) -> str:
    """An identifier (CX) whose type (component 5) is SS: its id (component 1) masked."""
    parts = repetition.split(comp)
    if len(parts) >= 5 and parts[4] == "SS" and parts[0]:
        parts[0] = mask(parts[0])
    return comp.join(parts)


def _mask_x12(text: str) -> str:
    element = text[3] if len(text) > 3 else "*"
    terminator = text[105] if len(text) > 105 and not text[105].isalnum() else "~"
    # Only REF*SY and NM1*..*34 hold an SSN: a text with neither is not split (most 837s, 999s).
    if f"REF{element}SY{element}" in text or f"{element}34{element}" in text:
        text = terminator.join(_mask_x12_segment(s, element) for s in text.split(terminator))
    # Grouped spellings only: a bare nine-digit number in X12 is a control number.
    return _LOOSE.sub(lambda m: mask(m.group(0), x12=element == "*") if m.group(2) else m.group(0), text)


def _mask_x12_segment(segment: str, element: str) -> str:
    parts = segment.split(element)
    tag = parts[0].strip()
    if tag == "REF" and len(parts) > 2 and parts[1] == "SY":
        parts[2] = mask(parts[2], x12=True)
    elif tag == "NM1" and len(parts) > 9 and parts[8] == "34":
        parts[9] = mask(parts[9], x12=True)
    else:
        return segment
    return element.join(parts)


def mask_data(value: Any) -> Any:
    """A JSON-shaped value with SSNs masked: a field named as an SSN whatever it holds, and SSNs
    inside any other string (an outbox row's body, an error's problem...)."""
    if isinstance(value, dict):
        return {k: (mask(v) if is_ssn_key(str(k)) and v not in (None, "") and not isinstance(v, (dict, list))
                    else mask_data(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    if isinstance(value, str):
        return mask_ssn(value)
    return value


def mask_file(path: Any) -> None:
    """Rewrite a report file (junit.xml, cucumber.json...) with its SSNs masked, if it exists."""
    from pathlib import Path

    path = Path(path)
    if path.is_file():
        text = path.read_text(errors="replace")
        masked = mask_ssn(text)
        if masked != text:
            path.write_text(masked)


# -- log lines ---------------------------------------------------------------------------------

_installed = False


def mask_logs() -> None:
    """Mask every log record of this process as it is made: its message and its traceback.
    Idempotent; installed by every mock app (mocks/common/api.py) and by ``kipu-harness``."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging's own error report
            return record
        masked = mask_ssn(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_ssn(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
