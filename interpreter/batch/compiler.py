"""A decision of the checked model → terms over the household table (see terms.py).

Whatever reads no household fact — parameters, the fixed facts (the department), the decision
date, constants — is evaluated by the per-call evaluator itself (interpreter/expressions.py), so
there is one meaning of every operator, literal and builtin; what is left is translated to SQL,
node by node, keeping the evaluator's three-valued logic and the facts it reports as needed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlglot import exp

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.builtins import BUILTINS
from almen.dsl.semantics import COMPARISONS, ORDERING, percent_scale
from almen.interpreter.batch import rules
from almen.interpreter.batch.columns import LENGTH, PRESENT, Columns
from almen.interpreter.batch.terms import (
    FALSE,
    SQL,
    TRUE,
    ZERO,
    Const,
    FactRec,
    OptRec,
    Rec,
    Seq,
    Term,
    Unsupported,
    Val,
    and_,
    as_val,
    bor,
    case,
    choose,
    combine,
    is_null,
    kleene,
    known,
    literal,
    needs_of,
    only_if_known,
    or_,
    paren,
    sql_type,
    strict,
)
from almen.interpreter.env import Env
from almen.interpreter.errors import EvaluationError, Unknown
from almen.interpreter.expressions import Expressions
from almen.interpreter.program import Program

_SQL_COMPARE = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
assert set(_SQL_COMPARE) == set(COMPARISONS)  # every comparison of the language has its SQL operator


class _Folding(Expressions):
    """The per-call evaluator's own closures, with some sub-expressions already known."""

    def __init__(self, program: Program, known: dict[int, Any]):
        super().__init__(program)
        self.known = known

    def __call__(self, e: Any) -> Any:
        if id(e) in self.known:
            value = self.known[id(e)]
            return lambda env: value
        return super().__call__(e)


