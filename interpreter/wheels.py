"""Letting wheels at run time: which letting type the n-th vacancy gets, and the exact shares.

A slot is a chain (a letting type and what it falls back to); 'på skift' alternates two
chains on successive turns of the wheel. Slot exceptions replace a slot where they apply.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import attrs

from almen.dsl import nodes as n
from almen.dsl.i18n import _
from almen.interpreter.errors import EvaluationError, Unknown, conflict
from almen.interpreter.explanation import Node, Status

Thunk = Callable[[Any], Any]


@attrs.frozen
class CLetting:
    """A compiled letting: a member with an optional payload, or a condition choosing one of two."""

    member: str | None
    payload: Thunk | None = None
    cond: Thunk | None = None
    then: CLetting | None = None
    else_: CLetting | None = None

    def member_of(self, env: Any) -> str:
        """The letting type alone; its payload (e.g. criteria) is not evaluated, so not needed."""
        if self.cond is None:
            assert self.member is not None
            return self.member
        branch = self.then if self.cond(env) else self.else_
        assert branch is not None
        return branch.member_of(env)

    def resolve(self, env: Any) -> tuple[str, Any]:
        if self.cond is None:
            assert self.member is not None
            return self.member, (self.payload(env) if self.payload is not None else ())
        branch = self.then if self.cond(env) else self.else_
        assert branch is not None
        return branch.resolve(env)


Chain = tuple[CLetting, ...]


@attrs.frozen
class CSlot:
    number: int
    first: Chain
    second: Chain | None  # set for 'på skift'
    node: n.Slot | n.SlotException


@attrs.frozen
class CException:
    node: n.SlotException
    cond: Thunk
    slot: CSlot


@attrs.frozen
class CPeriod:
    node: n.Period
    slots: tuple[CSlot, ...]
    exceptions: dict[int, tuple[CException, ...]]


@attrs.frozen
class Place:
    """Where the n-th vacancy falls: its slot, the turn of the wheel, and the resolved chain."""

    period: str
    slot: int
    turn: int
    chain: tuple[tuple[str, Any], ...]


def chain_share(size: int, chains: int) -> Fraction:
    """The share of the vacancies one chain of a slot gets: a slot is 1/size of the wheel, and
    'på skift' gives each of its two chains every other turn, so half of that."""
    return Fraction(1, size * chains)


class CompiledWheel:
    def __init__(self, node: n.Wheel, members: tuple[str, ...], periods: tuple[CPeriod, ...]):
        self.node = node
        self.members = members
        self.periods = periods

    def period(self, env: Any) -> CPeriod:
        for p in self.periods:
            if p.node.start <= env.date <= p.node.end:
                return p
        covered = ", ".join(f"{p.node.start}–{p.node.end}" for p in self.periods)
        raise EvaluationError(
            self.node.span,
            _("wheel '{0}' has no period on {1} (it covers {2})").format(self.node.name, env.date, covered),
        )

    def slot(self, period: CPeriod, number: int, env: Any) -> CSlot:
        """The slot, or the one exception that replaces it here (two would be a conflict)."""
        applying: list[CException] = []
        needs: frozenset[str] = frozenset()
        for exc in period.exceptions.get(number, ()):
            try:
                applies = exc.cond(env)
            except Unknown as u:
                needs |= u.needs
                continue
            if env.trace is not None:
                env.trace.attach(
                    Node(
                        "undtagelse",
                        exc.node.name,
                        exc.node.meta.citations,
                        exc.node.meta.notes,
                        exc.node.span,
                        outcome=bool(applies),
                        status=Status.DETERMINED if applies else Status.NOT_APPLICABLE,
                    )
                )
            if applies:
                applying.append(exc)
        if needs:
            raise Unknown(needs)
        if len(applying) > 1:
            raise conflict(_("slot {0} of wheel '{1}'").format(number, self.node.name), [e.node for e in applying])
        return applying[0].slot if applying else period.slots[number - 1]

    def place(self, vacancy: int, env: Any) -> Place:
        if vacancy < 1:
            raise EvaluationError(self.node.span, _("vacancy number {0} is not 1 or more").format(vacancy))
        period = self.period(env)
        size = len(period.slots)
        number, turn = (vacancy - 1) % size + 1, (vacancy - 1) // size
        slot = self.slot(period, number, env)
        chain = slot.first if slot.second is None or turn % 2 == 0 else slot.second
        primary = chain[0].resolve(env)
        fallback = tuple((letting.member_of(env), ()) for letting in chain[1:])
        return Place(period.node.label, number, turn, (primary, *fallback))

    def shares(self, env: Any) -> dict[str, Fraction]:
        """Each letting type's exact share of the vacancies: each slot 1/size, 'på skift' half each."""
        period = self.period(env)
        size = len(period.slots)
        shares = dict.fromkeys(self.members, Fraction(0))
        needs: frozenset[str] = frozenset()
        for number in range(1, size + 1):
            try:
                slot = self.slot(period, number, env)
                chains = [slot.first] if slot.second is None else [slot.first, slot.second]
                for chain in chains:
                    shares[chain[0].member_of(env)] += chain_share(size, len(chains))
            except Unknown as u:
                needs |= u.needs
        if needs:
            raise Unknown(needs)
        return shares


