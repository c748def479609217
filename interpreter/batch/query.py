"""One decision, a date and the fixed facts → one SQL query over the household table.

The query has three steps: `f` reads the columns the decision uses, with their exact types;
`a` computes each field of the answer with the facts it still needs (a bit mask) and its error;
the final step names the status and lists the needs. Its columns: the key columns asked for,
one column per field of the answer (`kriterier.A1` for a field of a field), `status`
('determined', 'undetermined', 'error'; NULL where `fallback`), `needs` (the fact paths, sorted
and joined by ', '), `error` (the evaluator's message) and `fallback` (TRUE: this row is not
answered in SQL; the Python tier answers it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
from sqlglot import exp

from almen.dsl import types as t
from almen.interpreter.batch.columns import Columns
from almen.interpreter.batch.compiler import Compiler
from almen.interpreter.batch.terms import (
    FALSE,
    SQL,
    ZERO,
    Const,
    Rec,
    Term,
    Unsupported,
    Val,
    and_,
    as_val,
    case,
    error_of,
    is_null,
    needs_of,
    or_,
    paren,
)
from almen.interpreter.facts import convert_facts

SOURCE = "households"
DIALECTS = ("duckdb", "postgres", "spark")


@attrs.frozen
class Output:
    name: str  # the column: the field's path in the answer
    path: tuple[str, ...]
    typ: t.Type


@attrs.frozen
class Query:
    decision: str
    date: dt.date
    tree: SQL
    outputs: tuple[Output, ...]
    inputs: dict[str, str]  # column → SQL type
    needs: tuple[str, ...]  # the fact paths the needs bits stand for, by bit
    skeleton: Any = None  # the answer's records and lookups, without values (None: one value)
    reads: exp.Select | None = attrs.field(default=None, eq=False, repr=False)  # the step that reads the rows
    layers: tuple[exp.Select, ...] = attrs.field(default=(), eq=False, repr=False)

    def sql(self, dialect: str = "duckdb", pretty: bool = True, source: SQL | None = None) -> str:
        """The query's text; over `source` (a file reader, a registered table) instead of `households`.

        For PostgreSQL each step is fenced with OFFSET 0: its planner would otherwise pull the
        steps into one another and spell every named value out wherever it is read."""
        fence = dialect == "postgres"
        table = self.reads.args["from_"] if self.reads is not None else None
        if source is not None and self.reads is not None:
            self.reads.set("from_", exp.From(this=source))
        for step in self.layers if fence else ():
            step.set("offset", exp.Offset(expression=exp.Literal.number(0)))
        try:
            return self.tree.sql(dialect=dialect, pretty=pretty)
        finally:
            for step in self.layers if fence else ():
                step.set("offset", None)
            if source is not None and self.reads is not None:
                self.reads.set("from_", table)


def compile_query(
    policy: Any,
    decision: str,
    date: dt.date,
    fixed: dict[str, Any] | None = None,
    max_items: dict[str, int] | int = 0,
    keep: Sequence[str] = (),
) -> Query:
    """The query for `decision`; raises Unsupported when a construct has no SQL form here."""
    fixed = dict(fixed or {})
    converted = convert_facts(fixed, policy.schema, policy.defaults)
    for name in policy.schema:
        if name not in fixed:
            converted.pop(name)
    columns = Columns(max_items)
    compiler = Compiler(policy.program, policy.defaults, converted, date, columns)
    term = compiler.decision(decision)
    typ = policy.model.value_types.get(decision, t.UNKNOWN)
    leaves = list(_leaves(term, typ, ()))
    u = needs_of(term)
    err: SQL = error_of(term) or exp.Null()
    fallback: SQL = or_(*columns.fallback) if columns.fallback else FALSE
    outputs = tuple(Output(".".join(path), path, leaf_type) for path, _, leaf_type in leaves)

    keys = [exp.column(k, quoted=True) for k in keep]
    reads = [_as(exp.cast(exp.column(c, quoted=True), typ_), c, quoted=True) for c, typ_ in columns.used.items()]
    if not reads and not keys:
        reads = [_as(exp.Literal.number(1), "one", quoted=True)]
    f = first = _select(reads and [*keys, *reads], exp.to_table(SOURCE))
    layers: list[exp.Select] = [first]
    for layer in sorted({layer for layer, _, _ in columns.bindings}):
        made = [_as(e, name, quoted=True) for at, name, e in columns.bindings if at == layer]
        f = _select([exp.Star(), *made], _as(exp.Subquery(this=f), "f", table=True))
        layers.append(f)
    a = _select(
        [
            *keys,
            _as(u if u is not None else ZERO, "__u", quoted=True),
            _as(err, "__err", quoted=True),
            _as(paren(fallback), "__fallback", quoted=True),
            *(
                _as(as_val(x, leaf_type).v, o.name, quoted=True)
                for (_, x, leaf_type), o in zip(leaves, outputs, strict=True)
            ),
        ],
        _as(exp.Subquery(this=f), "f", table=True),
    )

    col = lambda name: exp.column(name, quoted=True)  # noqa: E731
    fell = exp.EQ(this=col("__fallback"), expression=exp.Boolean(this=True))
    status = case(
        [
            (fell, exp.Null()),
            (exp.Not(this=is_null(col("__err"))), exp.Literal.string("error")),
            (exp.EQ(this=col("__u"), expression=ZERO), exp.Literal.string("determined")),
        ],
        exp.Literal.string("undetermined"),
    )
    determined = and_(exp.Not(this=paren(fell)), is_null(col("__err")), exp.EQ(this=col("__u"), expression=ZERO))
    paths = sorted(columns.bits)
    pieces: SQL = exp.Literal.string("")
    for path in paths:
        bit = exp.Literal.number(1 << columns.bits[path])
        has = exp.NEQ(this=paren(exp.BitwiseAnd(this=col("__u"), expression=bit)), expression=ZERO)
        pieces = exp.DPipe(
            this=pieces, expression=case([(has, exp.Literal.string(", " + path))], exp.Literal.string("")), safe=True
        )
    unknown = and_(exp.Not(this=paren(fell)), is_null(col("__err")), exp.NEQ(this=col("__u"), expression=ZERO))
    needs = case([(unknown, exp.Substring(this=paren(pieces), start=exp.Literal.number(3)))])
    final = _select(
        [
            *keys,
            *(_as(case([(determined, col(o.name))]), o.name, quoted=True) for o in outputs),
            _as(status, "status", quoted=True),
            _as(needs, "needs", quoted=True),
            _as(case([(exp.Not(this=paren(fell)), col("__err"))]), "error", quoted=True),
            _as(col("__fallback"), "fallback", quoted=True),
        ],
        _as(exp.Subquery(this=a), "a", table=True),
    )
    bits = tuple(sorted(columns.bits, key=columns.bits.__getitem__))
    return Query(decision, date, final, outputs, dict(columns.used), bits, _skeleton(term), first, tuple(layers))


def _as(e: SQL, name: str, quoted: bool = False, table: bool = False) -> SQL:
    return exp.alias_(e, name, quoted=quoted, table=table, copy=False)


def _select(columns: list[SQL], source: SQL) -> exp.Select:
    return exp.Select(expressions=columns).from_(source, copy=False)


def _skeleton(term: Term) -> Any:
    if isinstance(term, Const) and isinstance(term.value, dict):
        term = Rec({k: Const(v) for k, v in term.value.items()})
    if isinstance(term, Rec):
        return {k: _skeleton(x) for k, x in term.fields.items()}
    return None


def _leaves(term: Term, typ: t.Type, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Term, t.Type]]:
    """The answer's fields, one column each: records and lookups with keys known when compiling."""
    base = t.strip(typ)
    if isinstance(term, Const) and isinstance(term.value, dict):
        term = Rec({k: Const(v) for k, v in term.value.items()}, typ)
    if isinstance(term, Rec):
        for key, x in term.fields.items():
            if isinstance(base, t.Record):
                sub = base.field(key) or t.UNKNOWN
            elif isinstance(base, t.MapOf):
                sub = base.value
            else:
                sub = t.UNKNOWN
            yield from _leaves(x, sub, (*path, key))
        return
    if isinstance(term, Val) and isinstance(base, t.Record):  # unknown or an error as a whole
        for key, sub in base.fields:
            yield from _leaves(Val(exp.Null(), term.u, term.err, sub), sub, (*path, key))
        return
    if isinstance(term, Val) and isinstance(term.v, exp.Null) and isinstance(base, t.MapOf):
        return  # a lookup not known when compiling: the answer is undetermined or an error
    if isinstance(base, t.ListOf | t.MapOf | t.Record):
        raise Unsupported(f"an answer of type {base} as columns")
    if not isinstance(term, Const | Val):
        raise Unsupported(f"{type(term).__name__} as an answer")
    yield (path or ("value",)), term, base
