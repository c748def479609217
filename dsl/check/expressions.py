"""Types and units of expressions. Every expression node gets its Annotation (type, and for
names and calls what they refer to); every name read becomes a dependency of the named value
being checked."""

from __future__ import annotations

from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.builtins import BUILTINS
from almen.dsl.check.context import Context
from almen.dsl.check.declarations import type_ref
from almen.dsl.check.model import Annotation, Ref, RefKind
from almen.dsl.diagnostics import did_you_mean
from almen.dsl.i18n import _
from almen.dsl.semantics import LITERAL_TYPES, arithmetic_type, ordered

Scope = dict[str, t.Type]

# Names that refer to named values, by where the model keeps them.
_NAMED = (
    ("params", RefKind.PARAMETER),
    ("definitions", RefKind.DEFINITION),
    ("decisions", RefKind.DECISION),
    ("tables", RefKind.TABLE),
    ("wheels", RefKind.WHEEL),
)


class Typer(n.Visitor):
    def __init__(self, cx: Context):
        self.cx = cx

    # ---- what builtin signatures may ask for (builtins.Checking)
    def error(self, span: n.Span, message: str, hint: str | None = None) -> None:
        self.cx.error(span, message, hint)

    def reads_every_goal(self) -> None:
        for goal in self.cx.model.goals:
            self.cx.depend(goal)

    def need(self, e: Any, actual: t.Type, wanted: t.Type) -> None:
        if not t.assignable(actual, wanted):
            self.cx.error(e.span, _("expected a {0} here, not a {1}").format(wanted, actual))

    # ---- entry points
    def expr(self, e: Any, scope: Scope) -> t.Type:
        typ: t.Type = self.visit(e, scope)
        if e.annotation is None or e.annotation.type is not typ:
            e.annotate(Annotation(typ, e.annotation.ref if e.annotation is not None else None))
        return typ

    def expect(self, expr: Any, typ: t.Type, scope: Scope, what: str) -> None:
        actual = self.expr(expr, scope)
        if not t.assignable(actual, typ):
            self.cx.error(
                expr.span, _("{0} should be a {1}, not a {2}").format(what, typ, actual), unit_hint(actual, typ)
            )
        else:
            self.literal_against(expr, typ)

    def literal_against(self, expr: Any, typ: t.Type) -> None:
        """Text written where an enumeration is expected must be one of its values."""
        typ = t.strip(typ)
        if isinstance(expr, n.Literal) and expr.kind == n.LiteralKind.STRING and isinstance(typ, t.Enum):
            if expr.value not in typ.members:
                self.cx.error(
                    expr.span,
                    _('"{0}" is not a value of {1}').format(expr.value, typ.name),
                    did_you_mean(expr.value, typ.members) or _("the values are: {0}").format(", ".join(typ.members)),
                )
        elif isinstance(expr, n.ListLit) and isinstance(typ, t.ListOf):
            for item in expr.items:
                self.literal_against(item, typ.elem)
        elif isinstance(expr, n.If):
            self.literal_against(expr.then, typ)
            self.literal_against(expr.else_, typ)
        elif isinstance(expr, n.RecordLit) and isinstance(typ, t.Record):
            for key, value in expr.items:
                ftype = typ.field(key)
                if ftype is not None:
                    self.literal_against(value, ftype)

    def _refer(self, e: Any, ref: Ref) -> t.Type:
        e.annotate(Annotation(ref.type, ref))
        return ref.type

    # ---- one method per expression
    def visit_Literal(self, e: n.Literal, scope: Scope) -> t.Type:
        return LITERAL_TYPES[e.kind]

    def visit_Name(self, e: n.Name, scope: Scope) -> t.Type:
        cx, m = self.cx, self.cx.model
        if e.name in scope:
            return self._refer(e, Ref(RefKind.LOCAL, e.name, scope[e.name]))
        if e.name in m.facts:
            cx.read_fact(e.name)
            return self._refer(e, Ref(RefKind.FACT, e.name, m.fact_types.get(e.name, t.UNKNOWN)))
        for table, kind in _NAMED:
            decl = getattr(m, table).get(e.name)
            if decl is not None:
                if kind == RefKind.DEFINITION and decl.params:
                    cx.error(e.span, _("'{0}' takes arguments").format(e.name), _("write {0}(…)").format(e.name))
                cx.depend(e.name)
                return self._refer(e, Ref(kind, e.name, cx.values.value_type(e.name)))
        if e.name == "beslutningsdato":
            return self._refer(e, Ref(RefKind.BUILTIN, e.name, t.DATE))
        if e.name in cx.member_of:
            return self._refer(e, Ref(RefKind.MEMBER, e.name, cx.member_of[e.name]))
        known = [*scope, *cx.declared, *cx.fact_names, *cx.member_of, "beslutningsdato"]
        cx.error(e.span, _("unknown name '{0}'").format(e.name), did_you_mean(e.name, known))
        return t.UNKNOWN

    def visit_Field(self, e: n.Field, scope: Scope) -> t.Type:
        obj = self.expr(e.obj, scope)
        if isinstance(obj, t.Unknown):
            return obj
        if isinstance(obj, t.Optional) and isinstance(obj.inner, t.Record):
            self.cx.error(
                e.span,
                _("'{0}' may be intet (a {1})").format(self.cx.source(e.obj), obj),
                _("compare it with intet first, or take it from uden_intet([…])"),
            )
            return t.UNKNOWN
        if not isinstance(obj, t.Record):
            self.cx.error(e.span, _("a {0} has no fields").format(obj))
            return t.UNKNOWN
        ftype = obj.field(e.name)
        if ftype is None:
            self.cx.error(
                e.span,
                _("{0} has no field '{1}'").format(obj, e.name),
                did_you_mean(e.name, [k for k, _type in obj.fields])
                or _("its fields: {0}").format(", ".join(k for k, _field in obj.fields)),
            )
            return t.UNKNOWN
        return ftype

    def visit_Call(self, e: n.Call, scope: Scope) -> t.Type:
        cx, m = self.cx, self.cx.model
        args = [self.expr(a, scope) for a in e.args]
        d = m.definitions.get(e.name)
        if d is not None:
            cx.depend(e.name)
            if len(args) != len(d.params):
                cx.error(e.span, _("'{0}' takes {1} arguments, not {2}").format(e.name, len(d.params), len(args)))
            for arg, param, atype in zip(e.args, d.params, args, strict=False):
                ptype = type_ref(cx, param.type)
                if not t.assignable(atype, ptype):
                    cx.error(arg.span, _("'{0}' of '{1}' is a {2}, not a {3}").format(param.name, e.name, ptype, atype))
            return self._refer(e, Ref(RefKind.DEFINITION, e.name, cx.values.value_type(e.name)))
        builtin = BUILTINS.get(e.name)
        if builtin is None:
            known = [*BUILTINS, *(k for k, d in m.definitions.items() if d.params)]
            cx.error(e.span, _("unknown function '{0}'").format(e.name), did_you_mean(e.name, known))
            return t.UNKNOWN
        return self._refer(e, Ref(RefKind.BUILTIN, e.name, builtin.signature(self, e, args)))

    def visit_Unary(self, e: n.Unary, scope: Scope) -> t.Type:
        inner = self.expr(e.operand, scope)
        if e.op == "ikke":
            self.need(e.operand, inner, t.BOOL)
            return t.BOOL
        if not isinstance(t.strip(inner), t.Num | t.Unknown):
            self.cx.error(e.span, _("cannot negate a {0}").format(inner))
        return inner

    def visit_Binary(self, e: n.Binary, scope: Scope) -> t.Type:
        left, right = t.strip(self.expr(e.left, scope)), t.strip(self.expr(e.right, scope))
        if isinstance(left, t.Unknown) or isinstance(right, t.Unknown):
            return t.UNKNOWN
        result = arithmetic_type(e.op, left, right)
        if result is None:
            self.cx.error(e.span, _("cannot compute {0} {1} {2}").format(left, e.op, right), unit_hint(right, left))
            return t.UNKNOWN
        return result

    def visit_Compare(self, e: n.Compare, scope: Scope) -> t.Type:
        left, right = self.expr(e.left, scope), self.expr(e.right, scope)
        self.literal_against(e.right, left)
        self.literal_against(e.left, right)
        if e.op in ("=", "!=") and t.NULL in (left, right):
            return t.BOOL
        if not t.comparable(left, right):
            self.cx.error(e.span, _("cannot compare a {0} with a {1}").format(left, right), unit_hint(right, left))
        elif e.op not in ("=", "!=") and not ordered(left):
            self.cx.error(e.span, _("a {0} has no order; only = and ≠ apply").format(left))
        return t.BOOL

    def visit_BoolOp(self, e: n.BoolOp, scope: Scope) -> t.Type:
        self.need(e.left, self.expr(e.left, scope), t.BOOL)
        self.need(e.right, self.expr(e.right, scope), t.BOOL)
        return t.BOOL

    def visit_Member(self, e: n.Member, scope: Scope) -> t.Type:
        item, coll = self.expr(e.elem, scope), self.expr(e.coll, scope)
        if isinstance(coll, t.ListOf):
            self.literal_against(e.coll, t.ListOf(item))
            if not t.comparable(item, coll.elem):
                self.cx.error(e.span, _("a {0} is never in a {1}").format(item, coll))
        elif not isinstance(coll, t.Unknown):
            self.cx.error(e.coll.span, _("'i' needs a list on its right, not a {0}").format(coll))
        return t.BOOL

    def visit_Between(self, e: n.Between, scope: Scope) -> t.Type:
        value = self.expr(e.value, scope)
        for bound in (e.low, e.high):
            btype = self.expr(bound, scope)
            if not t.comparable(value, btype) or not ordered(value):
                self.cx.error(bound.span, _("cannot compare a {0} with a {1}").format(value, btype))
        return t.BOOL

    def visit_If(self, e: n.If, scope: Scope) -> t.Type:
        self.need(e.cond, self.expr(e.cond, scope), t.BOOL)
        a, b = self.expr(e.then, scope), self.expr(e.else_, scope)
        joined = t.join(a, b)
        if joined is None:
            self.cx.error(
                e.span, _("the two branches give a {0} and a {1}").format(a, b), _("both must give the same type")
            )
            return t.UNKNOWN
        self.literal_against(e.then, joined)
        self.literal_against(e.else_, joined)
        return joined

    def _element(self, e: Any, scope: Scope) -> tuple[t.Type, Scope]:
        """The list's type and the scope inside a comprehension, with its variable bound."""
        coll = t.strip(self.expr(e.coll, scope))
        if isinstance(coll, t.ListOf):
            return coll, {**scope, e.var: coll.elem}
        if not isinstance(coll, t.Unknown):
            self.cx.error(e.coll.span, _("expected a list to go through, not a {0}").format(coll))
        return t.UNKNOWN, {**scope, e.var: t.UNKNOWN}

    def _where(self, e: Any, inner: Scope) -> None:
        if e.where is not None:
            self.need(e.where, self.expr(e.where, inner), t.BOOL)

    def visit_Quantifier(self, e: n.Quantifier, scope: Scope) -> t.Type:
        _, inner = self._element(e, scope)
        self._where(e, inner)
        self.need(e.body, self.expr(e.body, inner), t.BOOL)
        return t.BOOL

    def visit_Count(self, e: n.Count, scope: Scope) -> t.Type:
        _, inner = self._element(e, scope)
        self._where(e, inner)
        return t.INT

    def visit_Each(self, e: n.Each, scope: Scope) -> t.Type:
        _, inner = self._element(e, scope)
        self._where(e, inner)
        return t.ListOf(self.expr(e.body, inner))

    def visit_Sort(self, e: n.Sort, scope: Scope) -> t.Type:
        coll, inner = self._element(e, scope)
        for key in e.key.items if isinstance(e.key, n.ListLit) else (e.key,):
            ktype = self.expr(key, inner)
            if not ordered(ktype) and t.strip(ktype) not in (t.TEXT, t.BOOL):
                self.cx.error(key.span, _("cannot sort by a {0}").format(ktype))
        return coll

    def visit_Mapping(self, e: n.Mapping, scope: Scope) -> t.Type:
        _element_type, inner = self._element(e, scope)
        ktype = t.strip(self.expr(e.key, inner))
        if ktype != t.TEXT and not isinstance(ktype, t.Enum | t.Unknown):
            self.cx.error(e.key.span, _("a lookup's keys must be texts, not a {0}").format(ktype))
        return t.MapOf(self.expr(e.value, inner))

    def visit_ListLit(self, e: n.ListLit, scope: Scope) -> t.Type:
        common: t.Type | None = None
        for x in e.items:
            it = self.expr(x, scope)
            joined = it if common is None else t.join(common, it)
            if joined is None:
                self.cx.error(x.span, _("a list cannot hold both a {0} and a {1}").format(common, it))
            else:
                common = joined
        return t.ListOf(common or t.UNKNOWN)

    def visit_RecordLit(self, e: n.RecordLit, scope: Scope) -> t.Type:
        seen: set[str] = set()
        fields = []
        for key, given in e.items:
            if key in seen:
                self.cx.error(given.span, _("field '{0}' is given twice").format(key))
            seen.add(key)
            fields.append((key, self.expr(given, scope)))
        return t.Record(None, tuple(fields))


def unit_hint(actual: t.Type, wanted: t.Type) -> str | None:
    a, w = t.strip(actual), t.strip(wanted)
    if isinstance(a, t.Num) and isinstance(w, t.Num) and a.unit != w.unit:
        unit = {
            None: _("a plain number"),
            "%": _("a percentage (25 %)"),
            "kr": _("an amount (1500 kr)"),
            "brøk": _("a share"),
        }
        return _("the units differ: write {0}").format(unit[w.unit])
    return None
