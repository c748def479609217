"""Pass 2: the named values — parameters, definitions, decisions and their rules — each
checked the first time its type is asked for, so a definition may be used before it stands.
Also: citations on everything that must cite, and constants where only constants may stand."""

from __future__ import annotations

import re
from typing import Any

from almen.dsl import nodes as n
from almen.dsl import types as t
from almen.dsl.check.context import Context
from almen.dsl.check.declarations import type_ref
from almen.dsl.diagnostics import did_you_mean
from almen.dsl.i18n import _

# A citation must point into a document: a section, figure, appendix, or a named law.
CITATION = re.compile(
    r"§\s*\d|\b(figur|bilag|afsnit|kapitel|side|tema|pejlemærke|nøgletal|indledning|strategi)\b|lov",
    re.IGNORECASE,
)
MAX_CHAIN = 60  # named values using named values, this deep at most: evaluation recurses along it


class Values:
    def __init__(self, cx: Context):
        self.cx = cx
        self.in_progress: set[str] = set()

    def check(self) -> None:
        m = self.cx.model
        for name, decl in m.params.items():
            self.parameter(name, decl)
        for table in (m.definitions, m.decisions, m.tables, m.wheels):
            for name in table:
                self.value_type(name)
        for target, rules in m.rules.items():
            self.rules(target, rules)

    def parameter(self, name: str, decl: n.ParamDecl) -> None:
        cx = self.cx
        require_citation(cx, decl, decl.meta)
        cx.owner = name
        typ = type_ref(cx, decl.type)
        cx.model.value_types[name] = typ
        starts = [v.start for v in decl.values]
        if starts != sorted(set(starts)):
            cx.error(decl.span, _("the values of '{0}' must be in date order, one per date").format(name))
        for value in decl.values:
            cx.typer.expect(value.value, typ, {}, _("a value of '{0}'").format(name))
            self.require_constant(value.value, "a parameter's value")

    def value_type(self, name: str) -> t.Type:
        """The type of a named value, checking its body the first time it is asked for."""
        cx, m = self.cx, self.cx.model
        if name in m.value_types:
            return m.value_types[name]
        if name in self.in_progress:
            return t.UNKNOWN  # a cycle; the cycle pass reports it with the whole path
        if len(self.in_progress) >= MAX_CHAIN:
            node = cx.declared.get(name)
            cx.error(
                node.span if node is not None else n.NOWHERE,
                _("'{0}' ends a chain of more than {1} definitions that use each other").format(name, MAX_CHAIN),
                _("a policy this deep cannot be evaluated safely; shorten the chain"),
            )
            return t.UNKNOWN
        self.in_progress.add(name)
        saved, cx.owner = cx.owner, name
        try:
            typ = self._check(name)
        finally:
            cx.owner = saved
            self.in_progress.discard(name)
        m.value_types[name] = typ
        return typ

    def _check(self, name: str) -> t.Type:
        cx, m = self.cx, self.cx.model
        if name in m.definitions:
            d = m.definitions[name]
            require_citation(cx, d, d.meta)
            scope = {p.name: type_ref(cx, p.type) for p in d.params}
            if d.type is not None:
                typ = type_ref(cx, d.type)
                cx.typer.expect(d.body, typ, scope, f"'{name}'")
                return typ
            return cx.typer.expr(d.body, scope)
        if name in m.decisions:
            return self.decision(name, m.decisions[name])
        if name in m.tables:
            return cx.tables.check(m.tables[name])
        if name in m.wheels:
            return cx.wheels.check(m.wheels[name])
        return t.UNKNOWN

    def decision(self, name: str, dec: n.Decision) -> t.Type:
        cx, m = self.cx, self.cx.model
        require_citation(cx, dec, dec.meta)
        declared = type_ref(cx, dec.type) if dec.type is not None else None
        if dec.body is None:
            if name not in m.rules:
                cx.error(
                    dec.span,
                    _("decision '{0}' has no body and no rules").format(name),
                    _("add: regel {0}.navn … så …").format(name),
                )
            return declared or t.UNKNOWN
        if name in m.rules:
            first = m.rules[name][0]
            cx.error(
                first.span,
                _("decision '{0}' has a body, so rules cannot also define it").format(name),
                None,
                [(dec.span, _("the decision"))],
            )
        if declared is not None:
            cx.typer.expect(dec.body, declared, {}, f"'{name}'")
            return declared
        return cx.typer.expr(dec.body, {})

    def rules(self, target: str, rules: list[n.Rule]) -> None:
        cx, m = self.cx, self.cx.model
        dec = m.decisions.get(target)
        if dec is None:
            cx.error(
                rules[0].span,
                _("rule for unknown decision '{0}'").format(target),
                did_you_mean(target, m.decisions) or _("declare it: beslutning {0}: Type").format(target),
            )
            return
        self.value_type(target)
        declared = type_ref(cx, dec.type) if dec.type is not None else None
        labels: dict[str, n.Rule] = {}
        for rule in rules:
            if rule.label in labels:
                cx.error(
                    rule.span,
                    _("rule '{0}' is declared twice").format(rule.name),
                    None,
                    [(labels[rule.label].span, _("first declared here"))],
                )
            labels[rule.label] = rule
        saved, cx.owner = cx.owner, target
        inferred: t.Type | None = None
        for rule in rules:
            require_citation(cx, rule, rule.meta)
            if rule.exception_to is not None and rule.exception_to not in labels:
                cx.error(
                    rule.span,
                    _("'{0}' is an exception to '{1}', which is not a rule of '{2}'").format(
                        rule.name, rule.exception_to, target
                    ),
                    did_you_mean(rule.exception_to, labels),
                )
            if rule.condition is not None:
                cx.typer.expect(rule.condition, t.BOOL, {}, "a condition")
            if declared is not None:
                cx.typer.expect(rule.consequence, declared, {}, _("the value of '{0}'").format(target))
                continue
            typ = cx.typer.expr(rule.consequence, {})
            joined = t.join(inferred, typ) if inferred is not None else typ
            if joined is None:
                cx.error(rule.consequence.span, _("rules of '{0}' give values of different types").format(target))
            else:
                inferred = joined
        cx.owner = saved
        if declared is None and inferred is not None:
            m.value_types[target] = inferred
        _exceptions_form_a_forest(cx, target, rules, labels)

    def require_constant(self, e: Any, what: str) -> None:
        """Parameter values and defaults are fixed text: they may not read facts or rules."""
        if not is_constant(e):
            self.cx.error(
                e.span,
                _("{0} must be a constant").format(what),
                _("write the number, amount, date, text or list itself"),
            )


