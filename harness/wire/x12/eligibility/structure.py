"""Structure checks of a 005010X279A1 270 or 271, and the loops a parser reads them by.

pyx12 ships no 5010 maps for 270/271 (only 4010 X092), so the checks are written here. They
cover what the integration relies on, not the whole implementation guide: envelopes and counts,
control numbers, version, BHT, the HL hierarchy, the NM1 of each level, the DMG codes, EQ (270)
or EB/AAA (271) in the patient's loop, and real dates. :func:`read` returns the interchange cut
into functional groups, transactions and HL loops for
:mod:`~kipu_harness.wire.x12.eligibility.parse`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..envelope import X12Error
from ..reader import Segment, check_count, date8, split, time
from .model import BHT_PURPOSE, FUNCTIONAL_IDS, LEVELS, SENT_GENDERS, VERSION, Level

__all__ = ["Interchange", "Loop", "Transaction", "read", "validate_structure"]



@dataclass(frozen=True)
class Loop:
    hl: Segment
    level: Level
    segments: tuple[Segment, ...]  # after the HL, up to the next HL
    leaf: bool  # no HL names this one as its parent: this is a patient's loop

    @property
    def id(self) -> str:
        return self.hl.get(1)

    def first(self, tag: str) -> Segment | None:
        return next((s for s in self.segments if s.tag == tag), None)

    def all(self, tag: str) -> list[Segment]:
        return [s for s in self.segments if s.tag == tag]


@dataclass(frozen=True)
class Transaction:
    st: Segment
    bht: Segment
    loops: tuple[Loop, ...]


@dataclass(frozen=True)
class Group:
    gs: Segment
    transactions: tuple[Transaction, ...]


@dataclass(frozen=True)
class Interchange:
    isa: tuple[str, ...]  # ISA, ISA01..ISA16
    repetition: str
    groups: tuple[Group, ...]


def validate_structure(text: str, expected: str) -> None:
    """Check that ``text`` is a well-formed 005010X279A1 ``expected`` ("270" or "271").

    Separators are read from the ISA itself. Checked: the fixed-width 106-character ISA, ISA12
    and ISA13-ISA16; GS01 (HS/HB) and GS08; ST01, ST03, SE01 (segments from ST to SE inclusive)
    and SE02; GE01/GE02 and IEA01/IEA02; BHT01 0022 and BHT02 13 (270) or 11 (271); HL ids
    counting up from 1, levels 20/21/22[/23] with consistent parents and child codes; NM1*PR in
    2100A, NM1*1P in 2100B, NM1*IL in 2100C, NM1*03 in 2100D; in each patient's (innermost)
    loop an EQ for a 270 or an EB or AAA for a 271; real CCYYMMDD dates in DTP, DMG, BHT and GS;
    DMG03, when sent, F or M.
    Raises :class:`X12Error` with a one-line reason naming the segment and element.
    """
    read(text, expected)


def read(text: str, expected: str) -> Interchange:
    """Check ``text`` as :func:`validate_structure` does and return it cut into loops."""
    if expected not in FUNCTIONAL_IDS:
        raise X12Error(f"ST01: expected transaction set {expected!r} is not 270 or 271")
    isa, element, repetition, segments = split(text)
    if not segments or segments[-1].tag != "IEA":
        found = segments[-1].tag if segments else "nothing"
        raise X12Error(f"IEA: the interchange must end with IEA, found {found}")
    end = len(segments) - 1
    groups: list[Group] = []
    i = 0
    while i < end:
        gs = segments[i]
        if gs.tag != "GS":
            raise X12Error(f"GS: expected a functional group header, found {gs.tag}")
        _check_gs(gs)
        i += 1
        transactions = []
        while i < end and segments[i].tag == "ST":
            j = i + 1
            while j < end and segments[j].tag not in ("SE", "ST", "GE", "GS"):
                j += 1
            if segments[j].tag != "SE":
                raise X12Error(f"SE: transaction ST02 {segments[i].get(2)!r} has no trailer "
                               f"before {segments[j].tag}")
            transactions.append(_transaction(segments[i:j + 1], expected, repetition))
            i = j + 1
        if i >= end or segments[i].tag != "GE":
            found = segments[i].tag if i < end else "IEA"
            raise X12Error(f"GE: functional group GS06 {gs.get(6)!r} has no trailer; found {found}")
        # After the transactions, so a 271 sent where a 270 belongs is reported by its ST01.
        if gs.get(1) != FUNCTIONAL_IDS[expected]:
            raise X12Error(f"GS01: functional id {gs.get(1)!r} does not fit a {expected} "
                           f"(expected {FUNCTIONAL_IDS[expected]!r})")
        ge = segments[i]
        if not transactions:
            raise X12Error(f"ST: functional group GS06 {gs.get(6)!r} has no transaction set")
        check_count(ge.get(1), len(transactions), "GE01", "transaction count")
        if ge.get(2) != gs.get(6):
            raise X12Error(f"GE02: group control {ge.get(2)!r} does not match GS06 {gs.get(6)!r}")
        groups.append(Group(gs, tuple(transactions)))
        i += 1
    if not groups:
        raise X12Error("GS: the interchange has no functional group")
    iea = segments[-1]
    check_count(iea.get(1), len(groups), "IEA01", "group count")
    if iea.get(2) != isa[13]:
        raise X12Error(f"IEA02: interchange control {iea.get(2)!r} does not match ISA13 "
                       f"{isa[13]!r}")
    return Interchange(isa=isa, repetition=repetition, groups=tuple(groups))


def _check_gs(gs: Segment) -> None:
    if gs.get(8) != VERSION:
        raise X12Error(f"GS08: version {gs.get(8)!r}, expected {VERSION!r}")
    if gs.get(7) != "X":
        raise X12Error(f"GS07: responsible agency {gs.get(7)!r}, expected 'X'")
    if not gs.get(6).isdigit() or len(gs.get(6)) > 9:
        raise X12Error(f"GS06: group control {gs.get(6)!r} is not 1-9 digits")
    date8(gs.get(4), "GS04")
    time(gs.get(5), "GS05")


def _transaction(segments: list[Segment], expected: str, repetition: str) -> Transaction:
    st, se = segments[0], segments[-1]
    if st.get(1) != expected:
        raise X12Error(f"ST01: transaction set {st.get(1)!r}, expected {expected!r}")
    if not 4 <= len(st.get(2)) <= 9:
        raise X12Error(f"ST02: control number {st.get(2)!r} is not 4-9 characters")
    if st.get(3) != VERSION:
        raise X12Error(f"ST03: implementation {st.get(3)!r}, expected {VERSION!r}")
    check_count(se.get(1), len(segments), "SE01", "segment count")
    if se.get(2) != st.get(2):
        raise X12Error(f"SE02: control number {se.get(2)!r} does not match ST02 {st.get(2)!r}")
    body = segments[1:-1]
    if not body or body[0].tag != "BHT":
        raise X12Error(f"BHT: missing; it must follow ST (found {body[0].tag if body else 'SE'})")
    bht = body[0]
    if bht.get(1) != "0022":
        raise X12Error(f"BHT01: hierarchical structure {bht.get(1)!r}, expected '0022'")
    if bht.get(2) != BHT_PURPOSE[expected]:
        raise X12Error(f"BHT02: purpose {bht.get(2)!r}, expected {BHT_PURPOSE[expected]!r} for "
                       f"a {expected}")
    date8(bht.get(4), "BHT04")
    time(bht.get(5), "BHT05")
    loops = _loops(body[1:])
    for loop in loops:
        _check_loop(loop, expected)
    return Transaction(st=st, bht=bht, loops=loops)


def _loops(segments: list[Segment]) -> tuple[Loop, ...]:
    """Cut the detail into HL loops and check ids, levels, parents and child codes."""
    if not segments or segments[0].tag != "HL":
        found = segments[0].tag if segments else "SE"
        raise X12Error(f"HL: the detail must start with HL level 20 after BHT, found {found}")
    heads: list[tuple[Segment, Level, list[Segment]]] = []
    levels: dict[str, str] = {}  # HL01 -> HL03
    for segment in segments:
        if segment.tag != "HL":
            heads[-1][2].append(segment)
            continue
        n = len(heads) + 1
        hl_id, parent, code, child = (segment.get(k) for k in (1, 2, 3, 4))
        if hl_id != str(n):
            raise X12Error(f"HL01: id {hl_id!r} where {n} is due (HL ids count up from 1)")
        level = LEVELS.get(code)
        if level is None:
            raise X12Error(f"HL03: level {code!r} in HL {n} is not one of {', '.join(LEVELS)}")
        if level.parent is None and parent:
            raise X12Error(f"HL02: HL {n} is the {level.what} (20) and cannot have parent "
                           f"{parent!r}")
        if level.parent is not None and levels.get(parent) != level.parent:
            raise X12Error(f"HL02: parent {parent!r} of HL {n} (level {code}) is not a level "
                           f"{level.parent} HL")
        if child not in ("0", "1"):
            raise X12Error(f"HL04: child code {child!r} in HL {n} is not 0 or 1")
        levels[hl_id] = code
        heads.append((segment, level, []))
    parents = {hl.get(2) for hl, _, _ in heads}
    loops = []
    for hl, level, body in heads:
        has_children = hl.get(1) in parents
        if hl.get(4) != ("1" if has_children else "0"):
            raise X12Error(f"HL04: child code {hl.get(4)!r} in HL {hl.get(1)}, but it "
                           f"{'has' if has_children else 'has no'} child levels")
        loops.append(Loop(hl=hl, level=level, segments=tuple(body), leaf=not has_children))
    for code in ("20", "21", "22"):
        if code not in levels.values():
            raise X12Error(f"HL03: no {LEVELS[code].what} level ({code}, loop "
                           f"{LEVELS[code].loop})")
    return tuple(loops)


def _check_loop(loop: Loop, expected: str) -> None:
    level = loop.level
    nm1 = loop.first("NM1")
    if nm1 is None or nm1.get(1) != level.entity:
        found = f"NM1*{nm1.get(1)}" if nm1 else "no NM1"
        raise X12Error(f"NM101: {level.name_loop} (HL {loop.id}) needs NM1*{level.entity} "
                       f"({level.what}), found {found}")
    for segment in loop.segments:
        if segment.tag == "DTP":
            _check_dtp(segment)
        elif segment.tag == "DMG":
            _check_dmg(segment, level)
    if not loop.leaf or level.code not in ("22", "23"):
        return
    if expected == "270":
        eqs = loop.all("EQ")
        if not eqs:
            raise X12Error(f"EQ: {level.loop} (HL {loop.id}) is the patient's loop and has no "
                           f"EQ (eligibility inquiry)")
        for eq in eqs:
            if not eq.get(1) and not eq.get(2):
                raise X12Error(f"EQ01: EQ in {level.loop} has neither a service type (EQ01) nor "
                               f"a procedure (EQ02)")
    elif not loop.first("EB") and not loop.first("AAA"):
        raise X12Error(f"EB: {level.loop} (HL {loop.id}) is the patient's loop and has neither "
                       f"EB (benefit) nor AAA (rejection)")


def _check_dmg(dmg: Segment, level: Level) -> None:
    if dmg.get(1) == "D8":
        date8(dmg.get(2), "DMG02")
    # X279A1 allows only F and M in DMG03 of 2100C/2100D; unknown is sent as no DMG03.
    if dmg.get(3) and dmg.get(3) not in SENT_GENDERS:
        raise X12Error(f"DMG03: gender {dmg.get(3)!r} in {level.name_loop} is not F or M; "
                       f"leave DMG03 out when the gender is unknown")


def _check_dtp(dtp: Segment) -> None:
    fmt, value = dtp.get(2), dtp.get(3)
    if fmt == "D8":
        date8(value, "DTP03")
    elif fmt == "RD8":
        start, dash, end = value.partition("-")
        if not dash:
            raise X12Error(f"DTP03: {value!r} is not an RD8 range CCYYMMDD-CCYYMMDD")
        if date8(start, "DTP03") > date8(end, "DTP03"):
            raise X12Error(f"DTP03: range {value!r} ends before it starts")
    else:
        raise X12Error(f"DTP02: date format {fmt!r} for DTP*{dtp.get(1)} is not D8 or RD8")

