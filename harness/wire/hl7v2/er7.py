"""Reading fields out of ER7 text: segments split on demand, values unescaped by python-hl7.

python-hl7's :func:`hl7.parse` builds a container per field, repetition and component of the
whole message, about 1 ms for an ADT and a fifth of an admission; the receiver reads some thirty
values. This reader splits a segment's fields once and a field's repetitions and components
only when one is read, with the same addressing and the same answers as python-hl7's
``Segment.extract_field`` (a missing part is ``""``; a deeper tree yields its first leaf),
and unescapes with python-hl7's own :func:`hl7.util.unescape`. ``tests/test_hl7v2_er7.py``
compares the two on every field of mangled messages.
"""

from __future__ import annotations

from hl7.util import unescape

__all__ = ["Er7Message", "Er7Segment"]


class Er7Message(list):
    """The segments of one message, read with the separators its MSH declares."""

    def __init__(self, er7: str):
        super().__init__()
        if not er7.startswith("MSH") or len(er7) < 8:
            raise ValueError("no MSH segment with its encoding characters")
        field, component, repetition, self.esc, subcomponent = er7[3:8]
        if len({field, component, repetition, self.esc, subcomponent}) < 5:
            raise ValueError(f"encoding characters {er7[3:8]!r} are not five different characters")
        # python-hl7's order, which hl7.util.unescape reads: segment, field, repetition,
        # component, subcomponent.
        self.separators = "\r" + field + repetition + component + subcomponent
        self.extend(Er7Segment(self, line) for line in er7.split("\r") if line)

    def segment(self, name: str) -> Er7Segment:
        for seg in self:
            if seg.name == name:
                return seg
        raise KeyError(f"no {name} segment")


class Er7Segment:
    __slots__ = ("message", "name", "fields")

    def __init__(self, message: Er7Message, line: str):
        self.message = message
        sep = message.separators[1]
        self.fields = line.split(sep)
        self.name = self.fields[0]
        if self.name == "MSH":
            # MSH-1 is the field separator itself, so MSH-n is fields[n] as for other segments.
            self.fields.insert(1, sep)

    def __len__(self) -> int:
        return len(self.fields)

    def __str__(self) -> str:
        fields = self.fields[:1] + self.fields[2:] if self.name == "MSH" else self.fields
        return self.message.separators[1].join(fields)

    def repetitions(self, field: int) -> int:
        """How many repetitions field ``field`` has (0 when the segment stops before it)."""
        if field >= len(self.fields):
            return 0
        if self.name == "MSH" and field in (1, 2):
            return 1
        return self.fields[field].count(self.message.separators[2]) + 1

    def extract_field(self, segment_num: int = 1, field_num: int = 1, repeat_num: int = 1,
                      component_num: int = 1, subcomponent_num: int = 1) -> str:
        """The unescaped value at field / repetition / component / subcomponent (1-based);
        raises IndexError where python-hl7's ``extract_field`` does."""
        if field_num >= len(self.fields):
            if repeat_num == component_num == subcomponent_num == 1:
                return ""
            raise IndexError(f"{self.name}.{field_num}: field not present")
        text = self.fields[field_num]
        rep_sep, comp_sep, sub_sep = self.message.separators[2:]
        if (self.name == "MSH" and field_num in (1, 2)) or not (
                rep_sep in text or comp_sep in text or sub_sep in text):
            # A bare value (the separators themselves, in MSH-1 and MSH-2, are never unescaped).
            if repeat_num == component_num == subcomponent_num == 1:
                return text if self.name == "MSH" and field_num in (1, 2) else unescape(self.message, text)
            raise IndexError(f"{self.name}.{field_num}: a bare value has no parts")
        reps = text.split(rep_sep)
        if repeat_num > len(reps):
            raise IndexError(f"{self.name}.{field_num}({repeat_num}): repetition not present")
        rep = reps[repeat_num - 1]
        if comp_sep not in rep and sub_sep not in rep:  # a repetition holding one value
            if component_num > 1:
                if subcomponent_num == 1:
                    return ""
                raise IndexError(f"{self.name}.{field_num}: component not present")
            if subcomponent_num == 1:
                return unescape(self.message, rep)
            raise IndexError(f"{self.name}.{field_num}: a value has no subcomponents")
        components = rep.split(comp_sep)
        if component_num > len(components):
            if subcomponent_num == 1:
                return ""
            raise IndexError(f"{self.name}.{field_num}: component not present")
        subs = components[component_num - 1].split(sub_sep)
        return unescape(self.message, subs[subcomponent_num - 1]) if subcomponent_num <= len(subs) else ""
