"""A letting wheel as a reader sees it, without markup: the letting types a slot can give, a slot
in words, and each letting type's exact share of a period, written as the agreement writes it.

The Markdown pages (`render`) and the SVG pictures (`wheel_svg`) both read wheels through this
module, so a slot is described and a share computed in one way only; the weight of one chain
of a slot is the interpreter's own (`almen.interpreter.wheels.chain_share`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from almen.dsl import nodes as n
from almen.dsl.formatter import expr_text
from almen.interpreter.wheels import chain_share


def letting_label(member: str) -> str:
    """A letting type as people write it: kommunal_anvisning → kommunal anvisning."""
    return member.replace("_", " ")


def members_of(x: n.LettingChoice) -> list[str]:
    """The letting types a (conditional) letting can give, in order, once each."""
    if isinstance(x, n.Letting):
        return [x.member]
    out = []
    for m in members_of(x.then) + members_of(x.else_):
        if m not in out:
            out.append(m)
    return out


def chains_of(value: n.SlotValue) -> list[n.Chain]:
    """A slot's chains: one, or two for 'på skift' (the first on odd turns, the second on even)."""
    return [value.first, value.second] if isinstance(value, n.Alternating) else [value]


def letting_text(
    x: n.LettingChoice,
    name: Callable[[str], str] = letting_label,
    expr: Callable[[Any], str] = expr_text,
) -> str:
    """A letting in words; `name` and `expr` say how a letting type and an expression are written."""
    if isinstance(x, n.Letting):
        return name(x.member) + (f" med {expr(x.payload)}" if x.payload is not None else "")
    then, else_ = letting_text(x.then, name, expr), letting_text(x.else_, name, expr)
    return f"hvis {expr(x.cond)} så {then}, ellers {else_}"


def chain_text(c: n.Chain, name: Callable[[str], str] = letting_label, expr: Callable[[Any], str] = expr_text) -> str:
    return " → ".join(letting_text(x, name, expr) for x in c.lettings)


def slot_text(
    v: n.SlotValue, name: Callable[[str], str] = letting_label, expr: Callable[[Any], str] = expr_text
) -> str:
    if isinstance(v, n.Alternating):
        return f"på skift {chain_text(v.first, name, expr)} / {chain_text(v.second, name, expr)}"
    return chain_text(v, name, expr)


Conditional = list[tuple[int, list[str], Fraction]]  # (slot, the types it may give, its weight)


def period_shares(period: n.Period, members: Iterable[str]) -> tuple[dict[str, Fraction], Conditional]:
    """Each type's exact share from the slots that give it for certain, and the slots that depend
    on the facts (a `hvis … så … ellers` letting first in its chain). Slot exceptions not applied."""
    size = len(period.slots)
    fixed = dict.fromkeys(members, Fraction(0))
    conditional: Conditional = []
    for s in period.slots:
        chains = chains_of(s.value)
        for chain in chains:
            weight = chain_share(size, len(chains))
            options = members_of(chain.lettings[0])
            if len(options) == 1:
                fixed[options[0]] = fixed.get(options[0], Fraction(0)) + weight
            else:
                conditional.append((s.number, options, weight))
    return fixed, conditional


def denominator(period: n.Period) -> int:
    """The denominator the agreement writes a period's shares in: ninths, or 18ths with 'på skift'."""
    return len(period.slots) * (2 if any(isinstance(s.value, n.Alternating) for s in period.slots) else 1)


def shown(value: Fraction, denominator: int) -> str:
    """A share over the wheel's own denominator, as the agreement writes it: 3/9, 7/18 (3/9 + 1/18)."""
    scaled = value * denominator
    if scaled.denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    count = scaled.numerator
    if denominator % 2 == 0 and denominator > 2:
        half = denominator // 2
        if count % 2 == 0:
            return f"{count // 2}/{half}"
        if count > 1:
            return f"{count}/{denominator} ({count // 2}/{half} + 1/{denominator})"
    return f"{count}/{denominator}"
