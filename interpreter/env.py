"""What one evaluation sees, and the three-valued plumbing every compiled piece shares.

A missing fact raises Unknown (with the fact paths still needed); helpers here evaluate
several operands so that what *all* of them still need is reported, not just the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from almen.interpreter.errors import Unknown

if TYPE_CHECKING:
    from almen.interpreter.explanation import Node, Trace
    from almen.interpreter.program import Program

Thunk = Callable[["Env"], Any]


class Env:
    """What one evaluation sees: the facts, the decision date, memos, locals, maybe a trace."""

    __slots__ = ("date", "facts", "locals", "memo", "nodes", "pinned", "program", "trace")

    def __init__(self, program: Program, facts: dict[str, Any], date: dt.date, trace: Trace | None):
        self.program = program
        self.facts = facts
        self.date = date
        self.memo: dict[Any, Any] = {}  # named values by name, calls by (name, *arguments)
        self.nodes: dict[Any, Node] = {}
        self.trace = trace
        self.locals: dict[str, Any] = {}
        self.pinned: list[Any] = []


def both(fa: Thunk, fb: Thunk, env: Env) -> tuple[Any, Any]:
    """Evaluate two operands; if either is unknown, report what both still need."""
    try:
        a = fa(env)
    except Unknown as ua:
        try:
            fb(env)
        except Unknown as ub:
            raise Unknown(ua.needs | ub.needs) from None
        raise
    return a, fb(env)


def every(thunks: list[Thunk], env: Env) -> list[Any]:
    """Evaluate all operands; if any is unknown, report what all of them still need."""
    values, needs = [], frozenset[str]()
    for f in thunks:
        try:
            values.append(f(env))
        except Unknown as u:
            needs |= u.needs
    if needs:
        raise Unknown(needs)
    return values


def over(env: Env, items: Any, var: str, fn: Thunk) -> list[Any]:
    """`fn` for each item bound to `var`; what any item still needs is collected, not stopped at."""
    saved = env.locals
    env.locals = dict(saved)
    out, needs = [], frozenset[str]()
    try:
        for item in items:
            env.locals[var] = item
            try:
                out.append(fn(env))
            except Unknown as u:
                needs |= u.needs
    finally:
        env.locals = saved
    if needs:
        raise Unknown(needs)
    return out
