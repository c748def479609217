"""Symbolic values of one decision over a table of households, as sqlglot expressions.

A term is either a constant (a run-time value the per-call evaluator computed, because it reads
no household fact) or a row-dependent piece of SQL. A row-dependent scalar carries three
expressions, mirroring the three outcomes of the per-call evaluator (interpreter/env.py):

- `v`: the value; for a truth value NULL exactly when it is unknown, elsewhere NULL may be `intet`;
- `u`: the facts still needed, a BIGINT with one bit per fact path; 0 (or None) means known;
- `err`: the text of an evaluation error (conflict, no rule applies), or NULL.

The needs of a compound term are the union of the needs of the operands that are unknown,
which is what `both`, `every`, Kleene's `og`/`eller` and the quantifiers of the evaluator report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import attrs
from sqlglot import exp

from almen.dsl import types as t

# an SQL expression built with sqlglot; its class hierarchy is typed differently across
# sqlglot's versions (Expression, Expr), so the annotations say only this
SQL = Any

DECIMAL = "DECIMAL(38, 10)"  # exact: every amount and percentage of a policy has at most 10 decimals
SCALE = 10
MAX_BITS = 62  # fact paths one decision may ask for: one bit each in a BIGINT


class Unsupported(Exception):
    """A construct this tier does not express in SQL: the decision falls back to the Python tier."""


@attrs.frozen
class Const:
    value: Any


@attrs.frozen
class Val:
    v: SQL
    u: SQL | None = None
    err: SQL | None = None
    typ: t.Type = t.UNKNOWN


@attrs.frozen
class Rec:
    """A record or a lookup with keys known when compiling."""

    fields: dict[str, Any]
    typ: t.Type = t.UNKNOWN


@attrs.frozen
class FactRec:
    """A record of the household's facts, read column by column."""

    path: str
    typ: t.Record


@attrs.frozen
class OptRec:
    """An optional record of the facts: `present` is TRUE, FALSE (intet) or NULL (not given)."""

    present: Val
    rec: FactRec


@attrs.frozen
class Seq:
    """A list whose length is known when compiling; an item may be there only where `present`."""

    items: tuple[tuple[SQL | None, Any], ...]
    u: SQL | None = None


Term = Const | Val | Rec | FactRec | OptRec | Seq


# ---------------------------------------------------------------- SQL building blocks

TRUE = exp.Boolean(this=True)
FALSE = exp.Boolean(this=False)
ZERO = exp.Literal.number(0)


def paren(e: SQL) -> SQL:
    return e if isinstance(e, exp.Column | exp.Literal | exp.Boolean | exp.Null | exp.Paren) else exp.Paren(this=e)


def is_null(e: SQL) -> SQL:
    return exp.Is(this=paren(e), expression=exp.Null())


def case(whens: Sequence[tuple[SQL, SQL]], default: SQL | None = None) -> SQL:
    c = exp.Case()
    for cond, value in whens:
        c = c.when(cond, value, copy=False)
    return c.else_(default, copy=False) if default is not None else c


def bor(*masks: SQL | None) -> SQL | None:
    parts = [m for m in masks if m is not None]
    if not parts:
        return None
    out = parts[0]
    for m in parts[1:]:
        out = exp.BitwiseOr(this=paren(out), expression=paren(m))
    return out


def known(u: SQL | None) -> SQL:
    return TRUE if u is None else exp.EQ(this=paren(u), expression=ZERO)


def only_if_known(u: SQL | None, v: SQL) -> SQL:
    if u is None or isinstance(v, exp.Null):  # a bare NULL: PostgreSQL types a CASE of only NULLs as text
        return v
    return case([(known(u), v)])


