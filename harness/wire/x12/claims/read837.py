"""Reading an 837 back, as far as a clearinghouse needs to acknowledge it with a 277CA.

Per claim: its CLM01, subscriber, patient, payer, billing provider and dated, priced lines. Not
a full reader: diagnoses, modifiers and situational loops are left out (the claims it returns
carry placeholders there). Assumes the separators :mod:`.build837` writes (``*`` and ``~``),
and is lenient: it reads what pyx12 may have rejected, so that the rejection can be answered
claim by claim. A value it cannot read is replaced by a neutral one: an unreadable charge
counts 0, unreadable units 1, an unreadable or missing line date takes the
claim's first readable one, else the date the 837 was made (BHT04), else 1900-01-01.
"""

from __future__ import annotations

import datetime
import decimal

from .model import Address, Claim, Person, Provider, ServiceLine, Subscriber

__all__ = ["parse_837"]


def parse_837(text: str) -> tuple[Claim, ...]:
    """Per claim: CLM01, subscriber, patient, payer, billing provider, dated and priced lines."""
    segments = [s.strip().split("*") for s in text.split("~") if s.strip()]
    gs = next((s for s in segments if s[0] == "GS"), [""])
    fmt = "837I" if gs[-1].startswith("005010X223") else "837P"
    bht = next((s for s in segments if s[0] == "BHT"), [])
    made = _date(_get(bht, 4)) or _NO_DATE
    claims: list[Claim] = []
    billing = subscriber = patient = current = None
    address = None
    pending: dict[str, object] = {}

    def close_claim() -> None:
        if current:
            known = [line["date"] for line in current["lines"] if line["date"]]
            lines = tuple(ServiceLine("H0001", line["charge"], line["units"],
                                      line["date"] or (known[0] if known else made))
                          for line in current["lines"])
            claims.append(Claim(claim_id=current["id"], claim_format=fmt, billing_provider=billing,
                                rendering_provider=None, subscriber=subscriber, patient=patient,
                                diagnoses=("F1020",), lines=lines))

    for n, seg in enumerate(segments):
        tag, following = seg[0], segments[n + 1] if n + 1 < len(segments) else [""]
        dmg = following if following[0] == "DMG" else None
        if tag == "NM1" and _get(seg, 1) == "85":
            pending = {"name": _get(seg, 3), "npi": _get(seg, 9)}
        elif tag == "N4" and billing is None and "name" in pending:
            address = Address("", _get(seg, 1), _get(seg, 2), _get(seg, 3))
        elif tag == "REF" and _get(seg, 1) == "EI" and billing is None and "name" in pending:
            billing = Provider(str(pending["name"]), str(pending["npi"]), _get(seg, 2), address)
        elif tag == "NM1" and _get(seg, 1) == "IL":
            close_claim()
            current, patient = None, None
            pending = {"il": seg, "dmg": dmg}
        elif tag == "NM1" and _get(seg, 1) == "PR" and "il" in pending:
            il = pending["il"]
            subscriber = Subscriber(_person(il, pending.get("dmg")), _get(il, 9), _get(seg, 3),
                                    _get(seg, 9))
        elif tag == "NM1" and _get(seg, 1) == "QC":
            patient = _person(seg, dmg)
        elif tag == "CLM":
            close_claim()
            current = {"id": _get(seg, 1), "lines": []}
        elif tag in ("SV1", "SV2") and current is not None:
            charge, units = (_get(seg, 2), _get(seg, 4)) if tag == "SV1" else (_get(seg, 3), _get(seg, 5))
            current["lines"].append({"charge": _money(charge), "units": _units(units), "date": None})
        elif tag == "DTP" and _get(seg, 1) == "472" and current is not None and current["lines"]:
            current["lines"][-1]["date"] = _date(_get(seg, 3)[:8])
    close_claim()
    return tuple(claims)


_NO_DATE = datetime.date(1900, 1, 1)


def _get(segment: list[str], n: int) -> str:
    return segment[n] if n < len(segment) else ""


def _person(nm1: list[str], dmg: list[str] | None) -> Person:
    born = _date(_get(dmg, 2)) if dmg else None
    return Person(_get(nm1, 4), _get(nm1, 3), born or _NO_DATE, (_get(dmg, 3) if dmg else "") or "U")


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 else None
    except ValueError:
        return None


def _money(value: str) -> decimal.Decimal:
    try:
        amount = decimal.Decimal(value)
    except decimal.InvalidOperation:
        return decimal.Decimal(0)
    if not amount.is_finite() or not 0 <= amount < 10 ** 15:
        return decimal.Decimal(0)
    return amount.quantize(decimal.Decimal("0.01"))


def _units(value: str) -> int:
    try:
        return max(1, int(decimal.Decimal(value)))
    except (decimal.InvalidOperation, ValueError, OverflowError):
        return 1