class Compiler(n.Visitor):
    def __init__(
        self,
        program: Program,
        defaults: dict[str, dict[str, Any]],
        fixed: dict[str, Any],
        date: dt.date,
        columns: Columns,
    ):
        self.program = program
        self.model = program.model
        self.defaults = defaults
        self.fixed = fixed  # converted facts: the given ones, and Missing for the rest of them
        self.fixed_names = {k for k in fixed if k in self.model.fact_types}
        self.date = date
        self.columns = columns
        self.env = Env(program, fixed, date, None)
        self.locals: dict[str, Term] = {}
        self.named: dict[str, Term] = {}
        self._static_named: dict[str, bool] = {}
        self.calls: dict[tuple[Any, ...], tuple[Term, list[Term]]] = {}

    # ---------------------------------------------------------------- entry
    def __call__(self, e: Any) -> Term:
        if self.static(e, frozenset()):
            return self.fold(e)
        term: Term = self.visit(e)
        return term

    def decision(self, name: str) -> Term:
        return self.value(name)

    # ---------------------------------------------------------------- constants: the evaluator's
    def static(self, e: Any, bound: frozenset[str]) -> bool:
        """Reads no household fact (nor a local bound to one)."""
        if isinstance(e, n.Name):
            ref = self.model.ref_of(e)
            if ref is None:
                return True
            if ref.kind == "local":
                return e.name in bound or isinstance(self.locals.get(e.name), Const)
            if ref.kind == "fact":
                return ref.name in self.fixed_names
            if ref.kind in ("definition", "decision", "table"):
                return self.static_named(ref.name)
            return True
        if isinstance(e, n.Call):
            ref = self.model.ref_of(e)
            if ref is not None and ref.kind == "definition" and not self.static_named(e.name):
                return False
            if (ref is None or ref.kind != "definition") and BUILTINS[e.name].needs_env:
                return False  # wheels and goals read the facts themselves, past this check
        inner = bound
        if isinstance(e, n.Quantifier | n.Count | n.Sort | n.Each | n.Mapping):
            inner = bound | {e.var}
        return all(self.static(c, inner) for c in e.children())

    def static_named(self, name: str) -> bool:
        if name not in self._static_named:
            self._static_named[name] = True  # the checker refused cycles; assume while looking
            params: frozenset[str] = frozenset()
            if name in self.model.definitions:
                d = self.model.definitions[name]
                parts: list[Any] = [d.body]
                params = frozenset(p.name for p in d.params)
            elif name in self.model.decisions:
                dec = self.model.decisions[name]
                parts = [dec.body] if dec.body is not None else []
                for r in self.model.rules.get(name, []):
                    parts += [x for x in (r.condition, r.consequence) if x is not None]
            else:
                tab = self.model.tables[name]
                parts = [*tab.inputs, *(row.output for row in tab.rows)]
            saved, self.locals = self.locals, {}
            try:
                self._static_named[name] = all(self.static(p, params) for p in parts)
            finally:
                self.locals = saved
        return self._static_named[name]

    def fold(self, e: Any, known: dict[int, Any] | None = None) -> Term:
        thunk = _Folding(self.program, known or {}).visit(e)
        saved = self.env.locals
        self.env.locals = {k: v.value for k, v in self.locals.items() if isinstance(v, Const)}
        try:
            return Const(thunk(self.env))
        except Unknown as u:
            return Val(exp.Null(), bor(*(self.columns.bit(p) for p in sorted(u.needs))), None, self.model.type_of(e))
        except EvaluationError as err:
            message = err.diagnostics[0].message
            return Val(exp.Null(), None, exp.Literal.string(message), self.model.type_of(e))
        finally:
            self.env.locals = saved

    # ---------------------------------------------------------------- named values and facts
    def value(self, name: str) -> Term:
        if name not in self.named:
            saved, self.locals = self.locals, {}
            try:
                if name in self.model.definitions:
                    self.named[name] = self.bind(self(self.model.definitions[name].body), name)
                elif name in self.model.decisions:
                    dec = self.model.decisions[name]
                    if dec.body is not None:
                        self.named[name] = self.bind(self(dec.body), name)
                    else:
                        self.named[name] = rules.decision(self, dec, self.model.rules.get(name, []))
                else:
                    self.named[name] = rules.table(self, self.model.tables[name])
            finally:
                self.locals = saved
        return self.named[name]

    def fact(self, path: str, typ: t.Type, default: Any = None, has_default: bool = False) -> Term:
        cols = self.columns
        base = t.strip(typ)
        optional = isinstance(typ, t.Optional)
        if isinstance(base, t.ListOf):
            if optional or (has_default and default != ()):
                raise Unsupported(f"the list {path} with a default")
            length = cols.column(path + LENGTH, "BIGINT")
            if has_default:
                length = exp.Coalesce(this=length, expressions=[ZERO])
            k = cols.items(path)
            cols.fallback.append(
                exp.Coalesce(this=exp.GT(this=length, expression=exp.Literal.number(k)), expressions=[FALSE])
            )
            items = tuple(
                (exp.GT(this=length, expression=exp.Literal.number(i)), self.fact(f"{path}[{i}]", base.elem))
                for i in range(k)
            )
            u = None if has_default else case([(is_null(length), cols.bit(path))], ZERO)
            return Seq(items, u)
        if isinstance(base, t.Record):
            rec = FactRec(path, base)
            if not optional:
                return rec
            if has_default:
                raise Unsupported(f"the optional record {path} with a default")
            present = cols.column(path + PRESENT, "BOOLEAN")
            return OptRec(Val(present, case([(is_null(present), cols.bit(path))], ZERO), None, t.BOOL), rec)
        col = cols.column(path, sql_type(base))
        if not optional:
            if has_default:
                return Val(exp.Coalesce(this=col, expressions=[literal(default, base)]), None, None, base)
            return Val(col, case([(is_null(col), cols.bit(path))], ZERO), None, base)
        present = cols.column(path + PRESENT, "BOOLEAN")
        given = exp.EQ(this=present, expression=TRUE)
        if has_default:
            v = case([(given, col), (is_null(present), literal(default, base))])
            missing: SQL = and_(given, is_null(col))
        else:
            v = case([(given, col)])
            missing = or_(is_null(present), and_(given, is_null(col)))
        return Val(v, case([(missing, cols.bit(path))], ZERO), None, typ)

    def record_field(self, rec: FactRec, name: str) -> Term:
        typ = rec.typ.field(name)
        if typ is None:
            raise Unsupported(f"no field {name} in {rec.typ}")
        own = self.defaults.get(rec.typ.name or "", {})
        return self.fact(f"{rec.path}.{name}", typ, own.get(name), name in own)

    # ---------------------------------------------------------------- nodes
    def visit_Name(self, e: n.Name) -> Term:
        ref = self.model.ref_of(e)
        assert ref is not None
        if ref.kind == "local":
            return self.locals[e.name]
        if ref.kind == "fact":
            return self.fact(ref.name, self.model.fact_types[ref.name])
        return self.value(ref.name)

    def visit_Field(self, e: n.Field) -> Term:
        obj = self(e.obj)
        if isinstance(obj, FactRec):
            return self.record_field(obj, e.name)
        if isinstance(obj, Rec):
            return obj.fields[e.name]
        raise Unsupported(f"the field {e.name} of {type(obj).__name__}")

    def visit_Call(self, e: n.Call) -> Term:
        ref = self.model.ref_of(e)
        args = [self(a) for a in e.args]
        if ref is not None and ref.kind == "definition":
            key = (e.name, *(_key(a) for a in args))
            if key not in self.calls:
                d = self.model.definitions[e.name]
                saved = self.locals
                self.locals = {p.name: a for p, a in zip(d.params, args, strict=True)}
                try:
                    self.calls[key] = (self.bind(self(d.body), e.name), args)  # args: kept alive for their ids
                finally:
                    self.locals = saved
            return self.calls[key][0]
        return self.builtin(e, args)

    def bind(self, term: Term, hint: str) -> Term:
        """A value computed once in the query and read by name wherever it is used."""
        if isinstance(term, Rec):
            return Rec({k: self.bind(x, f"{hint}.{k}") for k, x in term.fields.items()}, term.typ)
        if not isinstance(term, Val):
            return term
        bind = self.columns.bind
        u = bind(term.u, "u") if term.u is not None else None
        err = bind(term.err, "err") if term.err is not None else None
        return Val(bind(term.v, "v"), u, err, term.typ)

    def builtin(self, e: n.Call, args: list[Term]) -> Term:
        if e.name == "uden_intet" and isinstance(args[0], Seq):
            return Seq(tuple(_without_null(p, x) for p, x in args[0].items if not _is_null(x)), args[0].u)
        if e.name in ("tom", "længde") and isinstance(args[0], Seq):
            seq = args[0]
            count = _count([p for p, _ in seq.items])
            v = exp.EQ(this=paren(count), expression=ZERO) if e.name == "tom" else count
            return Val(only_if_known(seq.u, v), seq.u, None, self.model.type_of(e))
        if e.name == "årstal" and isinstance(args[0], Val):
            return strict(exp.Year(this=args[0].v), [args[0]], t.INT)
        raise Unsupported(f"the builtin {e.name} on values from the household table")

    def visit_Unary(self, e: n.Unary) -> Term:
        x = as_val(self(e.operand))
        if e.op == "ikke":
            return Val(exp.Not(this=paren(x.v)), x.u, x.err, t.BOOL)
        return strict(exp.Neg(this=paren(x.v)), [x], x.typ)

    def visit_Binary(self, e: n.Binary) -> Term:
        lt, rt = t.strip(self.model.type_of(e.left)), t.strip(self.model.type_of(e.right))
        a, b = self(e.left), self(e.right)
        if isinstance(lt, t.ListOf):
            sa, sb = _seq(a), _seq(b)
            return Seq(sa.items + sb.items, bor(sa.u, sb.u))
        if not (isinstance(lt, t.Num) and isinstance(rt, t.Num)) or e.op == "/":
            raise Unsupported(f"'{e.op}' on {lt} and {rt} from the household table")
        x, y = as_val(a, lt), as_val(b, rt)
        ops = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
        v: SQL = ops[e.op](this=paren(x.v), expression=paren(y.v))
        scale = percent_scale(e.op, lt, rt)
        if scale is not None:
            v = exp.Mul(this=paren(v), expression=literal(scale))
        return strict(v, [x, y], self.model.type_of(e))

    def visit_Compare(self, e: n.Compare) -> Term:
        lt, rt = self.model.type_of(e.left), self.model.type_of(e.right)
        a, b = self(e.left), self(e.right)
        x, y = as_val(a, t.strip(lt)), as_val(b, t.strip(rt))
        maybe_null = any(isinstance(z, t.Optional) or z == t.NULL for z in (lt, rt))
        if e.op in ORDERING and maybe_null:
            raise Unsupported("ordering a value that may be intet")
        if maybe_null:
            same = exp.NullSafeEQ(this=paren(x.v), expression=paren(y.v))
            v: SQL = same if e.op == "=" else exp.Not(this=paren(same))
        else:
            v = _SQL_COMPARE[e.op](this=paren(x.v), expression=paren(y.v))
        out = strict(v, [x, y], t.BOOL)
        return Val(only_if_known(out.u, v), out.u, out.err, t.BOOL)

    def visit_BoolOp(self, e: n.BoolOp) -> Term:
        stop = e.op == "eller"
        a, b = self(e.left), self(e.right)
        if isinstance(a, Const):
            return Const(stop) if bool(a.value) is stop else _truth(b)
        if isinstance(b, Const):
            return Const(stop) if bool(b.value) is stop else _truth(a)
        return kleene(e.op, as_val(a), as_val(b))

    def visit_Member(self, e: n.Member) -> Term:
        x, coll = as_val(self(e.elem)), self(e.coll)
        if isinstance(coll, Const):
            options = [literal(v) for v in coll.value]
            test: SQL = exp.In(this=paren(x.v), expressions=options) if options else FALSE
            out = x
        else:
            seq = _seq(coll)
            vals = [(p, as_val(item)) for p, item in seq.items]
            hits = [exp.NullSafeEQ(this=paren(x.v), expression=paren(v.v)) for _, v in vals]
            hits = [h if p is None else and_(p, h) for (p, _), h in zip(vals, hits, strict=True)]
            test = or_(*hits) if hits else FALSE
            out = strict(test, [x, *(v for _, v in vals), Val(TRUE, seq.u)], t.BOOL)
        if e.negated:
            test = exp.Not(this=paren(test))
        return Val(only_if_known(out.u, paren(test)), out.u, out.err, t.BOOL)

    def visit_Between(self, e: n.Between) -> Term:
        x, lo, hi = (as_val(self(p)) for p in (e.value, e.low, e.high))
        v = exp.Between(this=paren(x.v), low=paren(lo.v), high=paren(hi.v))
        out = strict(v, [x, lo, hi], t.BOOL)
        return Val(only_if_known(out.u, v), out.u, out.err, t.BOOL)

    def visit_If(self, e: n.If) -> Term:
        cond = self(e.cond)
        if isinstance(cond, Const):
            return self(e.then) if cond.value else self(e.else_)
        return choose(as_val(cond), self(e.then), self(e.else_))

    def items(self, coll: Term) -> tuple[list[tuple[SQL | None, Term]], SQL | None]:
        if isinstance(coll, Const):
            return [(None, Const(v)) for v in coll.value], None
        seq = _seq(coll)
        return list(seq.items), seq.u

    def each(self, var: str, item: Term, e: Any) -> Term:
        saved = self.locals
        self.locals = {**saved, var: item}
        try:
            return self(e)
        finally:
            self.locals = saved

    def visit_Quantifier(self, e: n.Quantifier) -> Term:
        items, list_u = self.items(self(e.coll))
        every_ = e.kind == n.QuantifierKind.ALLE
        parts = []
        for present, item in items:
            body = as_val(self.each(e.var, item, e.body))
            where = as_val(self.each(e.var, item, e.where)) if e.where is not None else None
            if every_:  # the item counts against `alle` only where it is there and counts
                part = body
                if where is not None:
                    part = kleene("eller", _not(where), part)
                if present is not None:
                    part = kleene("eller", Val(exp.Not(this=paren(present))), part)
            else:
                part = body
                if where is not None:
                    part = kleene("og", where, part)
                if present is not None:
                    part = kleene("og", Val(present), part)
            parts.append(part)
        out = combine("og" if every_ else "eller", parts)
        if e.kind == n.QuantifierKind.INGEN:
            out = _not(out)
        return self.bind(_within(out, list_u), "q")

    def visit_Count(self, e: n.Count) -> Term:
        items, list_u = self.items(self(e.coll))
        if e.where is None:
            count = _count([p for p, _ in items])
            return Val(only_if_known(list_u, count), list_u, None, t.INT)
        wheres = []
        for present, item in items:
            w = as_val(self.each(e.var, item, e.where))
            wheres.append(Val(w.v if present is None else and_(present, paren(w.v)), w.u, w.err, t.BOOL))
        ones = [case([(w.v, exp.Literal.number(1))], ZERO) for w in wheres]
        total: SQL = ZERO
        for one in ones:
            total = exp.Add(this=total, expression=one)
        out = strict(paren(total), wheres, t.INT)
        return _within(Val(only_if_known(out.u, out.v), out.u, out.err, t.INT), list_u)

    def visit_Mapping(self, e: n.Mapping) -> Term:
        items, list_u = self.items(self(e.coll))
        if not items and list_u is not None:  # a list not known when compiling
            return Val(exp.Null(), list_u, None, self.model.type_of(e))
        if list_u is not None or any(p is not None for p, _ in items):
            raise Unsupported("a lookup over a list from the household table")
        fields: dict[str, Term] = {}
        for _, item in items:
            key = self.each(e.var, item, e.key)
            if not isinstance(key, Const):
                raise Unsupported("a lookup whose keys come from the household table")
            fields[key.value] = self.each(e.var, item, e.value)
        return Rec(fields, self.model.type_of(e))

    def visit_ListLit(self, e: n.ListLit) -> Term:
        items = [self(x) for x in e.items]
        return Seq(tuple((None, x) for x in items), bor(*(needs_of(x) for x in items)))

    def visit_RecordLit(self, e: n.RecordLit) -> Term:
        return Rec({k: self(v) for k, v in e.items}, self.model.type_of(e))

    def generic_visit(self, node: Any, *args: Any) -> Any:
        raise Unsupported(f"{type(node).__name__} over values from the household table")


