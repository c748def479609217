"""Decisions given by rules, and decision tables, over the household table: the default logic
of interpreter/program.py (`rules`, `table`) — a rule's exceptions are looked at only where it
applies, two rules that apply conflict, no rule is an error; a table row whose input is unknown
may apply, and only rows that give the same output decide without it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from sqlglot import exp

from almen.dsl import nodes as n
from almen.dsl.semantics import constant
from almen.interpreter.batch.terms import (
    FALSE,
    SQL,
    TRUE,
    ZERO,
    Const,
    Term,
    Unsupported,
    and_,
    as_val,
    bor,
    case,
    error_of,
    first_error,
    guard,
    is_null,
    known,
    literal,
    needs_of,
    or_,
    paren,
    select,
)
from almen.interpreter.errors import conflict

if TYPE_CHECKING:
    from almen.interpreter.batch.compiler import Compiler

# the evaluator's messages (interpreter/program.py), for the `error` column
NO_RULE = "no rule of '{}' applies to these facts"
NO_ROW = "no row of table '{}' applies to these facts"


@attrs.frozen
class Outcome:
    found: SQL  # TRUE: a rule gives the value; FALSE: none applies; NULL: unknown
    u: SQL | None
    err: SQL | None
    value: Any


def decision(c: Compiler, dec: n.Decision, rules: list[n.Rule]) -> Term:
    children: dict[str | None, list[n.Rule]] = {}
    for rule in rules:
        children.setdefault(rule.exception_to, []).append(rule)

    def tree(rule: n.Rule) -> Outcome:
        cond = c(rule.condition) if rule.condition is not None else Const(True)
        if isinstance(cond, Const) and not cond.value:
            return Outcome(FALSE, None, None, Const(None))
        cv = as_val(cond)
        inner = one_of(children.get(rule.label, []))
        own = c(rule.consequence)
        own_u, own_err = needs_of(own), error_of(own)
        own_ok = TRUE if own_u is None else case([(known(own_u), TRUE)])
        holds, fails = _true(cv.v), _false(cv.v)
        found = case([(holds, case([(_true(inner.found), TRUE), (_false(inner.found), own_ok)])), (fails, FALSE)])
        u = case(
            [
                (is_null(cv.v), cv.u or ZERO),
                (is_null(inner.found), inner.u or ZERO),
                (_false(inner.found), own_u or ZERO),
            ],
            ZERO,
        )
        inside = first_error(inner.err, case([(_false(inner.found), own_err)]) if own_err is not None else None)
        err = first_error(cv.err, case([(holds, inside)]) if inside is not None else None)
        found = c.columns.bind(found, "found")
        u = c.columns.bind(case([(is_null(found), u)], ZERO), "u")
        value = c.bind(select([(_true(inner.found), inner.value)], own), rule.name)
        return Outcome(found, u, c.columns.bind(err, "err") if err is not None else None, value)

    def one_of(candidates: list[n.Rule]) -> Outcome:
        if not candidates:
            return Outcome(FALSE, None, None, Const(None))
        outs = [tree(r) for r in candidates]
        clashes = [
            (and_(_true(a.found), _true(b.found)), exp.Literal.string(_conflict(dec, ra, rb)))
            for i, (ra, a) in enumerate(zip(candidates, outs, strict=True))
            for rb, b in list(zip(candidates, outs, strict=True))[i + 1 :]
        ]
        err = first_error(*(o.err for o in outs), case(clashes) if clashes else None)
        unknown = or_(*(is_null(o.found) for o in outs))
        some = or_(*(_true(o.found) for o in outs))
        found = case([(unknown, exp.Null()), (some, TRUE)], FALSE)
        u = case([(unknown, bor(*(case([(is_null(o.found), o.u or ZERO)], ZERO) for o in outs)))], ZERO)
        value = c.bind(select([(_true(o.found), o.value) for o in outs], Const(None)), "one_of")
        bind = c.columns.bind
        return Outcome(bind(found, "found"), bind(u, "u"), bind(err, "err") if err is not None else None, value)

    out = one_of(children.get(None, []))
    none = case([(_false(out.found), exp.Literal.string(NO_RULE.format(dec.name)))])
    return guard(out.value, out.u, first_error(out.err, none))


def _conflict(dec: n.Decision, a: n.Rule, b: n.Rule) -> str:
    return conflict(f"'{dec.name}'", [a, b]).diagnostics[0].message


def _true(e: SQL) -> SQL:
    return exp.EQ(this=paren(e), expression=TRUE)


def _false(e: SQL) -> SQL:
    return exp.EQ(this=paren(e), expression=FALSE)


def table(c: Compiler, tab: n.Table) -> Term:
    inputs = [as_val(c(e)) for e in tab.inputs]
    if any(x.err is not None for x in inputs):
        raise Unsupported(f"an evaluation error in an input of the table '{tab.name}'")
    needs = bor(*(x.u for x in inputs))
    status = []  # per row: TRUE applies, FALSE does not, NULL: an input it tests is unknown
    for row in tab.rows:
        tests = [
            case([(known(x.u), _cell(cell, x.v))]) if x.u is not None else _cell(cell, x.v)
            for cell, x in zip(row.cells, inputs, strict=True)
            if not isinstance(cell, n.CellAny)
        ]
        status.append(c.columns.bind(and_(*tests), "row") if tests else TRUE)
    outputs = [c(row.output) for row in tab.rows]
    unknown = Const(None) if needs is None else guard(Const(None), needs, None)
    no_row = guard(Const(None), None, exp.Literal.string(NO_ROW.format(tab.name)))
    rows = list(range(len(tab.rows)))
    branches: list[tuple[SQL, Any]] = []
    if tab.hit == "første":
        for r in rows:
            others = [s for s in rows if tab.rows[s].output != tab.rows[r].output]
            alone = and_(*(_false(status[s]) for s in others)) if others else TRUE
            branches += [(_true(status[r]), outputs[r]), (and_(is_null(status[r]), alone), outputs[r])]
            branches.append((is_null(status[r]), unknown))
    else:
        branches += [(_true(status[r]), outputs[r]) for r in rows]
        for r in rows:  # no row applies for sure: the first that may, if all that may agree
            earlier = [is_null(status[s]) for s in rows[:r]]
            others = [is_null(status[s]) for s in rows if tab.rows[s].output != tab.rows[r].output]
            first = and_(is_null(status[r]), *(exp.Not(this=paren(e)) for e in earlier))
            branches.append((and_(first, *(exp.Not(this=paren(e)) for e in others)), outputs[r]))
        branches.append((or_(*(is_null(s) for s in status)), unknown))
    return c.bind(select(branches, no_row), tab.name)


def _cell(cell: n.Cell, x: SQL) -> SQL:
    """A table cell as a test in SQL: the cell shapes of `semantics.cell_test`, its constants."""
    x = paren(x)
    if isinstance(cell, n.CellValues):
        return exp.In(this=x, expressions=[literal(constant(v)) for v in cell.values])
    if isinstance(cell, n.CellCompare):
        ops = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
        return ops[cell.op](this=x, expression=literal(constant(cell.value)))
    assert isinstance(cell, n.CellRange), "`-` cells are no test: the caller leaves them out"
    low, high = literal(constant(cell.low)), literal(constant(cell.high))
    top = exp.LTE(this=x, expression=high) if cell.closed else exp.LT(this=x, expression=high)
    return and_(exp.GTE(this=x, expression=low), top)
