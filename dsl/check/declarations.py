"""Pass 1: collect every declaration under its name (duplicates reported with both places),
the header, and the types that facts and records declare."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.check.context import Context
from almen.dsl.diagnostics import did_you_mean
from almen.dsl.i18n import _

MONTH_RULES = ("sidste_dag", "fejl")  # how a month is added to the 31st: round to the month's end, or refuse

# Where each kind of declaration is kept in the model.
_TABLES = {
    n.FactDecl: "facts",
    n.ParamDecl: "params",
    n.Definition: "definitions",
    n.Decision: "decisions",
    n.Table: "tables",
    n.Wheel: "wheels",
    n.Goal: "goals",
}


def collect(cx: Context) -> None:
    for module in cx.model.modules:
        for decl in module.decls:
            _collect(cx, decl)
    m = cx.model
    if m.policy is None and not m.removals and m.modules:
        span = n.Span(m.modules[0].path, 1, 1, 1, 2, 0, 0)
        cx.error(span, _("the policy has no header"), _('add: politik navn { version "…" … }'))
    header = m.policy
    if header is not None and header.month_rule is not None and header.month_rule not in MONTH_RULES:
        cx.error(
            header.month_rule_span,
            _("unknown månedsregel '{0}'").format(header.month_rule),
            did_you_mean(header.month_rule, MONTH_RULES) or "use 'sidste_dag' or 'fejl'",
        )


def _declare(cx: Context, name: str, node: Any) -> bool:
    # Facts have a namespace of their own, so a decision may share its fact's name
    # (`nybyggeri`); in expressions the fact wins.
    space = cx.fact_names if isinstance(node, n.FactDecl) else cx.declared
    previous = space.get(name)
    if previous is not None:
        cx.error(
            node.span,
            _("'{0}' is declared twice").format(name),
            _("give one of them another name"),
            [(previous.span, _("'{0}' is first declared here").format(name))],
        )
        return False
    space[name] = node
    return True


def _collect(cx: Context, decl: Any) -> None:
    m = cx.model
    table = _TABLES.get(type(decl))
    if table is not None:
        if _declare(cx, decl.name, decl):
            getattr(m, table)[decl.name] = decl
    elif isinstance(decl, n.Policy):
        if m.policy is not None:
            cx.error(decl.span, _("the policy has two headers"), None, [(m.policy.span, _("the first header"))])
        m.policy = decl
    elif isinstance(decl, n.EnumDecl):
        if _declare(cx, decl.name, decl):
            m.enums[decl.name] = t.Enum(decl.name, decl.members)
            for member in decl.members:
                cx.member_of.setdefault(member, m.enums[decl.name])
    elif isinstance(decl, n.RecordDecl):
        if _declare(cx, decl.name, decl):
            m.records[decl.name] = t.Record(decl.name, ())
            m.record_decls[decl.name] = decl
    elif isinstance(decl, n.Rule):
        m.rules.setdefault(decl.target, []).append(decl)
    elif isinstance(decl, n.SlotException):
        m.slot_exceptions.setdefault(decl.wheel, []).append(decl)
    elif isinstance(decl, n.Removal):
        m.removals.append(decl)


# ---------------------------------------------------------------- types of facts and records


def resolve_types(cx: Context) -> None:
    m = cx.model
    decls = m.record_decls
    for _round in range(2):  # the second round lets records that use records see their fields
        for name, decl in decls.items():
            m.records[name] = t.Record(name, tuple((f.name, type_ref(cx, f.type)) for f in decl.fields))
    for name, decl in decls.items():
        _record_cycle(cx, name, decl)
        seen: dict[str, n.FieldDecl] = {}
        for f in decl.fields:
            if f.name in seen:
                cx.error(
                    f.span,
                    _("field '{0}' is declared twice").format(f.name),
                    None,
                    [(seen[f.name].span, _("first here"))],
                )
            seen[f.name] = f
            if f.default is not None:
                cx.owner = f"{name}.{f.name}"
                cx.typer.expect(f.default, type_ref(cx, f.type), {}, "the default")
                cx.values.require_constant(f.default, "a default")
    for name, fact in m.facts.items():
        m.fact_types[name] = type_ref(cx, fact.type)


def _record_cycle(cx: Context, name: str, decl: n.RecordDecl) -> None:
    """Does record `name` reach itself through its fields? Each record is visited once."""
    decls = cx.model.record_decls
    seen = {name}
    todo = [(decl, [name])]
    while todo:
        current, trail = todo.pop()
        for f in current.fields:
            for used in _type_names(f.type):
                if used == name:
                    cx.error(
                        f.span,
                        _("record '{0}' contains itself: {1}").format(name, " → ".join([*trail, used])),
                        _("facts must be finite; use a list of another record"),
                    )
                    return
                if used in decls and used not in seen:
                    seen.add(used)
                    todo.append((decls[used], [*trail, used]))


def type_ref(cx: Context, ref: n.TypeRef) -> t.Type:
    """The type a written type names."""
    if isinstance(ref, n.TOptional):
        return t.Optional(type_ref(cx, ref.inner))
    if isinstance(ref, n.TList):
        return t.ListOf(type_ref(cx, ref.elem))
    if isinstance(ref, n.TMap):
        return t.MapOf(type_ref(cx, ref.value))
    if isinstance(ref, n.TInt):
        return t.Num(None, True, ref.low, ref.high)
    m = cx.model
    found = t.BUILTIN_TYPES.get(ref.name) or m.enums.get(ref.name) or m.records.get(ref.name)
    if found is not None:
        return found
    known = [*t.BUILTIN_TYPES, "heltal", *m.enums, *m.records]
    cx.error(ref.span, _("unknown type '{0}'").format(ref.name), did_you_mean(ref.name, known))
    return t.UNKNOWN


def _type_names(ref: n.TypeRef) -> Iterator[str]:
    yield from (x.name for x in ref.find_all(n.TName))
