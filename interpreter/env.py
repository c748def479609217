"""What one evaluation sees, and the three-valued plumbing every compiled piece shares.

A missing fact raises Unknown (with the fact paths still needed); helpers here evaluate
several operands so that what *all* of them still need is reported, not just the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from almen.dsl.i18n import _
from almen.dsl.nodes import Span
from almen.interpreter.errors import EvaluationError, Unknown

if TYPE_CHECKING:
    from almen.interpreter.explanation import Node, Trace
    from almen.interpreter.program import Program

Thunk = Callable[["Env"], Any]

# One decision's budget. A step is a call of a definition (its first with these arguments), an
# item a quantifier, count, sort, `hver` or `opslag` goes through, or an item a `+` of lists
# copies. The golden scenarios take at most 141 steps; Copenhagen's `rækkefølge` over 10,000
# applicants takes 282,000 (28 an applicant), so the budget grows with the items of the facts'
# lists: MAX_STEPS, and STEPS_PER_ITEM more for each. It is there so that no policy (20
# definitions each calling the previous twice) and no facts (quantifiers nested three deep over
# 10,000 items) make one decision work without end.
MAX_STEPS = 20_000
STEPS_PER_ITEM = 50
MAX_LIST = 100_000  # items in a list an evaluation builds (facts bring at most 10,000)


class Env:
    """What one evaluation sees: the facts, the decision date, memos, locals, maybe a trace."""

    __slots__ = ("budget", "date", "facts", "locals", "memo", "nodes", "pinned", "program", "steps", "trace")

    def __init__(self, program: Program, facts: dict[str, Any], date: dt.date, trace: Trace | None):
        self.program = program
        self.facts = facts
        self.date = date
        self.memo: dict[Any, Any] = {}  # named values by name, calls by (name, *arguments)
        self.nodes: dict[Any, Node] = {}
        self.trace = trace
        self.locals: dict[str, Any] = {}
        self.pinned: list[Any] = []
        items = sum(len(v) for v in facts.values() if type(v) is tuple)  # the facts' lists
        self.budget = MAX_STEPS + STEPS_PER_ITEM * items
        self.steps = self.budget  # left to spend

    def spend(self, steps: int, span: Span, construct: str) -> None:
        """Take `steps` from the budget; past it, an error at the construct that went over."""
        self.steps -= steps
        if self.steps < 0:
            raise EvaluationError(
                span,
                _("this decision went over its budget of {0:,} evaluation steps, here in {1}").format(
                    self.budget, construct
                ),
                _(
                    "the policy (or the facts) make it work too hard: avoid calling a definition from itself "
                    "more than once per level, and nesting quantifiers over long lists"
                ),
            )

    def built(self, items: int, span: Span, construct: str) -> None:
        """A list of `items` was built: counted against the budget, and bounded in size."""
        if items > MAX_LIST:
            raise EvaluationError(
                span,
                _("{0} builds a list of {1:,} items, over the budget of {2:,}").format(construct, items, MAX_LIST),
                _("a list that doubles at each call grows without bound; build it once"),
            )
        self.spend(items, span, construct)


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