def is_constant(e: Any) -> bool:
    for x in e.walk():
        if isinstance(x, n.Name):
            ref = x.annotation.ref if x.annotation is not None else None
            if ref is None or ref.kind != "member":
                return False
        elif not isinstance(x, n.Literal | n.Unary | n.Binary | n.ListLit | n.RecordLit):
            return False
    return True


def _exceptions_form_a_forest(cx: Context, target: str, rules: list[n.Rule], labels: dict[str, n.Rule]) -> None:
    """No rule is (indirectly) an exception to itself."""
    for rule in rules:
        seen = [rule.label]
        current = rule.exception_to
        while current is not None and current in labels:
            if current in seen:
                cx.error(
                    rule.span,
                    _("exceptions of '{0}' go round in a circle: {1}").format(target, " → ".join([*seen, current])),
                )
                break
            seen.append(current)
            current = labels[current].exception_to


def require_citation(cx: Context, node: Any, meta: n.Meta) -> None:
    if not meta.citations:
        cx.error(
            node.span,
            _("{0} '{1}' cites no source").format(node.kind, getattr(node, "name", "")),
            _('add a line: kilde "§ 6.2.1" (section, figure or appendix of the agreement)'),
        )
    for c in meta.citations:
        if not CITATION.search(c.source):
            cx.error(
                c.span,
                _("citation '{0}' names no section, figure or appendix").format(c.source),
                _('write e.g. kilde "§ 6.2.1", kilde "Figur 5" or kilde "Bilag 14"'),
            )