def first_error(*errs: SQL | None) -> SQL | None:
    parts = [e for e in errs if e is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else exp.Coalesce(this=parts[0], expressions=parts[1:])


def literal(value: Any, typ: t.Type = t.UNKNOWN) -> SQL:
    """A run-time value as an SQL literal, exactly."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, Fraction):
        scaled = value * 10**SCALE
        if scaled.denominator != 1:
            raise Unsupported(f"the share {value} has no exact decimal form")
        return exp.cast(exp.Literal.string(_decimal_text(value)), DECIMAL)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    raise Unsupported(f"a value of type {type(value).__name__} in SQL")


def _decimal_text(value: Fraction) -> str:
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(value.numerator) * 10**SCALE // value.denominator, 10**SCALE)
    return f"{sign}{whole}.{rest:0{SCALE}d}"


def sql_type(typ: t.Type) -> str:
    """The column type a fact of this almen type is read as."""
    typ = t.strip(typ)
    if isinstance(typ, t.Num):
        return "BIGINT" if typ.integer else DECIMAL
    if typ == t.BOOL:
        return "BOOLEAN"
    if typ == t.DATE:
        return "DATE"
    if typ == t.TEXT or isinstance(typ, t.Enum):
        return "VARCHAR"
    raise Unsupported(f"a fact of type {typ} as a column")


# ---------------------------------------------------------------- terms as scalars


def as_val(term: Term, typ: t.Type = t.UNKNOWN) -> Val:
    if isinstance(term, Val):
        return term
    if isinstance(term, Const):
        return Val(literal(term.value, typ), None, None, typ)
    raise Unsupported(f"{type(term).__name__} where a single value is needed")


def needs_of(term: Term) -> SQL | None:
    """The facts a term still needs, as a mask (None: always known)."""
    if isinstance(term, Val):
        return term.u
    if isinstance(term, Rec):
        return bor(*(needs_of(x) for x in term.fields.values()))
    if isinstance(term, Seq):
        return bor(term.u, *(needs_of(x) for _, x in term.items))
    if isinstance(term, OptRec):
        return term.present.u
    return None


def error_of(term: Term) -> SQL | None:
    if isinstance(term, Val):
        return term.err
    if isinstance(term, Rec):
        return first_error(*(error_of(x) for x in term.fields.values()))
    if isinstance(term, Seq):
        return first_error(*(error_of(x) for _, x in term.items))
    return None


def strict(v: SQL, operands: Sequence[Val], typ: t.Type) -> Val:
    """An operator that needs every operand: unknown if any is, needing what all of them need."""
    u = bor(*(x.u for x in operands))
    return Val(v, u, first_error(*(x.err for x in operands)), typ)


def kleene(op: str, a: Val, b: Val) -> Val:
    """`og`/`eller` as SQL's own three-valued AND/OR; the needs of whichever side is unknown."""
    v = and_(paren(a.v), paren(b.v)) if op == "og" else or_(paren(a.v), paren(b.v))
    v = paren(v)
    return Val(v, _unknown_needs(v, [a, b]), _kleene_error(op, a, b), t.BOOL)


def _unknown_needs(v: SQL, parts: Sequence[Val]) -> SQL | None:
    pieces = [case([(is_null(p.v), p.u)], ZERO) for p in parts if p.u is not None]
    if not pieces:
        return None
    return case([(is_null(v), bor(*pieces))], ZERO)


def _kleene_error(op: str, a: Val, b: Val) -> SQL | None:
    if b.err is None:
        return a.err
    stop = TRUE if op == "eller" else FALSE
    # the right side is only evaluated when the left does not decide alone
    right = case([(exp.Not(this=exp.EQ(this=paren(a.v), expression=stop)), b.err)])
    right = case([(is_null(a.v), b.err)], right)
    return first_error(a.err, right)


def combine(op: str, parts: Sequence[Val]) -> Val:
    """Many operands under `og`/`eller` at once (quantifiers over items)."""
    if not parts:
        return Val(TRUE if op == "og" else FALSE, None, None, t.BOOL)
    v = parts[0].v
    for p in parts[1:]:
        v = and_(paren(v), paren(p.v)) if op == "og" else or_(paren(v), paren(p.v))
    v = paren(v)
    if any(p.err is not None for p in parts):
        raise Unsupported("an evaluation error inside a quantifier")
    return Val(v, _unknown_needs(v, parts), None, t.BOOL)


def choose(cond: Val, then: Term, else_: Term) -> Term:
    """`hvis cond så then ellers else_`: one branch is evaluated, as in the per-call evaluator."""
    if isinstance(then, Rec) or isinstance(else_, Rec):
        a, b = _fields(then), _fields(else_)
        if a.keys() != b.keys():
            raise Unsupported("branches with different keys")
        return Rec({k: choose(cond, a[k], b[k]) for k in a}, then.typ if isinstance(then, Rec) else t.UNKNOWN)
    x, y = as_val(then), as_val(else_)
    c = cond.v
    v = case([(c, x.v), (exp.Not(this=paren(c)), y.v)])
    u = bor(
        cond.u,
        case([(c, x.u)], ZERO) if x.u is not None else None,
        case([(exp.Not(this=paren(c)), y.u)], ZERO) if y.u is not None else None,
    )
    errs = []
    if x.err is not None:
        errs.append(case([(c, x.err)]))
    if y.err is not None:
        errs.append(case([(exp.Not(this=paren(c)), y.err)]))
    return Val(v, u, first_error(cond.err, *errs), x.typ if x.typ != t.UNKNOWN else y.typ)


def _fields(term: Term) -> dict[str, Any]:
    if isinstance(term, Rec):
        return term.fields
    if isinstance(term, Const) and isinstance(term.value, dict):
        return {k: Const(v) for k, v in term.value.items()}
    raise Unsupported(f"{type(term).__name__} where a record is needed")


def and_(*parts: SQL) -> SQL:
    """SQL's AND (Kleene's), built without copying the operands (sqlglot's builders copy)."""
    out = paren(parts[0])
    for p in parts[1:]:
        out = exp.And(this=out, expression=paren(p))
    return out


def or_(*parts: SQL) -> SQL:
    out = paren(parts[0])
    for p in parts[1:]:
        out = exp.Or(this=out, expression=paren(p))
    return out


def select(branches: Sequence[tuple[SQL, Any]], default: Any) -> Any:
    """The first branch whose condition is TRUE, else `default`; records field by field."""
    terms = [x for _, x in branches] + [default]
    shaped = next(
        (x for x in terms if isinstance(x, Rec) or (isinstance(x, Const) and isinstance(x.value, dict))), None
    )
    if shaped is not None:
        keys = list(_fields(shaped))
        typ = shaped.typ if isinstance(shaped, Rec) else t.UNKNOWN
        return Rec({k: select([(c, _field(x, k)) for c, x in branches], _field(default, k)) for k in keys}, typ)
    vals = [as_val(x) for x in terms]
    conds = [c for c, _ in branches]
    v = case(list(zip(conds, (x.v for x in vals[:-1]), strict=True)), vals[-1].v)
    u = None
    if any(x.u is not None for x in vals):
        u = case(list(zip(conds, (x.u or ZERO for x in vals[:-1]), strict=True)), vals[-1].u or ZERO)
    err = None
    if any(x.err is not None for x in vals):
        err = case(list(zip(conds, (x.err or exp.Null() for x in vals[:-1]), strict=True)), vals[-1].err or exp.Null())
    typ = next((x.typ for x in vals if x.typ != t.UNKNOWN), t.UNKNOWN)
    return Val(v, u, err, typ)


def _field(term: Any, key: str) -> Any:
    if isinstance(term, Val):  # unknown, or an error, as a whole
        return Val(exp.Null(), term.u, term.err)
    if isinstance(term, Const) and term.value is None:  # no value: not selected where it matters
        return term
    return _fields(term).get(key, Const(None))


def guard(term: Any, u: SQL | None, err: SQL | None) -> Any:
    """`term`, unknown where `u` says so and failing where `err` does, field by field."""
    if u is None and err is None:
        return term
    if isinstance(term, Rec) or (isinstance(term, Const) and isinstance(term.value, dict)):
        typ = term.typ if isinstance(term, Rec) else t.UNKNOWN
        return Rec({k: guard(x, u, err) for k, x in _fields(term).items()}, typ)
    x = as_val(term) if not (isinstance(term, Const) and term.value is None) else Val(exp.Null())
    total = bor(u, x.u)
    return Val(only_if_known(total, x.v), total, first_error(err, x.err), x.typ)