def _key(term: Term) -> Any:
    """Calls with the same arguments are the same value: records of the facts by path."""
    if isinstance(term, FactRec):
        return ("rec", term.path)
    if isinstance(term, Const):
        try:
            hash(term.value)
            return ("const", term.value)
        except TypeError:
            pass
    return ("id", id(term))


def _truth(term: Term) -> Term:
    return term if isinstance(term, Const) else as_val(term)


def _not(x: Val) -> Val:
    return Val(exp.Not(this=paren(x.v)), x.u, x.err, t.BOOL)


def _within(out: Val, list_u: SQL | None) -> Val:
    """A value over a list's items: unknown with just the list's needs while the list is unknown."""
    if list_u is None:
        return out
    u = case([(known(list_u), out.u if out.u is not None else ZERO)], list_u)
    return Val(case([(known(list_u), out.v)]), u, out.err, out.typ)


def _count(present: list[SQL | None]) -> SQL:
    total: SQL = exp.Literal.number(sum(1 for p in present if p is None))
    for p in present:
        if p is not None:
            total = exp.Add(this=total, expression=case([(p, exp.Literal.number(1))], ZERO))
    return paren(total)


def _seq(term: Term) -> Seq:
    if isinstance(term, Seq):
        return term
    if isinstance(term, Const) and isinstance(term.value, tuple):
        return Seq(tuple((None, Const(v)) for v in term.value))
    if isinstance(term, Val) and isinstance(term.v, exp.Null):  # a list not known when compiling
        return Seq((), term.u)
    raise Unsupported(f"{type(term).__name__} where a list is needed")


def _is_null(term: Term) -> bool:
    return isinstance(term, Const) and term.value is None


def _without_null(present: SQL | None, item: Term) -> tuple[SQL | None, Term]:
    """An item of `uden_intet(…)`: there only where it is not intet."""
    if isinstance(item, OptRec):
        there: SQL = exp.EQ(this=item.present.v, expression=TRUE)
        return (there if present is None else and_(present, there)), item.rec
    if isinstance(item, Val):
        there = exp.Not(this=is_null(item.v))
        return (there if present is None else and_(present, there)), item
    return present, item
