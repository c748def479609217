"""A letting wheel's period drawn as a wheel: one self-contained SVG, the slots as sectors
clockwise from the top, coloured by letting type, with the exact shares beside it.

A 'på skift' slot is split in two rings (outer: the first chain, on the wheel's first, third, …
turn; inner: the second); a slot whose letting type has a fallback carries a marker (↪); a slot
that depends on the department is striped in the colours it may give. The picture has an accessible name (`<title>`) and
a description of every slot in words (`<desc>`), and each sector its own `<title>`. Every text
taken from a policy is escaped. Slots are described and shares computed by `wheel_view`, as on
the rendered pages, so the picture and the words cannot disagree.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from fractions import Fraction

from almen.dsl import nodes as n
from almen.interpreter.tools.wheel_view import (
    chains_of,
    denominator,
    letting_label,
    members_of,
    period_shares,
    shown,
    slot_text,
)

# Okabe–Ito: told apart with the common colour-vision deficiencies, and in greyscale print
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")

WIDTH, HEIGHT = 660, 280
CX, CY, R, SPLIT, HOLE = 140, 140, 125, 78, 34


def colour(members: Sequence[str], member: str) -> str:
    i = list(members).index(member) if member in members else len(PALETTE) - 1
    return PALETTE[i % len(PALETTE)]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _point(angle: float, radius: float) -> tuple[float, float]:
    # angle 0 is the top; clockwise
    return CX + radius * math.sin(angle), CY - radius * math.cos(angle)


def _sector(a0: float, a1: float, r0: float, r1: float) -> str:
    """The path of a ring sector between two angles and two radii."""
    large = 1 if a1 - a0 > math.pi else 0
    (x0, y0), (x1, y1) = _point(a0, r1), _point(a1, r1)
    (x2, y2), (x3, y3) = _point(a1, r0), _point(a0, r0)
    return (
        f"M{x0:.2f},{y0:.2f} A{r1},{r1} 0 {large} 1 {x1:.2f},{y1:.2f} "
        f"L{x2:.2f},{y2:.2f} A{r0},{r0} 0 {large} 0 {x3:.2f},{y3:.2f} Z"
    )


def ident(text: str) -> str:
    """An XML id from any text (a wheel's and a period's name), unique enough within a page."""
    return "hjul-" + re.sub(r"[^A-Za-z0-9_-]+", "-", text.encode("ascii", "xmlcharrefreplace").decode()).strip("-")


def period_svg(period: n.Period, members: Sequence[str], title: str, key: str) -> str:
    """One period of a wheel as an SVG element (one line, so it can stand in a Markdown page)."""
    uid = ident(key)
    slots = sorted(period.slots, key=lambda s: s.number)
    size = len(slots) or 1
    step = 2 * math.pi / size
    parts = [
        # inline in HTML: no namespace needed, and the page names no outside address
        f'<svg class="almen-hjulbillede" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{uid}-t {uid}-d">',
        f'<title id="{uid}-t">{_esc(title)}</title>',
        f'<desc id="{uid}-d">{_esc("; ".join(f"plads {s.number}: {slot_text(s.value)}" for s in slots))}</desc>',
    ]
    alternating = fallback = conditional = False
    for i, s in enumerate(slots):
        a0, a1 = i * step, (i + 1) * step
        chains = chains_of(s.value)
        rings = [(HOLE, R)] if len(chains) == 1 else [(SPLIT, R), (HOLE, SPLIT)]
        alternating |= len(chains) > 1
        for chain, (r0, r1) in zip(chains, rings, strict=True):
            options = members_of(chain.lettings[0])
            conditional |= len(options) > 1
            turn = "" if len(chains) == 1 else (" (1., 3., … omgang)" if r1 == R else " (2., 4., … omgang)")
            label = f"plads {s.number}{turn}: " + " → ".join(_chain_words(chain))
            if len(options) == 1:
                fill = colour(members, options[0])
            else:  # depends on the department: striped in the colours it may give
                parts += _stripes(a0, a1, r0, r1, [colour(members, m) for m in options])
                fill = "none"
            parts.append(
                f'<path d="{_sector(a0, a1, r0, r1)}" fill="{fill}" stroke="#fff" stroke-width="2" '
                f'pointer-events="all"><title>{_esc(label)}</title></path>'
            )
        mid = (a0 + a1) / 2
        x, y = _point(mid, (R + HOLE) / 2 if len(chains) == 1 else (R + SPLIT) / 2)
        marks = "↪" if any(len(c.lettings) > 1 for c in chains) else ""
        fallback |= bool(marks)
        parts.append(
            f'<text x="{x:.2f}" y="{y:.2f}" text-anchor="middle" dominant-baseline="central" '
            f'font-family="system-ui,sans-serif" font-size="15" font-weight="bold" fill="#fff" '
            f'stroke="#000" stroke-width="0.6" paint-order="stroke">{s.number}{marks}</text>'
        )
    parts += _legend(period, members, alternating, fallback, conditional, uid)
    parts.append("</svg>")
    return "".join(parts)


STRIPES = 6


def _stripes(a0: float, a1: float, r0: float, r1: float, colours: list[str]) -> list[str]:
    """A sector in narrow stripes, cycling through colours: a slot whose type depends on the facts."""
    width = (a1 - a0) / STRIPES
    return [
        f'<path d="{_sector(a0 + k * width, a0 + (k + 1) * width, r0, r1)}" fill="{colours[k % len(colours)]}"/>'
        for k in range(STRIPES)
    ]


def _swatch(x: int, y: int, colours: list[str]) -> str:
    """A legend square, in stripes when it stands for several types."""
    w = 14 / len(colours)
    return "".join(
        f'<rect x="{x + i * w:.2f}" y="{y - 11}" width="{w:.2f}" height="14" fill="{c}"/>'
        for i, c in enumerate(colours)
    )


def _chain_words(chain: n.Chain) -> list[str]:
    return [slot_text(n.Chain((x,))) for x in chain.lettings]


def _legend(
    period: n.Period, members: Sequence[str], alternating: bool, fallback: bool, conditional: bool, uid: str
) -> list[str]:
    fixed, cond = period_shares(period, members)
    den = denominator(period)
    x, y = 290, 28
    out = [
        f'<text x="{x}" y="{y}" font-family="system-ui,sans-serif" font-size="14" font-weight="bold">'
        f"{_esc(f'Periode {period.label}')}</text>"
    ]
    y += 22
    text = 'font-family="system-ui,sans-serif" font-size="13"'
    for m in members:
        if not fixed.get(m):
            continue
        out.append(_swatch(x, y, [colour(members, m)]))
        out.append(f'<text x="{x + 22}" y="{y}" {text}>{_esc(f"{letting_label(m)}: {shown(fixed[m], den)}")}</text>')
        y += 21
    if cond:
        total = sum((w for *_, w in cond), Fraction(0))
        slots = ", ".join(str(s) for s in sorted({s for s, _, _ in cond}))
        options = sorted({m for _, ms, _ in cond for m in ms}, key=list(members).index)
        out.append(_swatch(x, y, [colour(members, m) for m in options]))
        out.append(
            f'<text x="{x + 22}" y="{y}" {text}>{_esc(f"afhænger af afdelingen: {shown(total, den)} (plads {slots})")}'
            "</text>"
        )
        y += 21
    y += 6
    small = 'font-family="system-ui,sans-serif" font-size="11" fill="#333"'
    if alternating:
        out.append(f'<text x="{x}" y="{y}" {small}>Delt plads: på skift, ydre ring 1., 3., … omgang,</text>')
        out.append(f'<text x="{x}" y="{y + 14}" {small}>indre ring 2., 4., … omgang.</text>')
        y += 30
    if fallback:
        out.append(f'<text x="{x}" y="{y}" {small}>↪: pladsen går videre til en anden type,</text>')
        out.append(f'<text x="{x}" y="{y + 14}" {small}>hvis den første ikke bruges.</text>')
    return out


def wheel_svgs(wheel: n.Wheel, members: Sequence[str]) -> list[tuple[n.Period, str]]:
    """Every period of a wheel, drawn, in date order."""
    name = wheel.meta.title or wheel.name
    return [
        (p, period_svg(p, members, f"Udlejningshjul {name}, periode {p.label}", f"{wheel.name}-{p.label}"))
        for p in sorted(wheel.periods, key=lambda p: p.start)
    ]
