"""Charts for the simulation's page as inline SVG: drawn here, so the page needs no script library
and no network, and prints as it shows. Every label is escaped; every chart has a <title> and a
table-like <desc> of its numbers for screen readers.

Three shapes cover the page: lines over days (census; charges transmitted and refused), bars by
category (refusals per reason, messages per channel), and paired bars by category (claims
accepted and rejected per payer). A histogram is bars by bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Sequence

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34
COLORS = ("#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#57606a")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


def _ticks(top: float) -> list[float]:
    """Four or five round gridline values from 0 to at least ``top``."""
    if top <= 0:
        return [0, 1]
    step = 10 ** len(str(int(top))) / 10 or 1
    for factor in (1, 2, 5, 10):
        if top / (step * factor) <= 5:
            step *= factor
            break
    ticks, value = [], 0.0
    while value < top + step:
        ticks.append(value)
        value += step
    return ticks


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _frame(title: str, desc: str, body: list[str], legend: Sequence[str] = ()) -> str:
    keys = "".join(f'<tspan fill="{COLORS[i % len(COLORS)]}">■</tspan> {escape(name)}   '
                   for i, name in enumerate(legend))
    legend_row = f'<text x="{LEFT}" y="{HEIGHT - 4}" class="legend">{keys}</text>' if legend else ""
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}{legend_row}</svg>")


def _axis(top: float, bottom_label_rows: int = 1) -> tuple[list[str], float, float]:
    """Gridlines and their labels; returns them, the y of the baseline and pixels per unit."""
    ticks = _ticks(top)
    base = HEIGHT - BOTTOM - (12 if bottom_label_rows > 1 else 0)
    scale = (base - TOP) / (ticks[-1] or 1)
    parts = []
    for tick in ticks:
        y = base - tick * scale
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_number(tick)}</text>')
    return parts, base, scale


def lines(title: str, days: Sequence[str], series: Sequence[Series]) -> str:
    """One line per series over the days (x axis labelled with the first, middle and last day)."""
    if not days:
        return _frame(title, "no days", [])
    top = max((max(s.values, default=0) for s in series), default=0)
    parts, base, scale = _axis(top)
    span = WIDTH - LEFT - RIGHT
    step = span / max(len(days) - 1, 1)
    for i, s in enumerate(series):
        points = " ".join(f"{LEFT + n * step:.1f},{base - v * scale:.1f}" for n, v in enumerate(s.values))
        color = COLORS[i % len(COLORS)]
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        if len(s.values) == 1:
            parts.append(f'<circle cx="{LEFT}" cy="{base - s.values[0] * scale:.1f}" r="3" fill="{color}"/>')
    for n in sorted({0, len(days) // 2, len(days) - 1}):
        anchor = "start" if n == 0 else "end" if n == len(days) - 1 else "middle"
        parts.append(f'<text x="{LEFT + n * step:.1f}" y="{base + 14}" class="tick" text-anchor="{anchor}">'
                     f"{escape(days[n])}</text>")
    desc = "; ".join(f"{s.name}: " + ", ".join(_number(v) for v in s.values) for s in series)
    return _frame(title, desc, parts, [s.name for s in series] if len(series) > 1 else ())


def bars(title: str, categories: Sequence[str], series: Sequence[Series]) -> str:
    """Bars per category, one bar per series side by side (a single series: one bar each)."""
    if not categories:
        return _frame(title, "nothing to show", [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                                                 f'class="tick">none</text>'])
    top = max((max(s.values, default=0) for s in series), default=0)
    parts, base, scale = _axis(top)
    slot = (WIDTH - LEFT - RIGHT) / len(categories)
    width = min(48.0, slot * 0.8 / len(series))
    for c, category in enumerate(categories):
        start = LEFT + c * slot + (slot - width * len(series)) / 2
        for i, s in enumerate(series):
            value = s.values[c]
            height = value * scale
            x = start + i * width
            parts.append(f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{width - 2:.1f}" height="{height:.1f}" '
                         f'fill="{COLORS[i % len(COLORS)]}"><title>{escape(category)}: {escape(s.name)} '
                         f"{_number(value)}</title></rect>")
            if value:
                parts.append(f'<text x="{x + (width - 2) / 2:.1f}" y="{base - height - 3:.1f}" class="value" '
                             f'text-anchor="middle">{_number(value)}</text>')
        label = category if len(category) <= max(4, int(slot / 6.5)) else category[:max(3, int(slot / 6.5) - 1)] + "…"
        parts.append(f'<text x="{LEFT + c * slot + slot / 2:.1f}" y="{base + 14}" class="tick" text-anchor="middle">'
                     f"{escape(label)}</text>")
    desc = "; ".join(f"{category}: " + ", ".join(f"{s.name} {_number(s.values[c])}" for s in series)
                     for c, category in enumerate(categories))
    return _frame(title, desc, parts, [s.name for s in series] if len(series) > 1 else ())


def histogram(title: str, values: Sequence[float], label: str = "patients") -> str:
    """How many values fall on each whole number (days), gaps included, up to the largest."""
    if not values:
        return bars(title, [], [])
    counts = [0] * (int(max(values)) + 1)
    for value in values:
        counts[int(value)] += 1
    return bars(title, [str(n) for n in range(len(counts))], [Series(label, tuple(counts))])
