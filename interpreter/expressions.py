"""Expressions → closures (thunks over an Env). Names, fields and calls read the checker's
annotations; operators, literals and builtins take their meaning from `almen.dsl.semantics`
and `almen.dsl.builtins`. `og`/`eller` and the quantifiers follow Kleene's three-valued logic,
so an answer decided without a fact never asks for it.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.builtins import BUILTINS
from almen.dsl.i18n import _
from almen.dsl.semantics import COMPARISONS, ORDERING, normal, number_value, percent_scale
from almen.interpreter import calendar
from almen.interpreter.env import Env, Thunk, both, every, over
from almen.interpreter.errors import EvaluationError, Unknown
from almen.interpreter.values import Duration, FactRecord, Missing, WheelRef

if TYPE_CHECKING:
    from almen.interpreter.program import Program

_SKIP = object()


class Expressions(n.Visitor):
    def __init__(self, program: Program):
        self.program = program
        self.model = program.model

    def __call__(self, e: Any) -> Thunk:
        thunk: Thunk = self.visit(e)
        return thunk

    def visit_Literal(self, e: n.Literal) -> Thunk:
        value: Any = e.value
        if e.kind == n.LiteralKind.DURATION:
            value = Duration(int(e.value), e.unit or "dage")
        elif e.kind in (n.LiteralKind.NUMBER, n.LiteralKind.PERCENT, n.LiteralKind.MONEY):
            value = number_value(e)
        return lambda env: value

    def visit_Name(self, e: n.Name) -> Thunk:
        ref = self.model.ref_of(e)
        assert ref is not None, "the checker annotates every name"
        name, program = ref.name, self.program
        if ref.kind == "local":
            return lambda env: env.locals[name]
        if ref.kind == "fact":

            def fact(env: Env) -> Any:
                value = env.facts[name]
                if type(value) is Missing:
                    raise Unknown(frozenset((value.path,)))
                if env.trace is not None and type(value) is not FactRecord and type(value) is not tuple:
                    env.trace.read(name, value)
                return value

            return fact
        if ref.kind == "parameter":
            return lambda env: program.parameter(name, env)
        if ref.kind in ("definition", "decision", "table"):
            values = program.values
            return lambda env: values[name](env)
        if ref.kind == "wheel":
            wheel = WheelRef(name)
            return lambda env: wheel
        if ref.kind == "member":
            return lambda env: name
        return lambda env: env.date  # beslutningsdato

    def visit_Field(self, e: n.Field) -> Thunk:
        obj, name = self(e.obj), e.name
        notes = self.field_notes(e)

        def get(env: Env) -> Any:
            o = obj(env)
            if type(o) is FactRecord:
                value = o.value(name)
                if type(value) is Missing:
                    raise Unknown(frozenset((value.path,)))
                if env.trace is not None and type(value) is not FactRecord:
                    env.trace.read(f"{o.path}.{name}", value, notes)
                return value
            return o[name]

        return get

    def field_notes(self, e: n.Field) -> tuple[str, ...]:
        """Interpretation notes on the fact field read here: how the fact is to be understood."""
        record = t.strip(self.model.type_of(e.obj))
        decl = self.model.record_decls.get(record.name or "") if isinstance(record, t.Record) else None
        field = next((f for f in decl.fields if f.name == e.name), None) if decl else None
        return field.notes if field else ()

    def visit_Call(self, e: n.Call) -> Thunk:
        ref = self.model.ref_of(e)
        args = [self(a) for a in e.args]
        if ref is not None and ref.kind == "definition":
            return self.program.call_definition(e.name, args)
        run = BUILTINS[e.name].run
        if BUILTINS[e.name].needs_env:
            return lambda env: run(env, *every(args, env))
        if len(args) == 1:
            arg = args[0]
            return lambda env: run(arg(env))
        return lambda env: run(*every(args, env))

    # ---- operators
    def visit_Unary(self, e: n.Unary) -> Thunk:
        operand = self(e.operand)
        if e.op == "ikke":
            return lambda env: not operand(env)
        return lambda env: -operand(env)

    def visit_Binary(self, e: n.Binary) -> Thunk:
        left, right = self(e.left), self(e.right)
        lt, rt = t.strip(self.model.type_of(e.left)), t.strip(self.model.type_of(e.right))
        op, span, month_rule = e.op, e.span, self.program.month_rule
        if lt == t.DATE and rt == t.DURATION:

            def shift(env: Env) -> dt.date:
                day, duration = both(left, right, env)
                if day is None:
                    raise EvaluationError(span, _("cannot compute with intet"), _("check for intet first"))
                amount = duration.amount if op == "+" else -duration.amount
                try:
                    return calendar.shift(day, amount, duration.unit, month_rule)
                except calendar.MonthError as err:
                    raise EvaluationError(span, str(err), _("declare 'månedsregel sidste_dag' in the header")) from None
                except (OverflowError, ValueError):
                    raise EvaluationError(
                        span, _("{0} + {1} {2} is outside the calendar").format(day, amount, duration.unit)
                    ) from None

            return shift
        if lt == t.DATE and rt == t.DATE:

            def days(env: Env) -> int:
                a, b = both(left, right, env)
                return int((a - b).days)

            return days
        if isinstance(lt, t.ListOf):

            def concat(env: Env) -> tuple[Any, ...]:
                a, b = both(left, right, env)
                env.built(len(a) + len(b), span, "'+' of two lists")
                return tuple(a) + tuple(b)

            return concat
        scale = percent_scale(op, lt, rt)

        def arith(env: Env) -> Any:
            a, b = both(left, right, env)
            if a is None or b is None:
                raise EvaluationError(span, _("cannot compute with intet"), _("check for intet first"))
            if op == "+":
                return normal(a + b)
            if op == "-":
                return normal(a - b)
            if op == "*":
                return normal(a * b * scale if scale else a * b)
            if b == 0:
                raise EvaluationError(span, _("division by zero"), _("guard the division with hvis … så … ellers …"))
            return normal(Fraction(a) / Fraction(b))

        return arith

    def visit_Compare(self, e: n.Compare) -> Thunk:
        left, right, op, span = self(e.left), self(e.right), e.op, e.span
        test = COMPARISONS[op]
        ordering = op in ORDERING

        def cmp(env: Env) -> bool:
            a, b = both(left, right, env)
            if ordering and (a is None or b is None):
                raise EvaluationError(span, _("cannot order intet"), _("check for intet before comparing"))
            return bool(test(a, b))

        return cmp

    def visit_BoolOp(self, e: n.BoolOp) -> Thunk:
        left, right = self(e.left), self(e.right)
        stop = e.op == "eller"  # the value that decides alone: true for 'eller', false for 'og'

        def kleene(env: Env) -> bool:
            try:
                a = left(env)
            except Unknown as ua:
                try:
                    b = right(env)
                except Unknown as ub:
                    raise Unknown(ua.needs | ub.needs) from None
                if bool(b) is stop:
                    return stop
                raise
            if bool(a) is stop:
                return stop
            return bool(right(env))

        return kleene

    def visit_Member(self, e: n.Member) -> Thunk:
        elem, coll, negated = self(e.elem), self(e.coll), e.negated

        def member(env: Env) -> bool:
            a, b = both(elem, coll, env)
            return (a in b) is not negated

        return member

    def visit_Between(self, e: n.Between) -> Thunk:
        parts = [self(e.value), self(e.low), self(e.high)]

        def between(env: Env) -> bool:
            value, low, high = every(parts, env)
            return bool(low <= value <= high)

        return between

    def visit_If(self, e: n.If) -> Thunk:
        cond, then, else_ = self(e.cond), self(e.then), self(e.else_)
        return lambda env: then(env) if cond(env) else else_(env)

    def visit_Quantifier(self, e: n.Quantifier) -> Thunk:
        coll, var = self(e.coll), e.var
        where = self(e.where) if e.where is not None else None
        body = self(e.body)
        every_ = e.kind == n.QuantifierKind.ALLE
        negate = e.kind == n.QuantifierKind.INGEN
        span, construct = e.span, _loop(str(e.kind), var)

        def quantify(env: Env) -> bool:
            items = coll(env)
            env.spend(len(items), span, construct)
            saved = env.locals
            env.locals = dict(saved)
            needs = frozenset[str]()
            try:
                for item in items:
                    env.locals[var] = item
                    try:
                        counts = where(env) if where is not None else True
                    except Unknown as u:
                        counts = u
                    if counts is False:
                        continue
                    try:
                        holds = bool(body(env))
                    except Unknown as u:
                        needs |= u.needs | (counts.needs if type(counts) is Unknown else frozenset())
                        continue
                    if type(counts) is Unknown:
                        # the item may not count at all: decisive only if it would not change the result
                        if holds is every_:
                            continue
                        needs |= counts.needs
                        continue
                    if holds is not every_:
                        return (not every_) is not negate
            finally:
                env.locals = saved
            if needs:
                raise Unknown(needs)
            return every_ is not negate

        return quantify

    def visit_Count(self, e: n.Count) -> Thunk:
        coll, var = self(e.coll), e.var
        where = self(e.where) if e.where is not None else None
        if where is None:
            return lambda env: len(coll(env))
        span, construct = e.span, _loop("antal", var)

        def count(env: Env) -> int:
            items = coll(env)
            env.spend(len(items), span, construct)
            return sum(bool(x) for x in over(env, items, var, where))

        return count

    def visit_Sort(self, e: n.Sort) -> Thunk:
        coll, var = self(e.coll), e.var
        keys = [self(k) for k in (e.key.items if isinstance(e.key, n.ListLit) else (e.key,))]

        def keyed(env: Env) -> tuple[tuple[Any, ...], Any]:
            return tuple(every(keys, env)), env.locals[var]

        span, construct = e.span, _loop("sorter", var)

        def sort(env: Env) -> tuple[Any, ...]:
            items = coll(env)
            env.spend(len(items), span, construct)
            pairs = over(env, items, var, keyed)
            pairs.sort(key=lambda pair: pair[0])  # stable: equal keys keep the facts' order
            return tuple(item for _, item in pairs)

        return sort

    def visit_Each(self, e: n.Each) -> Thunk:
        coll, var, body = self(e.coll), e.var, self(e.body)
        where = self(e.where) if e.where is not None else None

        def kept(env: Env) -> Any:
            return body(env) if where is None or where(env) else _SKIP

        span, construct = e.span, _loop("hver", var)

        def each(env: Env) -> tuple[Any, ...]:
            items = coll(env)
            env.spend(len(items), span, construct)
            return tuple(x for x in over(env, items, var, kept) if x is not _SKIP)

        return each

    def visit_Mapping(self, e: n.Mapping) -> Thunk:
        coll, var, key, value = self(e.coll), e.var, self(e.key), self(e.value)
        span, construct = e.span, _loop("opslag", var)

        def mapping(env: Env) -> dict[Any, Any]:
            items = coll(env)
            env.spend(len(items), span, construct)
            return dict(over(env, items, var, lambda env: both(key, value, env)))

        return mapping

    def visit_ListLit(self, e: n.ListLit) -> Thunk:
        items = [self(x) for x in e.items]
        return lambda env: tuple(every(items, env))

    def visit_RecordLit(self, e: n.RecordLit) -> Thunk:
        keys = [k for k, _ in e.items]
        values = [self(v) for _, v in e.items]
        return lambda env: dict(zip(keys, every(values, env), strict=True))


def _loop(keyword: str, var: str) -> str:
    """How an error names a loop: as it is written."""
    return f"'{keyword} {var} i …'"