# ---------------------------------------------------------------- compiling and presenting


def compile_wheel(model: Any, wheel: n.Wheel, expr: Callable[[Any], Thunk]) -> CompiledWheel:
    """A wheel's periods, slots and slot exceptions, with their conditions and payloads compiled."""

    def letting(x: n.LettingChoice) -> CLetting:
        if isinstance(x, n.LettingIf):
            return CLetting(None, None, expr(x.cond), letting(x.then), letting(x.else_))
        return CLetting(x.member, expr(x.payload) if x.payload is not None else None)

    def slot(number: int, value: n.SlotValue, node: Any) -> CSlot:
        if isinstance(value, n.Alternating):
            return CSlot(number, chain(value.first), chain(value.second), node)
        return CSlot(number, chain(value), None, node)

    def chain(c: n.Chain) -> tuple[CLetting, ...]:
        return tuple(letting(x) for x in c.lettings)

    members = model.enums[wheel.letting_type].members
    excs = model.slot_exceptions.get(wheel.name, [])
    periods = []
    for period in wheel.periods:
        slots = tuple(slot(s.number, s.value, s) for s in sorted(period.slots, key=lambda s: s.number))
        exceptions: dict[int, tuple[CException, ...]] = {}
        for exc in excs:
            if exc.period in (None, period.label):
                c = CException(exc, expr(exc.condition), slot(exc.slot, exc.value, exc))
                exceptions[exc.slot] = exceptions.get(exc.slot, ()) + (c,)
        periods.append(CPeriod(period, slots, exceptions))
    return CompiledWheel(wheel, members, tuple(sorted(periods, key=lambda p: p.node.start)))


def place(wheel: CompiledWheel, vacancy: int, env: Any) -> dict[str, Any]:
    """`plads(hjul, n)`: the letting type of the n-th vacancy, explained with its period, slot and turn."""
    node = None
    if env.trace is not None:
        node = env.trace.open(Node("plads", wheel.node.name, wheel.node.meta.citations, (), wheel.node.span))
    try:
        place = wheel.place(vacancy, env)
    finally:
        if env.trace is not None:
            env.trace.close()
    (member, payload), fallback = place.chain[0], [m for m, _ in place.chain[1:]]
    if node is not None:
        period = next(p for p in wheel.periods if p.node.label == place.period)
        slot = period.slots[place.slot - 1].node
        node.text = f"periode {place.period}, plads {place.slot}, tur {place.turn + 1}"
        node.notes = wheel.node.meta.notes + tuple(getattr(slot, "notes", ()))
        node.outcome = member
    return {
        "plads": place.slot,
        "periode": place.period,
        "type": member,
        "fallback": tuple(fallback),
        "kriterier": tuple(payload),
    }


def shares(wheel: CompiledWheel, env: Any) -> dict[str, Fraction]:
    """`andele(hjul)`: the exact share of each letting type in the period of the decision date."""
    if env.trace is None:
        return wheel.shares(env)
    node = env.trace.open(
        Node("hjul", wheel.node.name, wheel.node.meta.citations, wheel.node.meta.notes, wheel.node.span)
    )
    try:
        shares = wheel.shares(env)
    finally:
        env.trace.close()
    period = wheel.period(env)
    node.text = f"periode {period.node.label}"
    node.notes += tuple(note for slot in period.node.slots for note in slot.notes)
    node.outcome = shares
    return shares
